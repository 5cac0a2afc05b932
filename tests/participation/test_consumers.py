"""Live comments over the consultation websocket (in-memory channel layer)."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from config.asgi import application
from participation.models import Consultation
from participation.services import comment_create

HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]


async def _receive_comment(
    consultation: Consultation, author: User
) -> dict[str, object]:
    communicator = WebsocketCommunicator(
        application, f"/ws/consultations/{consultation.pk}/", headers=HEADERS
    )
    connected, _ = await communicator.connect()
    assert connected
    try:
        comment = await sync_to_async(comment_create)(
            consultation=consultation, author=author, body="Live hello."
        )
        message = await communicator.receive_json_from(timeout=5)
    finally:
        await communicator.disconnect()
    assert message["payload"]["id"] == comment.pk
    return message


@pytest.mark.django_db(transaction=True)
def test_new_comment_reaches_connected_page(
    consultation: Consultation, citizen: User
) -> None:
    """A committed comment is pushed to every socket on the consultation."""
    message = async_to_sync(_receive_comment)(consultation, citizen)
    assert message["type"] == "comment.created"
    payload = message["payload"]
    assert isinstance(payload, dict)
    assert (payload["body"], payload["author"], payload["paragraph_key"]) == (
        "Live hello.",
        "Dana Citizen",
        "",
    )


async def _connect(path: str) -> tuple[bool, object]:
    communicator = WebsocketCommunicator(application, path, headers=HEADERS)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


@pytest.mark.django_db(transaction=True)
def test_unknown_consultation_is_refused() -> None:
    """A socket for a consultation that does not exist is closed."""
    connected, code = async_to_sync(_connect)("/ws/consultations/999999/")
    assert (connected, code) == (False, 4404)
