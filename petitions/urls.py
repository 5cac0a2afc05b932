"""Page routes of the petitions app (mounted at ``petitions/``)."""

from django.urls import path

from petitions import views

app_name = "petitions"

urlpatterns = [
    path("", views.petition_list, name="list"),
    path("new/", views.petition_create, name="create"),
    path("decisions/", views.decision_list, name="decisions"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("officials/", views.official_dashboard, name="dashboard"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/edit/", views.petition_edit, name="edit"),
    path("<int:pk>/submit/", views.petition_submit, name="submit"),
    path("<int:pk>/sponsor/<str:token>/", views.petition_sponsor, name="sponsor"),
    path("<int:pk>/sign/", views.petition_sign, name="sign"),
    path("<int:pk>/withdraw/", views.petition_withdraw, name="withdraw"),
    path("<int:pk>/receipt.json", views.petition_receipt, name="receipt"),
    path("<int:pk>/log.jsonl", views.petition_log, name="log"),
    path("<int:pk>/heads.jsonl", views.petition_heads, name="heads"),
    path("<int:pk>/verify/", views.petition_verify, name="verify"),
    path("<int:pk>/report/", views.petition_report, name="report"),
    path("<int:pk>/moderate/", views.petition_moderate, name="moderate"),
    path("<int:pk>/respond/", views.petition_respond, name="respond"),
]
