"""Page URLs of the ballots app, under ``/elections/``."""

from django.urls import path

from ballots import views

app_name = "ballots"

urlpatterns = [
    path("", views.election_list, name="list"),
    path("new/", views.election_new, name="new"),
    path("<slug:election_id>/", views.election_detail, name="detail"),
    path("<slug:election_id>/edit/", views.election_edit, name="edit"),
    path("<slug:election_id>/contests/add/", views.contest_new, name="contest_add"),
    path(
        "<slug:election_id>/contests/<int:pk>/remove/",
        views.contest_delete,
        name="contest_remove",
    ),
    path("<slug:election_id>/trustees/add/", views.trustee_new, name="trustee_add"),
    path(
        "<slug:election_id>/trustees/<int:pk>/remove/",
        views.trustee_delete,
        name="trustee_remove",
    ),
    path("<slug:election_id>/roll/", views.roll_import, name="roll_import"),
    path("<slug:election_id>/ceremony/", views.ceremony, name="ceremony"),
    path(
        "<slug:election_id>/ceremony/demo/", views.ceremony_demo, name="ceremony_demo"
    ),
    path("<slug:election_id>/transition/", views.transition, name="transition"),
    path("<slug:election_id>/trustee/", views.trustee_page, name="trustee"),
    path("<slug:election_id>/find/", views.find_ballot, name="find"),
    path("<slug:election_id>/vote/", views.booth, name="booth"),
    path("<slug:election_id>/board/", views.board_page, name="board"),
    path("<slug:election_id>/audits/<int:seq>/", views.audit_check, name="audit_check"),
]
