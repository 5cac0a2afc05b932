"""JSON API URLs of the tally app, under ``/api/elections/``."""

from django.urls import path

from tally import api

app_name = "tally-api"

urlpatterns = [
    path(
        "<slug:election_id>/trustee-shares/",
        api.trustee_shares,
        name="trustee_shares",
    ),
    path("<slug:election_id>/tally/", api.tally_status, name="status"),
]
