"""The suite on the real services: PostgreSQL, Redis and a Celery worker."""

import os
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import override_settings

from config.asgi import application
from frontend.tasks import echo, publish_live_counts
from tests.integration.conftest import Worker

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_database_is_postgresql() -> None:
    """The integration suite runs on PostgreSQL, not the embedded SQLite."""
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        (version,) = cursor.fetchone()
    assert int(version) >= 130000


@pytest.mark.django_db(transaction=True)
def test_celery_round_trip_through_real_worker(celery_worker: Worker) -> None:
    """A task sent through Redis is run by the worker process and answered."""
    result = echo.apply_async(args=[{"hello": "Сәлем"}], queue=celery_worker.queue)
    assert result.get(timeout=60) == {"echo": {"hello": "Сәлем"}}
    assert celery_worker.process.poll() is None


def _redis_layers() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }


async def _receive_broadcast_from_worker(queue: str) -> tuple[Any, Any]:
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=10)
    # The worker is another process: the message can only arrive via Redis.
    from asgiref.sync import sync_to_async

    result = await sync_to_async(publish_live_counts.apply_async)(queue=queue)
    await sync_to_async(result.get)(timeout=60)
    second = await communicator.receive_json_from(timeout=20)
    await communicator.disconnect()
    return first, second


@pytest.mark.django_db(transaction=True)
def test_websocket_message_through_redis_layer(celery_worker: Worker) -> None:
    """A broadcast made in the worker process reaches a connected client."""
    with override_settings(CHANNEL_LAYERS=_redis_layers()):
        channel_layers.backends.clear()
        try:
            first, second = async_to_sync(_receive_broadcast_from_worker)(
                celery_worker.queue
            )
        finally:
            channel_layers.backends.clear()
    counts = {"consultations": 0, "petitions": 0, "elections": 0}
    assert first == {"type": "counts", "counts": counts}
    assert second == {"type": "counts", "counts": counts}
