"""Page URLs of the tally app, under ``/tally/``."""

from django.urls import path

from tally import views

app_name = "tally"

urlpatterns = [
    path("<slug:election_id>/", views.tally_page, name="tally"),
    path("<slug:election_id>/start/", views.tally_start, name="start"),
    path("<slug:election_id>/trustee/", views.trustee_decrypt, name="trustee"),
    path(
        "<slug:election_id>/closed-board.zip",
        views.closed_board_download,
        name="closed_board",
    ),
    path(
        "<slug:election_id>/aggregates.json",
        views.aggregates_download,
        name="aggregates",
    ),
    path("<slug:election_id>/results/", views.results, name="results"),
    path("<slug:election_id>/record.zip", views.record_download, name="record"),
    path(
        "<slug:election_id>/record/<str:name>",
        views.record_member,
        name="record_file",
    ),
    path(
        "<slug:election_id>/verification.json",
        views.verification_json,
        name="verification",
    ),
]
