"""Live comments over the consultation websocket (in-memory channel layer)."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from config.asgi import application
from participation.models import Consultation, OpinionMapResult
from participation.services import comment_create, statement_create, statement_vote
from participation.tasks import opinion_map_compute as opinion_map_compute_task

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


async def _receive_opinion_map(
    consultation: Consultation, official: User, citizen: User
) -> list[dict[str, object]]:
    communicator = WebsocketCommunicator(
        application, f"/ws/consultations/{consultation.pk}/", headers=HEADERS
    )
    connected, _ = await communicator.connect()
    assert connected
    try:
        statement = await sync_to_async(statement_create)(
            consultation=consultation, author=official, text="Parks need light."
        )
        # The vote enqueues the (eager, undebounced) task once it commits.
        await sync_to_async(statement_vote)(statement=statement, user=citizen, value=1)
        first = await communicator.receive_json_from(timeout=5)
        await sync_to_async(opinion_map_compute_task.delay)(consultation.pk)
        second = await communicator.receive_json_from(timeout=5)
        assert await communicator.receive_nothing()
    finally:
        await communicator.disconnect()
    return [first, second]


@pytest.mark.django_db(transaction=True)
def test_stored_opinion_map_is_pushed(
    consultation: Consultation, official: User, citizen: User
) -> None:
    """Each map the task stores is announced to the page with its timestamp."""
    messages = async_to_sync(_receive_opinion_map)(consultation, official, citizen)
    stored = OpinionMapResult.objects.get(consultation=consultation)
    assert [message["type"] for message in messages] == ["opinion.updated"] * 2
    assert messages[1]["payload"] == {
        "vote_count": 1,
        "groups": 1,
        "computed_at": stored.computed_at.isoformat(),
    }
