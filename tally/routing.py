"""Websocket routes of the tally app."""

from django.urls import path

from tally.consumers import TallyConsumer

websocket_urlpatterns = [
    path("ws/tally/<slug:election_id>/", TallyConsumer.as_asgi()),
]
