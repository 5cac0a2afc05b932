"""Consultation pages in headless Chromium: live opinion map, editing details.

The pages are served by the ASGI server of :mod:`tests.e2e.asgi`.  For the
map, a second tab votes on a statement through that server, whose eager
task stores the new map and pushes ``opinion.updated`` to the first tab's
socket.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN, OFFICIAL
from participation.models import (
    Consultation,
    ConsultationEvent,
    OpinionMapResult,
    Statement,
)
from participation.services import consultation_publish, statement_create
from tests.e2e.asgi import asgi_live_url
from tests.e2e.conftest import session_cookie, use_session
from tests.e2e.test_accessibility import assert_accessible
from tests.participation.conftest import BODY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

# The consultation socket sends nothing on joining: count opened sockets.
COUNT_SOCKET_OPENS = """
window.socketsOpen = 0;
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("open", () => { window.socketsOpen += 1; });
  }
};
"""


@dataclass
class Setup:
    consultation: Consultation
    statement: Statement
    voter_cookie: str
    official_cookie: str


@pytest.fixture
def asgi_url(transactional_db: None) -> str:
    """The ASGI live server's base URL (it shares the test database)."""
    return asgi_live_url()


@pytest.fixture
def setup(asgi_url: str, make_user: Callable[..., User], settings: Any) -> Setup:
    """An open consultation with one statement and a voter (before the browser)."""
    settings.PARTICIPATION_DEBOUNCE_SECONDS = 0
    official = make_user(role=OFFICIAL)
    now = timezone.now()
    consultation = consultation_publish(
        author=official,
        title="Parks law",
        summary="Rules for public parks.",
        department="Ministry of Ecology",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
        body=BODY,
    )
    statement = statement_create(
        consultation=consultation, author=official, text="Parks need more light."
    )
    return Setup(
        consultation,
        statement,
        session_cookie(make_user(role=CITIZEN)),
        session_cookie(official, two_factor=True),
    )


def test_opinion_map_appears_without_reload(
    asgi_url: str, setup: Setup, browser: Any, page: Any
) -> None:
    """A vote in another tab brings the new map and a polite announcement."""
    detail = asgi_url + reverse("participation:detail", args=[setup.consultation.pk])
    page.add_init_script(COUNT_SOCKET_OPENS)
    page.goto(detail)
    results = page.locator("#opinion-results")
    assert results.inner_text().strip() == ""
    announcer = page.locator("#live-announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.wait_for_function("() => window.socketsOpen >= 1")

    use_session(browser, asgi_url, setup.voter_cookie)
    other = browser.new_page()
    other.goto(detail)
    other.click(f"#statement-{setup.statement.pk} button[value='1']")
    other.wait_for_url(f"{detail}#statement-{setup.statement.pk}")
    other.close()

    summary = page.locator("#opinion-results [data-opinion-summary]")
    summary.wait_for()
    assert summary.inner_text().startswith("Based on 1 participant (updated ")
    assert results.locator("h4").inner_text() == "Group 1 (1 people)"
    page.wait_for_selector("#live-announcer:has-text('The opinion map was updated.')")
    assert announcer.inner_text() == (
        f"The opinion map was updated. {summary.inner_text()}"
    )
    assert navigations == []
    assert page.page_errors == []
    assert OpinionMapResult.objects.get().vote_count == 1
    assert_accessible(page, "consultation with a live opinion map", "en")


def test_official_edits_then_deletes_an_untouched_consultation(
    asgi_url: str, setup: Setup, browser: Any, page: Any
) -> None:
    """From the manage page: edit the closing time, then delete the draft."""
    pk = setup.consultation.pk
    use_session(browser, asgi_url, setup.official_cookie)
    page.goto(asgi_url + reverse("participation:manage", args=[pk]))
    page.click("text=Edit details")
    page.wait_for_url(asgi_url + reverse("participation:edit", args=[pk]))
    assert page.get_attribute("#id_starts_at", "readonly") == ""
    assert_accessible(page, "consultation edit form", "en")
    page.fill("#id_ends_at", "2020-01-01T10:00")
    page.click("main form button[type='submit']")
    page.wait_for_selector("text=The consultation must close after it opens.")
    assert_accessible(page, "consultation edit form with an error", "en")
    page.fill("#id_ends_at", "2099-01-01T10:00")
    page.fill("#id_title", "Parks law, second reading")
    page.click("main form button[type='submit']")
    page.wait_for_selector("text=The consultation's details are saved.")
    assert page.locator("text=Title: “Parks law” → “Parks law, second reading”").count()
    changes = ConsultationEvent.objects.get().changes
    assert changes["ends_at"][1].startswith("2099-01-01")

    page.click("main a:text('Delete this consultation')")
    page.wait_for_selector("text=This cannot be undone.")
    assert_accessible(page, "consultation delete confirmation", "en")
    page.click("main form button[type='submit']")
    page.wait_for_selector(
        "text=The consultation “Parks law, second reading” is deleted."
    )
    assert not Consultation.objects.filter(pk=pk).exists()
    assert page.page_errors == []
