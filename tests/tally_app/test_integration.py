"""The whole tally on PostgreSQL with a real Celery worker on Redis."""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from ballots.models import Election
from config.asgi import application
from tally.models import ElectionTally
from tally.services import tally_request
from tests.ballots.helpers import Setup, otp_login
from tests.integration.conftest import Worker
from tests.tally_app.helpers import EXPECTED, trustee_tool_shares, trustee_user
from votecrypto.record import read_record_zip
from votecrypto.verifier import verify_record

pytestmark = pytest.mark.integration


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _state(election: Election) -> str:
    election.refresh_from_db()
    return election.state


@pytest.mark.django_db(transaction=True)
def test_whole_tally_through_the_worker(
    closed: Setup, celery_worker: Worker, client: Client, tmp_path: Path
) -> None:
    """Close → count (worker) → 2 trustees upload → publish and verify (worker)."""
    election = closed.election
    tally_request(election=election, actor=closed.official)
    _wait_for(
        lambda: _state(election) == Election.State.AWAITING_TRUSTEES,
        "the count in the worker",
    )
    for index in (1, 2):
        data = trustee_tool_shares(closed, index, tmp_path / str(index))
        otp_login(client, trustee_user(closed, index))
        response = client.post(
            "/api/elections/city-2027/trustee-shares/",
            data=data,
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    _wait_for(
        lambda: ElectionTally.objects.filter(
            election=election, is_verified__isnull=False
        ).exists(),
        "publication and verification in the worker",
    )
    assert _state(election) == Election.State.PUBLISHED
    tally = ElectionTally.objects.get(election=election)
    assert tally.is_verified is True
    report = verify_record(
        read_record_zip(bytes(tally.record_zip)), allow_test_keys=True, jobs=1
    )
    assert report.verified
    assert report.results == EXPECTED
    page = client.get("/tally/city-2027/results/")
    assert b"VERIFIED: every step of the verifier passed" in page.content
    assert celery_worker.process.poll() is None


def _redis_layers() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }


async def _watch_worker_count(setup: Setup) -> list[Any]:
    communicator = WebsocketCommunicator(
        application,
        "/ws/tally/city-2027/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    communicator.scope["user"] = setup.official
    connected, _ = await communicator.connect()
    assert connected
    messages = [await communicator.receive_json_from(timeout=10)]
    await sync_to_async(tally_request)(election=setup.election, actor=setup.official)
    # The worker is another process: these can only arrive through Redis.
    while messages[-1].get("stage") != "awaiting_trustees":
        messages.append(await communicator.receive_json_from(timeout=60))
    await communicator.disconnect()
    return messages


@pytest.mark.django_db(transaction=True)
def test_worker_progress_reaches_the_officials_page(
    closed: Setup, celery_worker: Worker
) -> None:
    """The count's progress, sent by the worker, reaches a websocket client."""
    with override_settings(CHANNEL_LAYERS=_redis_layers()):
        channel_layers.backends.clear()
        try:
            messages = async_to_sync(_watch_worker_count)(closed)
        finally:
            channel_layers.backends.clear()
    assert messages[0]["type"] == "status"
    progress = [m for m in messages if m["type"] == "progress"]
    assert progress[-1] == {
        "type": "progress",
        "stage": "classify",
        "done": 5,
        "total": 5,
    }
    assert [m["stage"] for m in messages if m["type"] == "state"] == [
        "tallying",
        "awaiting_trustees",
    ]
