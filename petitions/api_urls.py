"""Open-data API routes (mounted at ``api/petitions/``)."""

from django.urls import path

from petitions import api

app_name = "petitions_api"

urlpatterns = [
    path("", api.petition_list, name="list"),
    path("export.csv", api.petition_export_csv, name="export_csv"),
    path("<int:pk>/", api.petition_detail, name="detail"),
]
