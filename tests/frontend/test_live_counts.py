"""The live-counts websocket consumer."""

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from frontend.consumers import LIVE_COUNTS_GROUP


async def _connect_and_receive_update() -> tuple[Any, Any]:
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    layer = get_channel_layer()
    await layer.group_send(
        LIVE_COUNTS_GROUP,
        {
            "type": "counts.update",
            "payload": {"consultations": 2, "petitions": 5, "elections": 1},
        },
    )
    second = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return first, second


@pytest.mark.django_db(transaction=True)
def test_live_counts_sent_on_connect_and_relayed() -> None:
    """A client gets the current counts, then every broadcast update."""
    first, second = async_to_sync(_connect_and_receive_update)()
    assert first == {
        "type": "counts",
        "counts": {"consultations": 0, "petitions": 0, "elections": 0},
    }
    assert second == {
        "type": "counts",
        "counts": {"consultations": 2, "petitions": 5, "elections": 1},
    }


async def _connect_from_foreign_origin() -> bool:
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://evil.example")],
    )
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


@pytest.mark.django_db(transaction=True)
def test_live_counts_rejects_foreign_origin() -> None:
    """A websocket opened from another site's page is refused."""
    assert async_to_sync(_connect_from_foreign_origin)() is False
