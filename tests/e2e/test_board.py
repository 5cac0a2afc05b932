"""The bulletin board page and the audited-ballot checker, in headless Chromium."""

from typing import Any

import pytest
from django.urls import reverse

from ballots.models import BoardEntry
from ballots.selectors import election_turnout
from tests.ballots.helpers import Setup
from tests.e2e.test_accessibility import LANGUAGES, assert_accessible, set_language

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

MATCHES = "The encryption matches the openings: this device encrypted honestly."


def _audit_seq(setup: Setup) -> int:
    entry = BoardEntry.objects.filter(
        election=setup.election, entry_type=BoardEntry.Type.AUDIT
    ).first()
    assert entry is not None
    return entry.seq


def test_audit_checker_shows_the_openings_match(
    live_server: Any, published: Setup, page: Any
) -> None:
    seq = _audit_seq(published)
    path = reverse("ballots:audit_check", args=[published.election.election_id, seq])
    page.goto(live_server.url + path)
    page.wait_for_selector("#audit-verdict:not([data-verified='pending'])")
    verdict = page.locator("#audit-verdict")
    assert verdict.get_attribute("data-verified") == "true", page.text_content("main")
    assert verdict.text_content() == MATCHES
    assert page.locator("#audit-alert").text_content() == ""
    choices = page.text_content("#audit-choices")
    assert "not selected" in choices
    assert page.locator("#audit-choices-list li").count() == 5
    assert page.page_errors == []


def test_board_page_lists_entries_and_turnout(
    live_server: Any, published: Setup, page: Any
) -> None:
    election = published.election
    turnout = election_turnout(election=election)
    page.goto(live_server.url + reverse("ballots:board", args=[election.election_id]))
    rows = page.locator("#board-entries tbody tr")
    assert rows.count() == BoardEntry.objects.filter(election=election).count()
    voters = page.locator("#turnout [data-turnout='voters']")
    assert voters.text_content() == str(turnout.voters)
    assert page.locator("#turnout").get_attribute("aria-live") == "polite"
    seq = _audit_seq(published)
    page.click(f"a[href$='/audits/{seq}/']")
    page.wait_for_selector("#audit-verdict[data-verified='true']")
    assert page.page_errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_board_audit_and_results_are_accessible(
    live_server: Any, published: Setup, browser: Any, page: Any, language: str
) -> None:
    election_id = published.election.election_id
    set_language(browser, live_server, language)
    pages = [
        ("bulletin board", reverse("ballots:board", args=[election_id])),
        (
            "audited ballot",
            reverse("ballots:audit_check", args=[election_id, _audit_seq(published)]),
        ),
        ("results", reverse("tally:results", args=[election_id])),
    ]
    for what, path in pages:
        page.goto(live_server.url + path)
        if what == "audited ballot":
            page.wait_for_selector("#audit-verdict[data-verified='true']")
        assert_accessible(page, what, language)
    assert page.page_errors == []
