"""The live signature counter over a websocket."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from config.asgi import application
from petitions.models import Petition
from petitions.services import petition_sign

HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]


async def _watch_a_signature(petition: Petition, signer: User) -> tuple[Any, Any]:
    communicator = WebsocketCommunicator(
        application, f"/ws/petitions/{petition.pk}/", headers=HEADERS
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    await database_sync_to_async(petition_sign)(petition=petition, user=signer)
    second = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return first, second


@pytest.mark.django_db(transaction=True)
def test_counter_sent_on_connect_and_after_each_signature(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A page gets the count on connect, then the new count after a signature."""
    petition = make_petition()
    first, second = async_to_sync(_watch_a_signature)(petition, citizen)
    assert first == {
        "type": "count",
        "petition": petition.pk,
        "count": 1,
        "status": "open",
        "log_size": 2,
    }
    assert second == {
        "type": "count",
        "petition": petition.pk,
        "count": 2,
        "status": "open",
        "log_size": 3,
    }


async def _connect(path: str) -> tuple[bool, Any]:
    communicator = WebsocketCommunicator(application, path, headers=HEADERS)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


@pytest.mark.django_db(transaction=True)
def test_counter_refused_for_drafts(make_petition: Callable[..., Petition]) -> None:
    """A draft has no live counter: the socket is closed with 4404."""
    petition = make_petition(phase="draft")
    connected, code = async_to_sync(_connect)(f"/ws/petitions/{petition.pk}/")
    assert (connected, code) == (False, 4404)
