"""Websocket routes of every app, collected in one list."""

from django.urls import path

from ballots.consumers import ElectionConsumer
from frontend.consumers import LiveCountsConsumer
from participation.routing import websocket_urlpatterns as participation_routes
from petitions.routing import websocket_urlpatterns as petitions_websockets
from tally.routing import websocket_urlpatterns as tally_routes

websocket_urlpatterns = [
    path("ws/live/", LiveCountsConsumer.as_asgi()),
    path("ws/elections/<slug:election_id>/", ElectionConsumer.as_asgi()),
    *petitions_websockets,
    *participation_routes,
    *tally_routes,
]
