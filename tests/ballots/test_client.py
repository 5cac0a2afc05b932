"""The command-line voter client against a live server."""

import json
from pathlib import Path

import pytest

from ballots import client as voter_client
from ballots.models import BoardEntry
from tests.accounts.conftest import PASSWORD
from tests.ballots.helpers import make_open

pytestmark = pytest.mark.django_db(transaction=True)


def test_client_casts_and_verifies_the_receipt(
    make_user, live_server, tmp_path: Path, capsys
) -> None:
    """Signing in with e-mail and password, the client casts and checks."""
    setup = make_open(make_user, voters=1)
    voter = setup.voters[0]
    out = tmp_path / "receipt.json"
    status = voter_client.main(
        [
            "--url",
            live_server.url,
            "--election",
            "city-2027",
            "--code",
            setup.code_of(voter).lower(),
            "--choices",
            "c1=o2,c2=o1,c2=o3",
            "--email",
            voter.email,
            "--password",
            PASSWORD,
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    receipt = json.loads(out.read_bytes())
    assert receipt["seq"] == 0
    assert json.loads(captured.out) == receipt
    entry = BoardEntry.objects.get(election=setup.election, seq=0)
    assert entry.tracker == receipt["tracker"]
    assert "cast verified: seq 0" in captured.err


def test_client_reports_a_refused_cast(make_user, live_server, capsys) -> None:
    """A wrong code is refused by the server; the client exits 1."""
    setup = make_open(make_user, voters=1)
    voter = setup.voters[0]
    status = voter_client.main(
        [
            "--url",
            live_server.url,
            "--election",
            "city-2027",
            "--code",
            "AAAAA-BBBBB-CCCCC-DDDDD",
            "--choices",
            "c2=o1",
            "--email",
            voter.email,
            "--password",
            PASSWORD,
        ]
    )
    assert status == 1
    assert "unknown-credential" in capsys.readouterr().err
    assert not BoardEntry.objects.exists()


def test_client_rejects_unknown_choices(make_user, live_server, capsys) -> None:
    """A contest or option not in the manifest is a usage error (2)."""
    setup = make_open(make_user, voters=1)
    voter = setup.voters[0]
    status = voter_client.main(
        [
            "--url",
            live_server.url,
            "--election",
            "city-2027",
            "--code",
            setup.code_of(voter),
            "--choices",
            "c1=o9",
            "--email",
            voter.email,
            "--password",
            PASSWORD,
        ]
    )
    assert status == 2
    assert "has no option 'o9'" in capsys.readouterr().err
