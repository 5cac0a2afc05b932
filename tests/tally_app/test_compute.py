"""The tally task: counting the closed board (issue #4 item 6, SPEC §7)."""

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from ballots.errors import ElectionError
from ballots.models import Election, ElectionEvent
from ballots.selectors import board_entries
from config.asgi import application
from tally.models import ElectionTally
from tally.selectors import (
    closed_board_entries,
    stored_aggregates,
    stored_counted,
)
from tally.services import tally_compute, tally_request
from tally.tasks import tally_compute as tally_compute_task
from tests.ballots.helpers import Setup, make_open, otp_login
from tests.tally_app.helpers import cast_votes
from votecrypto.tally import compute_tally

pytestmark = pytest.mark.django_db


def test_compute_stores_the_counted_set_and_aggregates(closed: Setup) -> None:
    """The stored aggregates are compute_tally's over the closed board."""
    tally = tally_compute(election=closed.election)
    closed.election.refresh_from_db()
    assert closed.election.state == Election.State.AWAITING_TRUSTEES
    entries = closed_board_entries(election=closed.election)
    expected = compute_tally(closed.manifest, entries, jobs=1)
    # audit at 0, casts at 1-4 (voter 1's first ballot at 2 superseded), close 5
    assert stored_counted(tally) == (1, 3, 4) == expected.counted
    assert stored_aggregates(tally) == expected.aggregates
    assert tally.tree_size == 6
    assert entries[-1].type == "close"
    assert tally.invalid_json == "{}"
    actions = list(
        ElectionEvent.objects.filter(election=closed.election, action="transition")
        .order_by("id")
        .values_list("to_state", flat=True)
    )
    assert actions[-2:] == ["tallying", "awaiting_trustees"]


def test_compute_task_is_idempotent(closed: Setup) -> None:
    """Running the task twice counts once: one row, one transition each."""
    assert tally_compute_task(closed.election.pk) == 3
    first = ElectionTally.objects.get(election=closed.election)
    events = ElectionEvent.objects.filter(election=closed.election).count()
    assert tally_compute_task(closed.election.pk) == 3
    assert ElectionTally.objects.filter(election=closed.election).count() == 1
    assert ElectionTally.objects.get(election=closed.election).pk == first.pk
    assert ElectionEvent.objects.filter(election=closed.election).count() == events


def test_progress_events_are_broadcast(
    closed: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count reports tally.progress to tally-<election> as it advances."""
    sent: list[tuple[str, str, dict[str, Any]]] = []
    monkeypatch.setattr(
        "tally.services.broadcast",
        lambda group, kind, payload: sent.append((group, kind, payload)),
    )
    tally_compute(election=closed.election)
    progress = [payload for group, kind, payload in sent if kind == "tally.progress"]
    assert {group for group, _kind, _payload in sent} == {"tally-city-2027"}
    assert progress[0] == {"stage": "classify", "done": 0, "total": 5}
    assert progress[-1] == {"stage": "classify", "done": 5, "total": 5}


def test_compute_closes_an_open_election_after_voting_ends(make_user: Any) -> None:
    """An open election past voting_ends gets its close entry, then is counted."""
    setup = make_open(make_user)
    cast_votes(setup)
    ends = setup.election.voting_ends_at
    tally = tally_compute(election=setup.election, now=ends + timedelta(seconds=5))
    setup.election.refresh_from_db()
    assert setup.election.state == Election.State.AWAITING_TRUSTEES
    last = board_entries(election=setup.election).last()
    assert last is not None
    assert last.entry_type == "close"
    assert tally.tree_size == last.seq + 1


def test_compute_refuses_while_voting_is_open(make_user: Any) -> None:
    """Before voting_ends nothing is closed or counted."""
    opened = make_open(make_user)
    with pytest.raises(ElectionError) as caught:
        tally_compute(election=opened.election, now=timezone.now())
    assert caught.value.code == "too-early"
    opened.election.refresh_from_db()
    assert opened.election.state == Election.State.OPEN
    assert not ElectionTally.objects.exists()


def test_request_refuses_a_draft(make_user: Any) -> None:
    """Only a closed (or ended open) election can be tallied."""
    from tests.ballots.helpers import make_draft

    setup = make_draft(make_user)
    with pytest.raises(ElectionError) as caught:
        tally_request(election=setup.election, actor=setup.official)
    assert caught.value.code == "wrong-state"


def test_request_queues_the_task_on_commit(
    closed: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    """The official's request runs the count once the transaction commits."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tally_request(election=closed.election, actor=closed.official)
    # The task, then the websocket events it sends itself.
    assert len(callbacks) == 3
    closed.election.refresh_from_db()
    assert closed.election.state == Election.State.AWAITING_TRUSTEES


def test_start_button_and_tally_page(
    closed: Setup, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An official (2FA) starts the tally from the tally page."""
    otp_login(client, closed.official)
    page = client.get("/tally/city-2027/")
    assert page.status_code == 200
    assert b"Close (if needed) and count the board" in page.content
    assert b'data-tally-url="/ws/tally/city-2027/"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tally/city-2027/start/")
    assert response.status_code == 302
    closed.election.refresh_from_db()
    assert closed.election.state == Election.State.AWAITING_TRUSTEES
    page = client.get("/tally/city-2027/")
    assert b"Close (if needed) and count the board" not in page.content


def test_tally_page_needs_an_official(closed: Setup, client: Any) -> None:
    """A voter may not see the official's tally page."""
    client.force_login(closed.voters[0])
    assert client.get("/tally/city-2027/").status_code == 403
    assert client.post("/tally/city-2027/start/").status_code == 403


async def _listen(user_scope: Any, election_id: str) -> tuple[bool, Any]:
    communicator = WebsocketCommunicator(
        application,
        f"/ws/tally/{election_id}/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    communicator.scope["user"] = user_scope
    connected, _ = await communicator.connect()
    first = await communicator.receive_json_from(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, first


@pytest.mark.django_db(transaction=True)
def test_websocket_sends_status_to_officials_only(make_user: Any) -> None:
    """Officials get the tally status on connect; anonymous users are refused."""
    from django.contrib.auth.models import AnonymousUser

    from tests.tally_app.helpers import make_closed

    setup = make_closed(make_user)
    tally_compute(election=setup.election)
    connected, first = async_to_sync(_listen)(setup.official, "city-2027")
    assert connected
    assert first["type"] == "status"
    assert first["status"]["state"] == "awaiting_trustees"
    assert first["status"]["computed"] is True
    connected, _ = async_to_sync(_listen)(AnonymousUser(), "city-2027")
    assert not connected
    connected, _ = async_to_sync(_listen)(setup.voters[0], "city-2027")
    assert not connected


async def _watch_count(official: Any, election: Election) -> list[Any]:
    from asgiref.sync import sync_to_async

    communicator = WebsocketCommunicator(
        application,
        "/ws/tally/city-2027/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    communicator.scope["user"] = official
    connected, _ = await communicator.connect()
    assert connected
    messages = [await communicator.receive_json_from(timeout=5)]
    await sync_to_async(tally_compute)(election=election)
    while not await communicator.receive_nothing(timeout=0.5):
        messages.append(await communicator.receive_json_from(timeout=5))
    await communicator.disconnect()
    return messages


@pytest.mark.django_db(transaction=True)
def test_websocket_relays_the_progress_of_the_count(make_user: Any) -> None:
    """The official's page receives progress, then the new stage."""
    from tests.tally_app.helpers import make_closed

    setup = make_closed(make_user)
    messages = async_to_sync(_watch_count)(setup.official, setup.election)
    assert messages[0]["type"] == "status"
    assert messages[0]["status"]["computed"] is False
    progress = [m for m in messages if m["type"] == "progress"]
    assert progress[-1] == {
        "type": "progress",
        "stage": "classify",
        "done": 5,
        "total": 5,
    }
    states = [m["stage"] for m in messages if m["type"] == "state"]
    assert states == ["tallying", "awaiting_trustees"]


def test_sweep_counts_closed_elections_once(closed: Setup) -> None:
    """The periodic sweep counts a closed election, then has nothing to do."""
    from tally.tasks import tally_sweep

    assert tally_sweep() == ["city-2027"]
    closed.election.refresh_from_db()
    assert closed.election.state == Election.State.AWAITING_TRUSTEES
    assert tally_sweep() == []
