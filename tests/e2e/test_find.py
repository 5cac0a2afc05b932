"""Find my ballot, verified in the browser (SPEC §6, V10), in headless Chromium."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from ballots.models import BoardEntry
from ballots.selectors import head_latest, receipt_json
from ballots.services import ballot_cast
from tests.ballots.helpers import Setup, body, encrypt, make_open
from tests.tally_app.helpers import close, publish
from votecrypto.canonical import cjson

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

VERIFIED = "Your ballot is on the board: verified in this browser"


def _cast(setup: Setup, voter: int, minute: int) -> BoardEntry:
    user = setup.voters[voter]
    ballot_cast(
        election=setup.election,
        user=user,
        body=body(encrypt(setup, user)),
        now=setup.election.voting_starts_at + timedelta(minutes=minute),
    )
    entry = BoardEntry.objects.filter(election=setup.election).order_by("-seq").first()
    assert entry is not None
    return entry


@pytest.fixture
def voted(live_server: Any, make_user: Callable[..., User]) -> Setup:
    """An open election with two casts (built before the browser starts)."""
    setup = make_open(make_user)
    _cast(setup, 0, 1)
    _cast(setup, 1, 2)
    return setup


def find_url(live_server: Any, setup: Setup, tracker: str) -> str:
    path = reverse("ballots:find", args=[setup.election.election_id])
    return f"{live_server.url}{path}?tracker={tracker}"


def test_found_ballot_is_verified_in_the_browser(
    live_server: Any, voted: Setup, page: Any
) -> None:
    entry = BoardEntry.objects.get(election=voted.election, seq=0)
    page.goto(find_url(live_server, voted, entry.tracker))
    page.wait_for_selector("#find-verdict:not([data-verified='pending'])")
    verdict = page.locator("#find-verdict")
    assert verdict.get_attribute("data-verified") == "true", verdict.text_content()
    assert verdict.text_content() == VERIFIED
    assert page.page_errors == []


def test_unknown_tracker_is_not_found(
    live_server: Any, voted: Setup, page: Any
) -> None:
    page.goto(find_url(live_server, voted, "ab" * 32))
    assert "No ballot with this tracker is on the board." in page.text_content("main")
    assert page.locator("#find-verdict").count() == 0
    assert page.page_errors == []


def test_tampered_proof_is_refused_loudly(
    live_server: Any, voted: Setup, page: Any
) -> None:
    """A server sending a wrong inclusion path is caught in the browser."""
    entry = BoardEntry.objects.get(election=voted.election, seq=0)

    def tamper(route: Any) -> None:
        response = route.fetch()
        value = response.json()
        value["inclusion_proof"] = ["00" * 32 for _ in value["inclusion_proof"]]
        route.fulfill(response=response, body=json.dumps(value))

    page.route("**/proofs/inclusion/**", tamper)
    page.goto(find_url(live_server, voted, entry.tracker))
    page.wait_for_selector("#find-verdict:not([data-verified='pending'])")
    verdict = page.locator("#find-verdict")
    assert verdict.get_attribute("data-verified") == "false"
    assert verdict.get_attribute("role") == "alert"
    assert "does NOT verify" in str(verdict.text_content())


@pytest.fixture
def published(live_server: Any, make_user: Callable[..., User]) -> dict[str, Any]:
    """Voter 0 casts twice (a superseded receipt and a counted one); published."""
    setup = make_open(make_user)
    receipts = []
    for minute in (1, 2):
        entry = _cast(setup, 0, minute)
        head = head_latest(election=setup.election)
        assert head is not None
        receipts.append(receipt_json(election=setup.election, entry=entry, head=head))
    _cast(setup, 1, 3)
    close(setup)
    publish(setup)
    return {"setup": setup, "receipts": receipts}


def test_receipt_checked_against_the_record(
    live_server: Any, published: dict[str, Any], page: Any
) -> None:
    """Counted, superseded (loudly), and a forged receipt refused."""
    setup: Setup = published["setup"]
    first, second = published["receipts"]
    page.goto(find_url(live_server, setup, second["tracker"]))
    page.wait_for_selector("#find-verdict[data-verified='true']")
    result = page.locator("#receipt-result")

    def check(receipt: Any) -> None:
        page.fill("#receipt-text", cjson(receipt).decode())
        page.click("#receipt-submit")
        page.wait_for_selector("#receipt-result[data-outcome]")

    check(second)
    assert result.get_attribute("data-outcome") == "counted", result.text_content()
    assert result.text_content() == (
        f"Your ballot was counted (position {second['seq']} on the board)."
    )

    check(first)
    assert result.get_attribute("data-outcome") == "superseded", result.text_content()
    assert result.get_attribute("role") == "alert"
    text = str(result.text_content())
    assert f"position {second['seq']}" in text
    assert "If you did not vote again, report this" in text

    forged = dict(second, seq=first["seq"])
    check(forged)
    assert result.get_attribute("data-verified") == "false"
    assert "does NOT check" in str(result.text_content())
    assert page.page_errors == []
