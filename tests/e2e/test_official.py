"""The official's console in headless Chromium (issue #5).

An official (signed in with TOTP) sets an election up in the browser,
follows the key ceremony, opens and closes it and watches the count live
on the tally page; the results page shows the counts, the record and the
verifier's report.  The steps that are not the official's are done
between the clicks as those people would do them elsewhere: the credential
authority's ``credentials_issue``, the trustees' offline tool
(``python -m tally.trustee``) with their JSON API, a voter's command-line
client (``python -m ballots.client``).

The console runs on the ASGI server of :mod:`tests.e2e.asgi`, so the
turnout and the tally progress arrive over websockets.  What broadcasts
events goes through that server's HTTP API: the test's own thread holds
Playwright's event loop, where ``async_to_sync`` refuses to run.
"""

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN, OFFICIAL, TRUSTEE
from ballots import client as voter_client
from ballots.models import Election
from ballots.services import credentials_issue
from tally import ceremony as ceremony_tool
from tally import trustee as trustee_tool
from tally import verify as verify_tool
from tally.models import ElectionTally
from tests.accounts.helpers import PASSWORD
from tests.ballots.helpers import Setup
from tests.e2e.asgi import COUNT_SOCKET_MESSAGES, asgi_live_url, wait_for_socket_message
from tests.e2e.conftest import session_cookie
from tests.e2e.test_accessibility import assert_accessible
from tests.tally_app.helpers import EXPECTED
from votecrypto.canonical import cjson, parse_json
from votecrypto.sharefile import (
    generate_x25519_private_key,
    write_key_file,
    x25519_public_key,
)
from votecrypto.threshold import CeremonyPublic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

ELECTION_ID = "town-2027"
TEST_KEY_BITS = 1024
PASSPHRASE = "a trustee's long passphrase"


class TrusteeAgent:
    """A trustee at their own computer: the offline tool and the JSON API."""

    def __init__(
        self, index: int, user: User, session: str, folder: Path, url: str = ""
    ) -> None:
        self.index = index
        self.user = user
        self.session = session
        self.folder = folder
        self.url = url
        self.key = generate_x25519_private_key()
        folder.mkdir(parents=True)
        (folder / "key.json").write_bytes(write_key_file(self.key, PASSPHRASE))
        (folder / "pass.txt").write_text(PASSPHRASE + "\n")

    @property
    def public_key(self) -> str:
        return x25519_public_key(self.key).hex()

    def _http(self) -> voter_client.Session:
        http = voter_client.Session(self.url)
        http.set_cookie(django_settings.SESSION_COOKIE_NAME, self.session)
        return http

    def _get(self, http: voter_client.Session, path: str, name: str) -> Path:
        status, body = http.request(path)
        assert status == 200, body
        (self.folder / name).write_bytes(body)
        return self.folder / name

    def _post(self, http: voter_client.Session, path: str, body: bytes) -> Any:
        token = http.csrf_token(reverse("ballots:detail", args=[ELECTION_ID]))
        status, answer = http.post(path, body, token, "application/json")
        assert status in (200, 201), answer
        return json.loads(answer)

    def _tool(self, command: str, *args: str) -> Path:
        out = self.folder / f"{command}-out.json"
        with redirect_stdout(io.StringIO()):
            status = trustee_tool.main(
                [
                    command,
                    "--share-file",
                    str(self.folder / "share.json"),
                    "--key",
                    str(self.folder / "key.json"),
                    "--passphrase-file",
                    str(self.folder / "pass.txt"),
                    *args,
                    "--out",
                    str(out),
                ]
            )
        assert status == 0
        return out

    def register_key(self) -> None:
        """Register the X25519 public key."""
        body = cjson({"x25519_public_key": self.public_key})
        api = reverse("ballots-api:trustee_key", args=[ELECTION_ID])
        assert self._post(self._http(), api, body)["index"] == self.index

    def self_test(self) -> bool:
        """Open the share box and send the test share; return whether it passed."""
        http = self._http()
        self._get(
            http,
            reverse("ballots-api:trustee_share_box", args=[ELECTION_ID]),
            "share.json",
        )
        public = self._get(
            http,
            reverse("ballots-api:ceremony_public", args=[ELECTION_ID]),
            "public.json",
        )
        share = self._tool("selftest", "--public", str(public))
        api = reverse("ballots-api:trustee_test_share", args=[ELECTION_ID])
        return bool(self._post(http, api, share.read_bytes())["self_test_passed"])

    def decrypt(self) -> None:
        """Decrypt the closed board's aggregates and upload the shares."""
        http = self._http()
        board = self._get(
            http, reverse("tally:closed_board", args=[ELECTION_ID]), "board.zip"
        )
        shares = self._tool("decrypt", "--record-dir", str(board), "--jobs", "1")
        api = reverse("tally-api:trustee_shares", args=[ELECTION_ID])
        assert self._post(http, api, shares.read_bytes())["accepted"] is True


@dataclass
class People:
    """The official (with a 2FA session), three trustees and two voters."""

    official: User
    official_session: str
    trustees: list[TrusteeAgent]
    voters: list[User]


@pytest.fixture
def asgi_url(transactional_db: None) -> str:
    """The ASGI live server's base URL (it shares the test database)."""
    return asgi_live_url()


@pytest.fixture
def people(asgi_url: str, make_user: Callable[..., User], tmp_path: Path) -> People:
    """Everyone the official's path needs (made before the browser starts)."""
    official = make_user(role=OFFICIAL, full_name="Olga Official")
    trustees = []
    for index, name in enumerate(("Aigerim", "Bolat", "Dana"), start=1):
        user = make_user(role=TRUSTEE, full_name=f"Trustee {name}")
        trustees.append(
            TrusteeAgent(
                index,
                user,
                session_cookie(user, two_factor=True),
                tmp_path / f"trustee-{index}",
                asgi_url,
            )
        )
    return People(
        official=official,
        official_session=session_cookie(official, two_factor=True),
        trustees=trustees,
        voters=[make_user(role=CITIZEN) for _ in range(2)],
    )


class Clock:
    """Move ``timezone.now()`` of the whole process (the server's threads too).

    Opening and closing an election depend on its voting window; rather
    than wait for it, the test sets the time the server reads.
    """

    def __init__(self) -> None:
        self.real = timezone.now
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.real() + self.offset

    def set(self, when: datetime) -> None:
        self.offset = when - self.real()


@contextmanager
def moved_clock() -> Iterator[Clock]:
    clock = Clock()
    with mock.patch.object(timezone, "now", clock.now):
        yield clock


def local_input(when: datetime) -> str:
    """Return a ``datetime-local`` value (the forms' times are UTC)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def submit(page: Any, button: str = "main form button[type='submit']") -> None:
    """Click a form's submit button and wait for the next page to load."""
    with page.expect_navigation():
        page.click(button)


def move_to(page: Any, label: str) -> None:
    """Press the official's "Move to “label”" button."""
    submit(page, f"button:text-is('Move to “{label}”')")
    errors = page.locator(".messages .message-error").all_text_contents()
    assert errors == []


def state_shown(page: Any) -> str:
    """Return the state in the election page's details list."""
    return str(page.locator("dt:text-is('State') + dd").text_content())


def ceremony_row(page: Any, index: int) -> list[str]:
    """Return trustee ``index``'s row of the key ceremony table."""
    cells = page.locator(f"#ceremony-progress tr[data-trustee='{index}'] td")
    return [str(text).strip() for text in cells.all_text_contents()]


def deal(folder: Path, people: People) -> Path:
    """Run the offline dealer (``python -m tally.ceremony``) on the keys."""
    trustees = folder / "trustees.json"
    trustees.write_text(
        json.dumps(
            [
                {
                    "index": trustee.index,
                    "name": trustee.user.full_name,
                    "x25519_public_key": trustee.public_key,
                }
                for trustee in people.trustees
            ]
        )
    )
    out = folder / "ceremony"
    with redirect_stdout(io.StringIO()):
        status = ceremony_tool.main(
            [
                "--trustees",
                str(trustees),
                "--threshold",
                "2",
                "--bits",
                str(TEST_KEY_BITS),
                "--allow-test-keys",
                "--out",
                str(out),
            ]
        )
    assert status == 0
    return out


def test_official_sets_up_runs_and_counts_an_election(
    asgi_url: str, people: People, browser: Any, page: Any, tmp_path: Path
) -> None:
    """Create, edit, roll, ceremony, open, close and the live count, by clicks."""
    browser.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": people.official_session,
                "url": asgi_url,
            }
        ]
    )
    starts = (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    ends = starts + timedelta(hours=2)

    # Create the election.
    page.goto(asgi_url + reverse("ballots:list"))
    page.click("text=Create an election")
    page.fill("#id_election_id", ELECTION_ID)
    page.fill("#id_title", "Town council")
    page.fill("#id_description", "Who sits on the town council?")
    page.fill("#id_voting_starts_at", local_input(starts))
    page.fill("#id_voting_ends_at", local_input(ends + timedelta(hours=1)))
    page.fill("#id_threshold", "2")
    page.check("#id_is_test_keys")
    submit(page)
    detail = asgi_url + reverse("ballots:detail", args=[ELECTION_ID])
    assert page.url == detail
    assert page.text_content("h1") == "Town council"
    assert state_shown(page) == "draft"

    # Contests and their options.
    for contest_id, title, low, high, options in (
        ("mayor", "Mayor", "0", "1", "alice | Alice\nbob | Bob"),
        ("projects", "Projects", "1", "2", "park | Park\nlibrary | Library"),
    ):
        page.click("text=Add a contest")
        page.fill("#id_contest_id", contest_id)
        page.fill("#id_title", title)
        page.fill("#id_min_selections", low)
        page.fill("#id_max_selections", high)
        page.fill("#id_options", options)
        submit(page)
        assert page.url == detail
    assert page.locator("#contests-heading ~ h3").all_text_contents() == [
        "Mayor (mayor)",
        "Projects (projects)",
    ]

    # Trustees.
    for trustee in people.trustees:
        page.click("text=Add a trustee")
        page.fill("#id_email", trustee.user.email)
        page.fill("#id_name", trustee.user.full_name)
        submit(page)
        assert page.url == detail
    assert ceremony_row(page, 3)[:3] == ["not yet", "not yet", "not yet"]

    # Edit: the form shows the stored times; change the title and the end.
    page.click("text=Edit details")
    assert page.input_value("#id_voting_starts_at") == local_input(starts)
    assert page.locator("#id_election_id").is_disabled()
    page.fill("#id_title", "Town council 2027")
    page.fill("#id_voting_ends_at", local_input(ends))
    submit(page)
    assert page.text_content("h1") == "Town council 2027"
    election = Election.objects.get(election_id=ELECTION_ID)
    assert (election.voting_starts_at, election.voting_ends_at) == (starts, ends)

    # The voter roll, uploaded as a CSV file.
    roll = tmp_path / "roll.csv"
    roll.write_text(
        "identity_number,email,full_name\n"
        + "".join(
            f"{user.identity_number},{user.email},{user.full_name}\n"
            for user in people.voters
        )
    )
    page.click("text=Import the voter roll")
    page.set_input_files("#id_file", str(roll))
    submit(page)
    assert page.url == detail
    assert "2 voters imported." in str(page.text_content(".messages"))
    assert page.locator("dt:text-is('Voters on the roll') + dd").text_content() == "2"

    # Elsewhere: the credential authority issues the codes, the trustees
    # register their keys.
    codes = {
        item.identity_number: item.code
        for item in credentials_issue(election=election, actor=people.official)
    }
    for trustee in people.trustees:
        trustee.register_key()
    page.reload()
    assert page.locator("dt:text-is('Eligible credentials') + dd").text_content() == "2"
    assert [ceremony_row(page, i)[0] for i in (1, 2, 3)] == ["yes", "yes", "yes"]

    # The key ceremony: upload the offline dealer's output.
    move_to(page, "key ceremony")
    assert state_shown(page) == "key ceremony"
    assert "Waiting for the dealer's output" in str(
        page.text_content("#ceremony-status")
    )
    output = deal(tmp_path, people)
    page.click("text=Upload the key ceremony's output")
    page.set_input_files("#id_public", str(output / "public.json"))
    page.set_input_files(
        "#id_shares", [str(output / f"share-{i}.json") for i in (1, 2, 3)]
    )
    submit(page)
    assert page.url == detail
    status = page.locator("#ceremony-status")
    assert status.get_attribute("role") == "status"
    assert " ".join(str(status.text_content()).split()) == (
        "The dealer's output is stored. Self-test: 0 of 2 trustees' test shares "
        "accepted."
    )
    public = CeremonyPublic.from_json(parse_json((output / "public.json").read_bytes()))
    assert page.locator("#manage code").first.text_content() == public.key_hash
    assert [ceremony_row(page, i)[1:] for i in (1, 2, 3)] == [["yes", "not yet"]] * 3
    assert_accessible(page, "election page in the key ceremony", "en")

    # The trustees' self-test, one after the other.
    assert people.trustees[0].self_test() is False
    page.reload()
    assert "Self-test: 1 of 2" in str(status.text_content())
    assert people.trustees[2].self_test() is True
    page.reload()
    assert str(status.text_content()).strip().startswith("The self-test passed")
    assert [ceremony_row(page, i)[2] for i in (1, 2, 3)] == ["yes", "not yet", "yes"]

    # Ready (the manifest is frozen), then open by hand.
    move_to(page, "ready")
    assert state_shown(page) == "ready"
    election = Election.objects.get(election_id=ELECTION_ID)
    assert page.locator("dt:text-is('Election hash') + dd").text_content() == (
        election.election_hash
    )
    move_to(page, "open for voting")
    assert state_shown(page) == "open for voting"
    assert page.locator("text=Vote in this election").is_visible()

    with moved_clock() as clock:
        # A voter casts during the voting window; the official's page
        # counts it live.
        clock.set(starts + timedelta(minutes=5))
        voters = page.locator("#turnout [data-turnout='voters']")
        assert voters.text_content() == "0"
        voter = people.voters[0]
        voter_client.vote(
            url=asgi_url,
            election_id=ELECTION_ID,
            code=codes[voter.identity_number],
            choices="mayor=bob,projects=park",
            email=voter.email,
            password=PASSWORD,
        )
        page.wait_for_selector("#turnout [data-turnout='voters']:text-is('1')")

        # Voting has ended: close, and watch the count on the tally page.
        clock.set(ends + timedelta(minutes=1))
        move_to(page, "closed")
        assert state_shown(page) == "closed"
        page.click("text=Tally progress")
        tally_url = asgi_url + reverse("tally:tally", args=[ELECTION_ID])
        assert page.url == tally_url
        assert page.text_content("#tally-text") == "Not counted yet."
        live = page.locator("#tally-text").locator("xpath=..")
        assert live.get_attribute("aria-live") == "polite"
        frames: list[str] = []
        page.on(
            "websocket",
            lambda socket: socket.on(
                "framereceived", lambda payload: frames.append(payload)
            ),
        )
        page.add_init_script(COUNT_SOCKET_MESSAGES)
        page.reload()
        wait_for_socket_message(page)
        # The count is started from a second tab; the first one follows it.
        other = browser.new_page()
        other.goto(tally_url)
        submit(other, "text=Close (if needed) and count the board")
        assert "The tally has started." in str(other.text_content(".messages"))
        other.close()
        page.wait_for_selector("#tally-counted")

    # What the first tab heard until the count was done (each socket first
    # gets the status as it is: "closed"; the reloaded page's comes later).
    heard = [json.loads(frame) for frame in frames]
    end = [m.get("stage") for m in heard].index("awaiting_trustees")
    before = heard[: end + 1]
    assert {m["status"]["state"] for m in before if m["type"] == "status"} == {"closed"}
    pushed = [m for m in before if m["type"] != "status"]
    assert pushed[0] == {"type": "state", "stage": "tallying", "state": "tallying"}
    assert pushed[-1] == {
        "type": "state",
        "stage": "awaiting_trustees",
        "state": "awaiting_trustees",
    }
    progress = [m for m in pushed if m["type"] == "progress"]
    assert progress
    assert progress[-1]["done"] == progress[-1]["total"]
    assert page.text_content("#tally-counted") == "1"
    assert state_shown(page) == "awaiting trustees"
    assert page.text_content("#tally-shares") == (
        "0 of the 2 needed trustees have uploaded valid shares."
    )
    assert "Publication is automatic" in str(page.text_content("main"))
    assert page.text_content("#tally-verdict") == "Not published yet."
    assert_accessible(page, "tally page", "en")
    tally = ElectionTally.objects.get(election=election)
    assert tally.tree_size == 2  # the cast and the close

    # Two trustees decrypt at home and upload; publication and the verifier
    # follow by themselves, and the tally page follows them.
    people.trustees[0].decrypt()
    page.wait_for_selector(
        "#tally-shares:has-text('1 of the 2 needed trustees have uploaded')"
    )
    people.trustees[2].decrypt()
    page.wait_for_selector("#tally-verdict strong:has-text('Published and VERIFIED')")
    assert page.text_content("#tally-verdict strong") == (
        "Published and VERIFIED: every step of the verifier passed."
    )
    page.click("text=Results, record and verification report")
    assert page.locator("#results-verdict").get_attribute("data-verified") == "true"
    assert "PASS" in str(page.text_content("#verifier-report"))
    assert page.text_content("#verify-command") == (
        f"python -m tally.verify record-{ELECTION_ID}.zip --allow-test-keys"
    )
    assert_accessible(page, "results page", "en")
    mayor = page.locator("table.results-chart").first.locator(
        "tbody tr td:nth-child(2)"
    )
    assert mayor.all_text_contents() == ["0", "1"]
    assert page.page_errors == []


def test_results_page_shows_counts_record_and_verifier_report(
    live_server: Any, published: Setup, page: Any, tmp_path: Path
) -> None:
    """Counts with bars, turnout, the record, the report and how to re-run it."""
    election_id = published.election.election_id
    tally = ElectionTally.objects.get(election=published.election)
    page.goto(live_server.url + reverse("tally:results", args=[election_id]))

    verdict = page.locator("#results-verdict")
    assert verdict.get_attribute("data-verified") == "true"
    assert verdict.get_attribute("role") == "status"
    assert verdict.text_content() == (
        "VERIFIED: every step of the verifier passed on the published record."
    )
    report = str(page.text_content("#verifier-report"))
    assert report == tally.verification_text
    assert "PASS" in report
    assert "FAIL" not in report

    assert page.text_content("#results-turnout") == (
        "Turnout: 3 counted ballots of 3 voters (100.0%)."
    )
    shown = {
        str(table.locator("caption code").text_content()): {
            str(row.locator("th code").text_content()): int(
                str(row.locator("td").first.text_content())
            )
            for row in table.locator("tbody tr").all()
        }
        for table in page.locator("table.results-chart").all()
    }
    assert shown == EXPECTED
    bars = page.locator("table.results-chart").first.locator(
        "svg.results-bar rect:nth-child(2)"
    )
    assert [bars.nth(i).get_attribute("width") for i in range(2)] == ["66.7", "0"]

    record = page.request.get(
        live_server.url + str(page.get_attribute("text=The whole record (ZIP)", "href"))
    )
    assert record.ok
    assert record.headers["content-disposition"] == (
        f'attachment; filename="record-{election_id}.zip"'
    )
    data = record.body()
    assert hashlib.sha256(data).hexdigest() == tally.record_sha256
    assert page.text_content("#record-sha256") == (
        f"SHA-256 of the record ZIP: {tally.record_sha256}"
    )
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == [
        "board.jsonl",
        "heads.jsonl",
        "manifest.json",
        "tally.json",
    ]

    command = str(page.text_content("#verify-command"))
    assert (
        command == f"python -m tally.verify record-{election_id}.zip --allow-test-keys"
    )
    # The command shown works on the downloaded record.
    path = tmp_path / f"record-{election_id}.zip"
    path.write_bytes(data)
    argv = command.split()[3:]
    with redirect_stdout(io.StringIO()) as printed:
        status = verify_tool.main([str(path), *argv[1:]])
    assert status == 0, printed.getvalue()
    assert re.search(r"\bPASS\b", printed.getvalue())
    assert page.page_errors == []
