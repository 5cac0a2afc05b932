"""A whole election in headless Chromium, from the voters to the verifier.

Issue #5's end-to-end test: voters sign in, enter their voting codes, vote
in the booth, get verified receipts and find their ballots on the board;
another voter audits a ballot and then casts; when voting has ended an
official closes the election and starts the count on their pages; two
trustees decrypt and upload their shares in their browser console; the
results page shows exactly the counts the voters chose, and the verifier's
report passes.  The key ceremony happened before (Python's dealer on the
trustees' registered keys; the browser's ceremony is test_trustee_console).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from ballots.models import BoardEntry, Election
from tally.selectors import tally_for
from tests.accounts.helpers import PASSWORD
from tests.ballots.helpers import TRUSTEE_PRIVATE_KEYS, Setup, make_open
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.trustee_steps import decrypt_in_browser, sign_in_2fa
from votecrypto.canonical import parse_json
from votecrypto.sharefile import KDF_PBKDF2, write_key_file

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSPHRASE = "the trustees' long passphrase"
MAYOR = ("Alice", "Bob")
PROJECTS = ("Park", "Library", "Bridge")
EXPECTED = {"c1": {"o1": 1, "o2": 1}, "c2": {"o1": 1, "o2": 2, "o3": 2}}
"""What the three voters' cast ballots add up to (the audited one aside)."""


@contextmanager
def clock_moved_to(when: datetime) -> Iterator[None]:
    """Move ``timezone.now()`` of the whole process (the live server's too).

    Closing needs the voting window to have ended; rather than wait for it,
    the test moves the time the server reads.
    """
    real = timezone.now
    offset = when - real()

    def now() -> datetime:
        return real() + offset

    with mock.patch.object(timezone, "now", now):
        yield


def sign_in_on_the_page(page: Any, live_server: Any, user: User, next_url: str) -> None:
    """Sign in through the sign-in form and land on ``next_url``."""
    page.context.clear_cookies()
    page.goto(live_server.url + next_url)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type='submit']")
    assert page.url == live_server.url + next_url


def vote(page: Any, code: str, mayor: int | None, projects: list[int]) -> None:
    """Enter the code and choose (contest 0: mayor or blank; contest 1: projects)."""
    page.wait_for_selector("#booth[data-loaded='true']")
    page.fill("#voting-code", code)
    page.press("#voting-code", "Enter")
    page.wait_for_selector("#step-choose:not([hidden])")
    choose(page, mayor, projects)


def choose(page: Any, mayor: int | None, projects: list[int]) -> None:
    page.check("#choice-0-blank" if mayor is None else f"#choice-0-{mayor}")
    for option in range(3):
        box = f"#choice-1-{option}"
        if option in projects:
            page.check(box)
        else:
            page.uncheck(box)
    page.click("#choose-submit")
    page.wait_for_selector("#step-review:not([hidden])")
    chosen = "(no choice: blank)" if mayor is None else MAYOR[mayor]
    listed = ", ".join(PROJECTS[option] for option in projects)
    assert page.text_content("#review-list") == f"Mayor{chosen}Projects{listed}"


def encrypt(page: Any) -> str:
    page.click("#review-encrypt")
    page.wait_for_selector("#step-tracker:not([hidden])")
    return str(page.text_content("#tracker-display"))


def cast_and_find(page: Any) -> str:
    """Cast, check the verified receipt, find the ballot; return its tracker."""
    page.click("#cast-button")
    page.wait_for_selector("#receipt-verdict[data-verified]")
    verdict = page.locator("#receipt-verdict")
    assert verdict.get_attribute("data-verified") == "true", verdict.text_content()
    tracker = str(page.text_content("#receipt-tracker-full"))
    with page.expect_navigation():
        page.click("#receipt-find")
    page.wait_for_selector("#find-verdict:not([data-verified='pending'])")
    found = page.locator("#find-verdict")
    assert found.get_attribute("data-verified") == "true", found.text_content()
    return tracker


def test_whole_election_from_the_booth_to_the_verified_results(
    live_server: Any,
    make_user: Callable[..., User],
    browser: Any,
    page: Any,
    tmp_path: Path,
) -> None:
    """Browser voters, official and trustees; the published counts are theirs."""
    setup: Setup = make_open(make_user, voters=3)
    election_id = setup.election.election_id
    booth = reverse("ballots:booth", args=[election_id])
    key_files = {}
    for index in (1, 2):
        # The key files the trustees keep (the browser console's variant).
        key_files[index] = tmp_path / f"key-{index}.json"
        key_files[index].write_bytes(
            write_key_file(TRUSTEE_PRIVATE_KEYS[index - 1], PASSPHRASE, kdf=KDF_PBKDF2)
        )

    # Voters 1 and 2 vote and find their ballots.
    trackers = []
    for voter, (mayor, projects) in zip(
        setup.voters[:2], [(0, [0, 1]), (1, [2])], strict=True
    ):
        sign_in_on_the_page(page, live_server, voter, booth)
        vote(page, setup.code_of(voter), mayor, projects)
        encrypt(page)
        trackers.append(cast_and_find(page))

    # Voter 3 audits a ballot, then changes the choices and casts.
    voter = setup.voters[2]
    sign_in_on_the_page(page, live_server, voter, booth)
    vote(page, setup.code_of(voter), 0, [0])
    audited = encrypt(page)
    page.click("#audit-button")
    page.wait_for_selector("#step-audit:not([hidden])")
    assert page.text_content("#audit-tracker") == audited
    page.click("#reencrypt-button")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#review-change")
    page.wait_for_selector("#step-choose:not([hidden])")
    choose(page, None, [1, 2])
    assert encrypt(page) != audited
    trackers.append(cast_and_find(page))

    entries = list(BoardEntry.objects.filter(election=setup.election).order_by("seq"))
    assert [(e.entry_type, e.tracker) for e in entries] == [
        ("cast", trackers[0]),
        ("cast", trackers[1]),
        ("audit", entries[2].tracker),
        ("cast", trackers[2]),
    ]

    with clock_moved_to(setup.election.voting_ends_at + timedelta(minutes=1)):
        # The official closes the election and starts the count.
        sign_in_2fa(browser, live_server, setup.official)
        page.goto(live_server.url + reverse("ballots:detail", args=[election_id]))
        with page.expect_navigation():
            page.click("form:has(input[name='to_state'][value='closed']) button")
        setup.election.refresh_from_db()
        assert setup.election.state == Election.State.CLOSED
        page.goto(live_server.url + reverse("tally:tally", args=[election_id]))
        with page.expect_navigation():
            page.click(
                f"form[action='{reverse('tally:start', args=[election_id])}'] button"
            )
        setup.election.refresh_from_db()
        assert setup.election.state == Election.State.AWAITING_TRUSTEES

        # Trustees 1 and 2 decrypt in their browser console.
        for index in (1, 2):
            sign_in_2fa(browser, live_server, setup.trustees[index - 1])
            if index == 1:
                page.goto(
                    live_server.url + reverse("tally:trustee", args=[election_id])
                )
                page.wait_for_selector("#decrypt-console[data-loaded='true']")
                assert_accessible(page, "the trustee's decryption console", "en")
            decrypt_in_browser(
                page, live_server, election_id, key_files[index], PASSPHRASE
            )
            assert "Your shares were accepted at" in str(
                page.text_content("#upload-status")
            )
        rows = page.locator("#trustee-progress tbody tr").all_inner_texts()
        assert rows == [
            "1. Trustee 1\tyes\tyes\tyes",
            "2. Trustee 2\tyes\tyes\tyes",
            "3. Trustee 3\tyes\tnot yet\tnot yet",
        ]

    setup.election.refresh_from_db()
    assert setup.election.state == Election.State.PUBLISHED
    tally = tally_for(election=setup.election)
    assert tally is not None
    published = parse_json(tally.tally_json)
    assert published["counted"] == [0, 1, 3]
    assert {
        contest["contest_id"]: {o["option_id"]: o["count"] for o in contest["options"]}
        for contest in published["contests"]
    } == EXPECTED
    assert tally.is_verified is True

    page.context.clear_cookies()
    page.goto(live_server.url + reverse("tally:results", args=[election_id]))
    assert (
        "VERIFIED: every step of the verifier passed on the published record."
        in str(page.text_content("main"))
    )
    counts = [
        [cell.strip() for cell in row.split("\t")[:2]]
        for row in page.locator("table.results-chart tbody tr").all_inner_texts()
    ]
    assert counts == [
        ["Alice (o1)", "1"],
        ["Bob (o2)", "1"],
        ["Park (o1)", "1"],
        ["Library (o2)", "2"],
        ["Bridge (o3)", "2"],
    ]
    assert page.page_errors == []
