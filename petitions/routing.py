"""Websocket routes of the petitions app."""

from django.urls import path

from petitions.consumers import PetitionCountConsumer

websocket_urlpatterns = [
    path("ws/petitions/<int:pk>/", PetitionCountConsumer.as_asgi()),
]
