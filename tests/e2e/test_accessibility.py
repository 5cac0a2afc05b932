"""Accessibility (WCAG 2.1 AA) of the voter's pages, checked by axe-core.

axe-core comes bundled in ``axe-playwright-python`` (no download at run
time).  Every page is checked in English, Russian and Kazakh; a violation of
impact "serious" or "critical" fails the test with its id, targets and help.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from tests.ballots.helpers import Setup, make_open
from tests.e2e.test_booth import choose, encrypt, enter_code, open_booth

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

LANGUAGES = ["en", "ru", "kk"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def _axe() -> Any:
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    return axe_module.Axe()


def set_language(browser: Any, live_server: Any, language: str) -> None:
    browser.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def assert_accessible(page: Any, what: str, language: str) -> None:
    """Run axe on the page; fail on serious or critical violations."""
    assert page.get_attribute("html", "lang") == language
    results = _axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": TAGS},
            "resultTypes": ["violations"],
        },
    )
    blocking = [
        violation
        for violation in results.response["violations"]
        if violation.get("impact") in BLOCKING
    ]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; targets: "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in blocking
    )
    assert not blocking, f"{what} [{language}] has accessibility violations:\n{report}"


@pytest.fixture
def opened(live_server: Any, make_user: Callable[..., User]) -> Setup:
    return make_open(make_user)


@pytest.mark.parametrize("language", LANGUAGES)
def test_booth_and_receipt_are_accessible(
    live_server: Any,
    opened: Setup,
    browser: Any,
    page: Any,
    sign_in: Any,
    language: str,
) -> None:
    """The booth (before and after the code) and the receipt."""
    setup = opened
    voter = setup.voters[0]
    sign_in(voter)
    set_language(browser, live_server, language)
    open_booth(page, live_server, setup)
    assert_accessible(page, "booth", language)
    enter_code(page, setup.code_of(voter))
    page.wait_for_selector("#step-choose:not([hidden])")
    assert_accessible(page, "booth choices", language)
    choose(page, {0: [0], 1: [1]})
    encrypt(page)
    cast_and_verify_any(page)
    assert_accessible(page, "receipt", language)
    assert page.page_errors == []


def cast_and_verify_any(page: Any) -> None:
    """Cast and wait for the verified receipt (in any language)."""
    page.click("#cast-button")
    page.wait_for_selector("#receipt-verdict[data-verified='true']")


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_are_accessible(
    live_server: Any, published: Setup, browser: Any, page: Any, language: str
) -> None:
    """The election page, find-my-ballot (with a found ballot), results, board."""
    setup = published
    election_id = setup.election.election_id
    entry = setup.election.board_entries.filter(entry_type="cast").first()
    assert entry is not None
    tracker = entry.tracker
    set_language(browser, live_server, language)
    pages = [
        ("election page", reverse("ballots:detail", args=[election_id])),
        (
            "find my ballot",
            reverse("ballots:find", args=[election_id]) + f"?tracker={tracker}",
        ),
        ("results", reverse("tally:results", args=[election_id])),
        ("bulletin board", reverse("ballots:board", args=[election_id])),
    ]
    for what, path in pages:
        page.goto(live_server.url + path)
        if what == "find my ballot":
            page.wait_for_selector("#find-verdict[data-verified='true']")
        assert_accessible(page, what, language)
    assert page.page_errors == []
