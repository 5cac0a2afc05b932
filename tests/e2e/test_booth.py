"""The voting booth in real headless Chromium (issue #5, SPEC §4.1–§6)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from ballots.models import BoardEntry
from tests.ballots.helpers import Setup, make_draft, make_open
from votecrypto.ballot import check_cast_cheap, check_cast_proofs, tracker_display
from votecrypto.canonical import parse_json

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def opened(live_server: Any, make_user: Callable[..., User]) -> Setup:
    """An election open for voting now, with 3 voters."""
    return make_open(make_user)


def open_booth(page: Any, live_server: Any, setup: Setup) -> None:
    """Open the booth and wait until the manifest is loaded and checked."""
    url = live_server.url + reverse("ballots:booth", args=[setup.election.election_id])
    page.goto(url)
    page.wait_for_selector("#booth[data-loaded='true']")


def enter_code(page: Any, code: str) -> None:
    page.fill("#voting-code", code)
    page.press("#voting-code", "Enter")


def choose(page: Any, picks: dict[int, list[int]]) -> None:
    """Tick options by (contest index, option index) with the keyboard-free API."""
    for contest, options in picks.items():
        for option in options:
            page.check(f"#choice-{contest}-{option}")


def encrypt(page: Any) -> str:
    """Continue, review, encrypt; return the displayed tracker."""
    page.click("#choose-submit")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#review-encrypt")
    page.wait_for_selector("#step-tracker:not([hidden])")
    return str(page.text_content("#tracker-display"))


def cast_and_verify(page: Any) -> tuple[int, str]:
    """Cast, wait for the verified receipt; return its seq and full tracker."""
    page.click("#cast-button")
    page.wait_for_selector("#receipt-verdict[data-verified]")
    verdict = page.locator("#receipt-verdict")
    assert verdict.get_attribute("data-verified") == "true", verdict.text_content()
    assert verdict.text_content() == "Your ballot is on the board"
    return int(str(page.text_content("#receipt-seq"))), str(
        page.text_content("#receipt-tracker-full")
    )


def board(setup: Setup) -> list[BoardEntry]:
    return list(BoardEntry.objects.filter(election=setup.election).order_by("seq"))


def test_voter_casts_and_sees_verified_receipt(
    live_server: Any, opened: Setup, page: Any, sign_in: Any
) -> None:
    """A voter enters their code, chooses, casts and sees the receipt verified."""
    voter = opened.voters[0]
    sign_in(voter)
    open_booth(page, live_server, opened)
    assert page.locator("label[for='booth-progress']").is_visible()
    enter_code(page, opened.code_of(voter).lower())
    page.wait_for_selector("#step-choose:not([hidden])")
    assert page.locator("#choice-0-0").get_attribute("type") == "radio"
    assert page.locator("#choice-1-0").get_attribute("type") == "checkbox"
    assert page.locator("#choice-0-blank").is_checked()
    choose(page, {0: [0], 1: [1, 2]})
    page.click("#choose-submit")
    page.wait_for_selector("#step-review:not([hidden])")
    assert page.text_content("#review-list") == "MayorAliceProjectsLibrary, Bridge"
    page.click("#review-encrypt")
    page.wait_for_selector("#step-tracker:not([hidden])")
    shown = str(page.text_content("#tracker-display"))
    assert re.fullmatch(r"([0-9a-f]{4} ){7}[0-9a-f]{4}", shown)

    seq, tracker = cast_and_verify(page)

    entries = board(opened)
    assert [(e.seq, e.entry_type, e.tracker) for e in entries] == [
        (seq, "cast", tracker)
    ]
    assert tracker_display(tracker) == shown
    assert page.text_content("#receipt-tracker") == shown
    href = page.get_attribute("#receipt-find", "href")
    assert href is not None
    assert href.endswith(f"/find/?tracker={tracker}")
    download = page.get_attribute("#receipt-download", "href")
    assert download is not None
    assert download.startswith("blob:")
    manifest = opened.manifest
    check = check_cast_cheap(
        manifest,
        manifest.election_hash,
        None,
        parse_json(entries[0].payload_json),
        entries[0].received_at,
    )
    assert check.reason is None, check.detail
    assert check.ballot is not None
    assert check.tracker == tracker
    assert check_cast_proofs(manifest, manifest.election_hash, check.ballot) is None
    assert page.page_errors == []


def test_booth_refuses_bad_codes_and_choices(
    live_server: Any,
    opened: Setup,
    make_user: Callable[..., User],
    page: Any,
    sign_in: Any,
) -> None:
    """Wrong codes and too many or too few choices are refused; nothing is posted."""
    other = make_draft(make_user, election_id="town-2027", voters=1)
    posts: list[str] = []
    page.on(
        "request",
        lambda request: posts.append(request.url) if request.method == "POST" else None,
    )
    voter = opened.voters[0]
    sign_in(voter)
    open_booth(page, live_server, opened)
    error = page.locator("#voting-code-error")

    enter_code(page, "AAAAA-BBBBB-CCCCC-DDDDD")
    page.wait_for_function(
        "() => document.getElementById('voting-code-error').textContent !== ''"
    )
    assert error.text_content() == "This code is not valid for this election."
    assert page.text_content("#booth-status") == (
        "This code is not valid for this election."
    )

    page.fill("#voting-code", "")
    page.evaluate("document.getElementById('voting-code-error').textContent = ''")
    enter_code(page, other.code_of(other.voters[0]))
    page.wait_for_function(
        "() => document.getElementById('voting-code-error').textContent !== ''"
    )
    assert error.text_content() == "This code is not valid for this election."
    assert page.locator("#step-choose").is_hidden()

    page.evaluate("document.getElementById('voting-code-error').textContent = ''")
    enter_code(page, "not a code")
    page.wait_for_function(
        "() => document.getElementById('voting-code-error').textContent !== ''"
    )
    assert str(error.text_content()).startswith("A voting code has 20 letters")

    enter_code(page, opened.code_of(voter))
    page.wait_for_selector("#step-choose:not([hidden])")
    choose(page, {1: [0, 1, 2]})
    problem = page.locator("#contest-1-error")
    assert problem.text_content() == "“Projects”: you chose 3; choose at most 2."
    page.click("#choose-submit")
    assert page.locator("#step-review").is_hidden()
    assert page.text_content("#choose-error") == (
        "Correct your choices before you continue."
    )
    page.uncheck("#choice-1-0")
    page.uncheck("#choice-1-1")
    page.uncheck("#choice-1-2")
    page.click("#choose-submit")
    assert problem.text_content() == "“Projects”: you chose 0; choose at least 1."
    assert page.locator("#step-review").is_hidden()

    assert posts == []
    assert board(opened) == []
    assert page.page_errors == []


def test_voter_audits_then_casts(
    live_server: Any, opened: Setup, page: Any, sign_in: Any
) -> None:
    """An audited ballot is published; the re-encrypted cast has a new tracker."""
    voter = opened.voters[1]
    sign_in(voter)
    open_booth(page, live_server, opened)
    enter_code(page, opened.code_of(voter))
    page.wait_for_selector("#step-choose:not([hidden])")
    choose(page, {0: [1], 1: [0]})
    audited = encrypt(page)
    page.click("#audit-button")
    page.wait_for_selector("#step-audit:not([hidden])")
    assert page.text_content("#audit-tracker") == audited
    assert page.locator("#openings-body tr").count() == 5
    page.click("#reencrypt-button")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#review-encrypt")
    page.wait_for_selector("#step-tracker:not([hidden])")
    cast_shown = str(page.text_content("#tracker-display"))
    assert cast_shown != audited

    seq, tracker = cast_and_verify(page)

    entries = board(opened)
    assert [(e.seq, e.entry_type) for e in entries] == [(0, "audit"), (1, "cast")]
    assert seq == 1
    assert entries[1].tracker == tracker
    assert tracker_display(entries[0].tracker) == audited
    assert entries[0].tracker != entries[1].tracker
    assert page.page_errors == []


def _active_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement?.id ?? ''"))


def tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until ``element_id`` has the focus (fail if it never does)."""
    for _ in range(limit):
        if _active_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_voter_votes_with_the_keyboard_alone(
    live_server: Any, opened: Setup, page: Any, sign_in: Any
) -> None:
    """Every step of the booth works with Tab, Space and Enter, and each new
    step's heading takes the focus so that screen readers announce it."""
    voter = opened.voters[1]
    sign_in(voter)
    open_booth(page, live_server, opened)
    tab_to(page, "voting-code")
    page.keyboard.type(opened.code_of(voter))
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-choose:not([hidden])")
    assert _active_id(page) == "step-choose-heading"

    # Contest 1 is a radio group: Tab reaches its checked radio ("blank"),
    # and the arrow keys choose within it.
    tab_to(page, "choice-0-blank")
    page.keyboard.press("ArrowUp")
    assert page.locator("#choice-0-blank").is_checked() is False
    tab_to(page, "choice-1-2")
    page.keyboard.press("Space")
    tab_to(page, "choose-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-review:not([hidden])")
    assert _active_id(page) == "step-review-heading"
    review = str(page.text_content("#review-list"))
    assert review.endswith("ProjectsBridge")

    tab_to(page, "review-encrypt")
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-tracker:not([hidden])")
    assert _active_id(page) == "step-tracker-heading"
    tab_to(page, "cast-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-verdict[data-verified='true']")
    assert _active_id(page) == "step-receipt-heading"
    entries = board(opened)
    assert [e.entry_type for e in entries] == ["cast"]
    assert page.page_errors == []
