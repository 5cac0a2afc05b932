"""The bulletin board: files, verification (V1, V2), append-only rows, pages."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from ballots.models import AppendOnlyError, BoardEntry, SignedHeadRecord
from ballots.services import election_transition, head_publish
from config.asgi import application
from frontend.selectors import home_listing
from tests.ballots.helpers import Setup, body, encrypt
from votecrypto.ballot import make_audit
from votecrypto.canonical import cjson
from votecrypto.heads import ELECTION
from votecrypto.record import RecordFiles
from votecrypto.verifier import verify_record

pytestmark = pytest.mark.django_db


def fill(setup: Setup) -> list[dict]:
    """Cast, audit and re-vote through the API; return the receipts."""
    receipts = []
    url = reverse("ballots-api:cast", args=[setup.election.election_id])
    for voter in setup.voters:
        client = Client()
        client.force_login(voter)
        response = client.post(
            url, body(encrypt(setup, voter)), content_type="application/json"
        )
        assert response.status_code == 201
        receipts.append(json.loads(response.content))
        head_publish(election=setup.election)
    client = Client()
    client.force_login(setup.voters[0])
    audit = make_audit(encrypt(setup, setup.voters[0]))
    response = client.post(
        reverse("ballots-api:audit", args=[setup.election.election_id]),
        cjson(audit),
        content_type="application/json",
    )
    assert response.status_code == 201
    return receipts


def record_files(setup: Setup) -> RecordFiles:
    eid = setup.election.election_id
    client = Client()

    def get(name: str, *args: str) -> bytes:
        response = client.get(reverse(f"ballots-api:{name}", args=[eid, *args]))
        assert response.status_code == 200
        return (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )

    return RecordFiles(
        manifest=get("manifest"),
        board=get("board_jsonl"),
        heads=get("heads_jsonl"),
        tally=None,
    )


def test_board_and_heads_verify(opened: Setup) -> None:
    """V1 passes and V2 finds nothing wrong (only the tally is missing)."""
    receipts = fill(opened)
    election_transition(
        election=opened.election,
        to_state="closed",
        actor=None,
        now=opened.election.voting_ends_at,
    )
    files = record_files(opened)
    report = verify_record(files, allow_test_keys=True, jobs=1)
    steps = {step.step: step for step in report.steps}
    assert steps["V1"].passed, steps["V1"].messages
    assert steps["V2"].messages[0] == (
        "not checked: the tally's board (tally.json unusable, see V5)"
    )
    assert steps["V2"].messages[1].startswith("5 entries, 9 signed heads")
    assert len(steps["V2"].messages) == 2
    lines = files.board.splitlines(keepends=True)
    assert len(lines) == 5
    assert [json.loads(line)["type"] for line in lines] == [
        "cast",
        "cast",
        "cast",
        "audit",
        "close",
    ]
    assert all(line == cjson(json.loads(line)) + b"\n" for line in lines)
    assert [r["seq"] for r in receipts] == [0, 1, 2]


def test_board_page_and_latest_head(opened: Setup) -> None:
    """The paginated board and the latest head are canonical JSON."""
    fill(opened)
    client = Client()
    eid = opened.election.election_id
    page = json.loads(client.get(reverse("ballots-api:board", args=[eid])).content)
    assert page["count"] == 4
    assert [e["seq"] for e in page["entries"]] == [0, 1, 2, 3]
    head = client.get(reverse("ballots-api:head_latest", args=[eid]))
    assert json.loads(head.content)["tree_size"] == 4
    assert (
        client.get(reverse("ballots-api:board", args=[eid]), {"page": 9}).status_code
        == 404
    )


def test_empty_board_has_a_head_of_size_zero(opened: Setup) -> None:
    """Before any ballot the first head has tree_size 0."""
    first = SignedHeadRecord.objects.filter(election=opened.election).first()
    assert first is not None
    assert first.tree_size == 0
    assert first.timestamp <= opened.election.voting_starts_at


def test_board_rows_cannot_be_changed_by_the_application(opened: Setup) -> None:
    """Model and queryset guards refuse updates and deletes."""
    fill(opened)
    entry = BoardEntry.objects.filter(election=opened.election).first()
    assert entry is not None
    entry.payload_json = "{}"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        BoardEntry.objects.filter(election=opened.election).update(payload_json="{}")
    with pytest.raises(AppendOnlyError):
        BoardEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        SignedHeadRecord.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_trigger_refuses_raw_sql(opened: Setup) -> None:
    """Even raw SQL cannot update or delete board rows on PostgreSQL."""
    fill(opened)
    for sql in (
        "UPDATE ballots_boardentry SET payload_json = '{}'",
        "DELETE FROM ballots_boardentry",
        "DELETE FROM ballots_signedheadrecord",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert BoardEntry.objects.filter(election=opened.election).count() == 4


def test_find_my_ballot_page(opened: Setup) -> None:
    """The public page finds a ballot by the tracker's first 32 digits."""
    receipts = fill(opened)
    tracker = receipts[1]["tracker"]
    url = reverse("ballots:find", args=[opened.election.election_id])
    page = Client().get(
        url, {"tracker": " ".join(tracker[i : i + 4] for i in range(0, 32, 4))}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Your ballot is on the board" in text
    assert "<dd>1</dd>" in text
    missing = Client().get(url, {"tracker": "0" * 32}).content.decode()
    assert "No ballot with this tracker is on the board." in missing
    bad = Client().get(url, {"tracker": "xyz"}).content.decode()
    assert "Enter at least 8 hexadecimal digits of the tracker." in bad


def test_election_page_and_home_listing(opened: Setup) -> None:
    """The open election is on the home page and its page shows the log."""
    assert [item.title for item in home_listing().elections] == ["City budget 2027"]
    page = Client().get(reverse("ballots:detail", args=["city-2027"]))
    text = page.content.decode()
    assert opened.election.election_hash in text
    assert '<span data-turnout="voters">0</span>' in text
    assert "ballots/turnout.js" in text
    assert "ready → open" in text


@pytest.mark.django_db(transaction=True)
def test_turnout_is_broadcast_to_the_election_group(make_user) -> None:
    """A cast pushes the turnout to websocket clients of election-<id>."""
    from tests.ballots.helpers import make_open

    setup = make_open(make_user, voters=1)

    async def scenario() -> tuple[dict, dict]:
        communicator = WebsocketCommunicator(
            application,
            "/ws/elections/city-2027/",
            headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
        )
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from()
        from channels.db import database_sync_to_async

        await database_sync_to_async(cast_one)(setup)
        second = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first == {
        "type": "turnout",
        "turnout": {"tree_size": 0, "casts": 0, "voters": 0},
    }
    assert second == {
        "type": "turnout",
        "turnout": {"tree_size": 1, "casts": 1, "voters": 1},
    }


def cast_one(setup: Setup) -> None:
    client = Client()
    client.force_login(setup.voters[0])
    response = client.post(
        reverse("ballots-api:cast", args=["city-2027"]),
        body(encrypt(setup, setup.voters[0])),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_close_then_no_heads_from_the_schedule(opened: Setup) -> None:
    """After close the final head covers the close entry."""
    fill(opened)
    election_transition(
        election=opened.election,
        to_state="closed",
        actor=None,
        now=opened.election.voting_ends_at + timedelta(seconds=5),
    )
    last = SignedHeadRecord.objects.filter(election=opened.election).last()
    assert last is not None
    assert last.tree_size == 5


class RollbackError(Exception):
    """Raised to roll a transaction back."""


def test_tree_cache_survives_a_rolled_back_append(opened: Setup) -> None:
    """A cast rolled back after appending does not corrupt later receipts."""
    from django.db import transaction

    from ballots.services import ballot_cast

    first, second = opened.voters[0], opened.voters[1]
    ballot_cast(election=opened.election, user=first, body=body(encrypt(opened, first)))

    def cast_then_fail() -> None:
        with transaction.atomic():
            ballot_cast(
                election=opened.election,
                user=second,
                body=body(encrypt(opened, second)),
            )
            raise RollbackError

    with pytest.raises(RollbackError):
        cast_then_fail()
    opened.election.refresh_from_db()
    assert opened.election.board_size == 1
    accepted = ballot_cast(
        election=opened.election, user=first, body=body(encrypt(opened, first))
    )
    rows = BoardEntry.objects.filter(election=opened.election).order_by("seq")
    from votecrypto.heads import Receipt
    from votecrypto.merkle import MerkleTree

    tree = MerkleTree(bytes.fromhex(row.leaf_hash) for row in rows)
    receipt = Receipt.from_json(ELECTION, accepted.receipt)
    assert receipt.seq == 1
    assert receipt.head.root_hash == tree.root()
    assert receipt.includes(tree.leaf(1))
