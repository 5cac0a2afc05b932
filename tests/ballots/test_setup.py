"""Setting elections up: pages, the voter roll, the credentials."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from ballots.errors import ElectionError, RollImportError
from ballots.models import Contest, Credential, Election, Voter
from ballots.services import credentials_issue, election_create, voter_roll_import
from tests.ballots.helpers import Setup, otp_login
from votecrypto.credentials import credential_public_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(make_user):
    return make_user(role="official")


@pytest.fixture
def empty(official) -> Election:
    return election_create(
        actor=official,
        election_id="e1",
        title="E1",
        description="",
        voting_starts_at=datetime(2030, 1, 1, 6, tzinfo=UTC),
        voting_ends_at=datetime(2030, 1, 2, 6, tzinfo=UTC),
        threshold=1,
    )


def test_official_creates_an_election_on_the_page(official, client: Client) -> None:
    """The form creates a draft and records who did it."""
    otp_login(client, official)
    response = client.post(
        reverse("ballots:new"),
        {
            "election_id": "budget-2030",
            "title": "Budget",
            "description": "",
            "voting_starts_at": "2030-03-01T06:00",
            "voting_ends_at": "2030-03-08T18:00",
            "threshold": 2,
        },
    )
    assert response.status_code == 302
    election = Election.objects.get(election_id="budget-2030")
    assert election.state == "draft"
    assert election.created_by == official
    assert election.voting_starts_at == datetime(2030, 3, 1, 6, tzinfo=UTC)
    assert election.events.get().action == "create"


def test_citizen_cannot_create_or_edit(make_user, client: Client, empty) -> None:
    """Only officials manage elections."""
    client.force_login(make_user(role="citizen"))
    assert client.get(reverse("ballots:new")).status_code == 403
    assert client.get(reverse("ballots:edit", args=["e1"])).status_code == 403
    assert client.get(reverse("ballots:roll_import", args=["e1"])).status_code == 403


def test_draft_is_hidden_from_the_public(client: Client, empty) -> None:
    """A draft election is a 404 for everybody but officials."""
    assert client.get(reverse("ballots:detail", args=["e1"])).status_code == 404
    assert client.get(reverse("ballots-api:board", args=["e1"])).status_code == 404


def test_contest_page_adds_a_contest(official, client: Client, empty) -> None:
    """Options come one per line as “id | title”."""
    otp_login(client, official)
    response = client.post(
        reverse("ballots:contest_add", args=["e1"]),
        {
            "contest_id": "c1",
            "title": "Mayor",
            "min_selections": 0,
            "max_selections": 1,
            "options": "o1 | Alice\no2 | Bob\n",
        },
    )
    assert response.status_code == 302
    contest = Contest.objects.get(election=empty)
    assert [(o.option_id, o.title) for o in contest.options.all()] == [
        ("o1", "Alice"),
        ("o2", "Bob"),
    ]


def test_contest_with_bad_bounds_is_refused(official, client: Client, empty) -> None:
    """max_selections above the option count is an error on the form."""
    otp_login(client, official)
    response = client.post(
        reverse("ballots:contest_add", args=["e1"]),
        {
            "contest_id": "c1",
            "title": "Mayor",
            "min_selections": 0,
            "max_selections": 3,
            "options": "o1 | Alice\no2 | Bob\n",
        },
    )
    assert response.status_code == 200
    assert (
        "Need 0 ≤ minimum ≤ maximum ≤ the number of options."
        in response.content.decode()
    )
    assert not Contest.objects.exists()


def test_test_keys_need_the_setting(official, settings) -> None:
    """Without DEBUG or BALLOTS_ALLOW_TEST_KEYS no test-key election."""
    settings.BALLOTS_ALLOW_TEST_KEYS = False
    with pytest.raises(ElectionError) as info:
        election_create(
            actor=official,
            election_id="t1",
            title="T",
            description="",
            voting_starts_at=datetime(2030, 1, 1, tzinfo=UTC),
            voting_ends_at=datetime(2030, 1, 2, tzinfo=UTC),
            is_test_keys=True,
        )
    assert info.value.code == "test-keys-forbidden"


def roll(make_user, count: int) -> list:
    return [make_user(role="citizen") for _ in range(count)]


def test_roll_import_of_a_good_csv(make_user, empty, official) -> None:
    """Every line becomes a voter."""
    people = roll(make_user, 3)
    text = "identity_number,email,full_name\n" + "\n".join(
        f"{p.identity_number},{p.email},{p.full_name}" for p in people
    )
    assert voter_roll_import(election=empty, actor=official, csv_text=text) == 3
    assert sorted(Voter.objects.values_list("identity_number", flat=True)) == sorted(
        p.identity_number for p in people
    )


def test_roll_import_with_one_bad_line_imports_nothing(
    make_user, empty, official
) -> None:
    """Each bad line is reported with its number; no voter is added."""
    people = roll(make_user, 2)
    text = "\n".join(
        [
            "identity_number,email,full_name",
            f"{people[0].identity_number},{people[0].email},A",
            "123,not-an-email,",
            f"{people[1].identity_number},{people[1].email},B",
            f"{people[1].identity_number},{people[1].email},B again",
            "only,two",
        ]
    )
    with pytest.raises(RollImportError) as info:
        voter_roll_import(election=empty, actor=official, csv_text=text)
    assert info.value.errors == [
        (3, "invalid identity number; invalid e-mail address; the name is empty"),
        (5, "identity number repeated in the file"),
        (6, "expected 3 columns: identity number, e-mail, name"),
    ]
    assert not Voter.objects.exists()


def test_roll_page_lists_bad_lines(make_user, empty, official, client: Client) -> None:
    """The page answers 400 and names each bad line."""
    otp_login(client, official)
    upload = SimpleUploadedFile("roll.csv", b"123,x,\n", content_type="text/csv")
    response = client.post(
        reverse("ballots:roll_import", args=["e1"]), {"file": upload}
    )
    assert response.status_code == 400
    assert "Line 1: invalid identity number" in response.content.decode()
    assert not Voter.objects.exists()


def test_issue_credentials_writes_codes_and_stores_only_keys(
    draft: Setup, tmp_path: Path
) -> None:
    """The CSV holds the codes; the server only their public keys, sorted."""
    out = tmp_path / "codes.csv"
    call_command("issue_credentials", "city-2027", "--out", str(out))
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 3
    assert {r["identity_number"] for r in rows} == {
        v.identity_number for v in draft.voters
    }
    stored = list(
        Credential.objects.filter(election=draft.election)
        .order_by("id")
        .values_list("public_key", flat=True)
    )
    assert stored == sorted(stored)
    assert set(stored) == {
        credential_public_key(r["voting_code"], "city-2027").hex() for r in rows
    }
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    # No column anywhere holds a code.
    for credential in Credential.objects.all():
        assert all(r["voting_code"] not in credential.public_key for r in rows)
    with pytest.raises(CommandError):
        call_command("issue_credentials", "city-2027", "--out", str(out))


def test_issue_credentials_needs_a_roll(empty) -> None:
    """No voters, no credentials."""
    with pytest.raises(ElectionError) as info:
        credentials_issue(election=empty)
    assert info.value.code == "no-voters"


def test_setup_is_frozen_after_draft(draft: Setup, client: Client) -> None:
    """Editing after the draft state is refused."""
    from ballots.services import contest_add, election_transition

    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    with pytest.raises(ElectionError) as info:
        contest_add(
            election=draft.election,
            actor=draft.official,
            contest_id="c9",
            title="x",
            min_selections=0,
            max_selections=1,
            options=[("o1", "x")],
        )
    assert info.value.code == "not-draft"


def test_board_key_secret_is_required(settings) -> None:
    """Without BOARD_KEY_SECRET the system check and the signer refuse."""
    from django.core.exceptions import ImproperlyConfigured

    from ballots.checks import check_board_key_secret
    from ballots.services import board_seed

    assert check_board_key_secret() == []
    settings.BOARD_KEY_SECRET = ""
    assert [error.id for error in check_board_key_secret()] == ["ballots.E001"]
    with pytest.raises(ImproperlyConfigured):
        board_seed("city-2027")


def test_board_keys_differ_per_election() -> None:
    """HKDF with the election id gives each election its own board key."""
    from ballots.services import board_seed

    assert board_seed("a-2027") != board_seed("b-2027")
    assert board_seed("a-2027") == board_seed("a-2027")


def test_trustees_need_the_role_and_distinct_names(make_user, empty, official) -> None:
    """Only trustee-role users are seated, each under a distinct name."""
    from ballots.services import trustee_add

    with pytest.raises(ElectionError) as info:
        trustee_add(
            election=empty, actor=official, user=make_user(role="citizen"), name="X"
        )
    assert info.value.code == "not-a-trustee"
    trustee_add(
        election=empty, actor=official, user=make_user(role="trustee"), name="X"
    )
    with pytest.raises(ElectionError) as info:
        trustee_add(
            election=empty, actor=official, user=make_user(role="trustee"), name="X"
        )
    assert info.value.code == "duplicate"
