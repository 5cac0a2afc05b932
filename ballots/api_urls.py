"""JSON API URLs of the ballots app, under ``/api/elections/``."""

from django.urls import path

from ballots import api

app_name = "ballots-api"

urlpatterns = [
    path("<slug:election_id>/", api.election_detail, name="detail"),
    path("<slug:election_id>/manifest.json", api.manifest, name="manifest"),
    path("<slug:election_id>/ballots/", api.cast, name="cast"),
    path("<slug:election_id>/audits/", api.audit, name="audit"),
    path("<slug:election_id>/receipts/", api.receipts, name="receipts"),
    path("<slug:election_id>/board/", api.board, name="board"),
    path("<slug:election_id>/board.jsonl", api.board_jsonl, name="board_jsonl"),
    path("<slug:election_id>/heads/", api.heads, name="heads"),
    path("<slug:election_id>/heads.jsonl", api.heads_jsonl, name="heads_jsonl"),
    path("<slug:election_id>/heads/latest/", api.head_latest_view, name="head_latest"),
    path(
        "<slug:election_id>/proofs/inclusion/<str:tracker>/",
        api.inclusion_proof,
        name="inclusion",
    ),
    path(
        "<slug:election_id>/proofs/consistency/",
        api.consistency_proof,
        name="consistency",
    ),
    path("<slug:election_id>/trustee/key/", api.trustee_key, name="trustee_key"),
    path(
        "<slug:election_id>/trustee/share-box/",
        api.trustee_share_box,
        name="trustee_share_box",
    ),
    path(
        "<slug:election_id>/trustee/ceremony-public/",
        api.ceremony_public_view,
        name="ceremony_public",
    ),
    path(
        "<slug:election_id>/trustee/test-share/",
        api.trustee_test_share,
        name="trustee_test_share",
    ),
]
