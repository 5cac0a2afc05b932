"""URLs of the consultation pages (mounted at ``/consultations/``)."""

from django.urls import path

from participation import views
from participation.feeds import OpenConsultationsFeed

app_name = "participation"

urlpatterns = [
    path("", views.consultation_list, name="list"),
    path("feed/", OpenConsultationsFeed(), name="feed"),
    path("new/", views.consultation_create, name="create"),
    path("<int:pk>/", views.consultation_detail, name="detail"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("<int:pk>/manage/", views.manage, name="manage"),
    path("<int:pk>/edit/", views.consultation_edit, name="edit"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("<int:pk>/delete/", views.consultation_delete, name="delete"),
    path("<int:pk>/opinion-map/", views.opinion_map, name="opinion_map"),
    path("<int:pk>/versions/new/", views.version_create, name="version_create"),
    path("<int:pk>/versions/<int:number>/", views.version_changes, name="changes"),
    path(
        "<int:pk>/versions/<int:number>/links/", views.change_link, name="change_link"
    ),
    path("<int:pk>/comments/", views.comment_create, name="comment_create"),
    path(
        "<int:pk>/comments/<int:comment_pk>/edit/",
        views.comment_edit,
        name="comment_edit",
    ),
    path(
        "<int:pk>/comments/<int:comment_pk>/react/",
        views.comment_react,
        name="comment_react",
    ),
    path(
        "<int:pk>/comments/<int:comment_pk>/flag/",
        views.comment_flag,
        name="comment_flag",
    ),
    path(
        "<int:pk>/comments/<int:comment_pk>/hide/",
        views.comment_hide,
        name="comment_hide",
    ),
    path(
        "<int:pk>/comments/<int:comment_pk>/respond/",
        views.comment_respond,
        name="comment_respond",
    ),
    path(
        "<int:pk>/campaigns/<int:campaign_pk>/respond/",
        views.campaign_respond,
        name="campaign_respond",
    ),
    path("<int:pk>/polls/new/", views.poll_create, name="poll_create"),
    path("<int:pk>/polls/<int:poll_pk>/answer/", views.poll_answer, name="poll_answer"),
    path("<int:pk>/statements/", views.statement_create, name="statement_create"),
    path(
        "<int:pk>/statements/<int:statement_pk>/approve/",
        views.statement_approve,
        name="statement_approve",
    ),
    path(
        "<int:pk>/statements/<int:statement_pk>/vote/",
        views.statement_vote,
        name="statement_vote",
    ),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report/print/", views.report_print, name="report_print"),
    path("<int:pk>/report/comments.csv", views.report_csv, name="report_csv"),
    path("<int:pk>/report/publish/", views.report_publish, name="report_publish"),
]
