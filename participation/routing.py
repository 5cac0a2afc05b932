"""Websocket routes of the consultation pages."""

from django.urls import path

from participation.consumers import ConsultationConsumer

websocket_urlpatterns = [
    path("ws/consultations/<int:pk>/", ConsultationConsumer.as_asgi()),
]
