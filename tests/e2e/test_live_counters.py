"""Live counters over websockets, in headless Chromium against Daphne (issue #5).

The pages are served by the ASGI server of :mod:`tests.e2e.asgi`, which
also receives the casts, so its in-memory channel layer reaches the
sockets the page holds.  Everything is written before the browser starts
or through HTTP requests to that server.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.roles import CITIZEN, MODERATOR
from ballots import client as voter_client
from ballots.models import BoardEntry
from petitions.models import Level, Petition
from petitions.services import petition_approve, petition_create, petition_submit
from tests.accounts.helpers import PASSWORD
from tests.ballots.helpers import Setup, make_open
from tests.e2e.asgi import COUNT_SOCKET_MESSAGES, asgi_live_url, wait_for_socket_message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def asgi_url(transactional_db: None) -> str:
    """The ASGI live server's base URL (it shares the test database)."""
    return asgi_live_url()


@pytest.fixture
def opened(asgi_url: str, make_user: Callable[..., User]) -> Setup:
    """An election open for voting now, with 2 voters (before the browser)."""
    return make_open(make_user, voters=2)


def _cast(url: str, setup: Setup, voter: User, choices: str) -> int:
    """Cast over HTTP with the command-line client; return the receipt's seq."""
    receipt = voter_client.vote(
        url=url,
        election_id=setup.election.election_id,
        code=setup.code_of(voter),
        choices=choices,
        email=voter.email,
        password=PASSWORD,
    )
    seq = receipt["seq"]
    assert isinstance(seq, int)
    return seq


def test_board_turnout_updates_live_after_a_cast(
    asgi_url: str, opened: Setup, page: Any
) -> None:
    """The open board page shows each new cast's turnout without a reload."""
    election_id = opened.election.election_id
    page.add_init_script(COUNT_SOCKET_MESSAGES)
    page.goto(asgi_url + reverse("ballots:board", args=[election_id]))
    turnout = page.locator("#turnout")
    assert turnout.get_attribute("aria-live") == "polite"
    voters = page.locator("#turnout [data-turnout='voters']")
    size = page.locator("#turnout [data-turnout='tree_size']")
    assert voters.text_content() == "0"
    assert size.text_content() == "0"
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    wait_for_socket_message(page)

    assert _cast(asgi_url, opened, opened.voters[0], "c2=o1") == 0
    page.wait_for_selector("#turnout [data-turnout='voters']:text-is('1')")
    assert size.text_content() == "1"

    assert _cast(asgi_url, opened, opened.voters[1], "c1=o2,c2=o3") == 1
    page.wait_for_selector("#turnout [data-turnout='tree_size']:text-is('2')")
    assert voters.text_content() == "2"
    assert navigations == []
    assert BoardEntry.objects.filter(election=opened.election).count() == 2
    assert page.page_errors == []


@pytest.fixture
def petition(asgi_url: str, make_user: Callable[..., User], settings: Any) -> Petition:
    """An open petition signed by its creator (before the browser)."""
    settings.PETITION_LOG_SEED = "5e" * 32
    creator = make_user(role=CITIZEN)
    draft = petition_create(
        creator=creator,
        title="Clean the Ural river",
        body="Stop the discharge of untreated water into the river.",
        topic="environment",
        level=Level.objects.get(code="national"),
        region=None,
    )
    draft.sponsors_required = 0
    draft.save(update_fields=["sponsors_required"])
    submitted = petition_submit(petition=draft, user=creator)
    return petition_approve(petition=submitted, moderator=make_user(role=MODERATOR))


def test_petition_counter_updates_live_when_someone_signs(
    asgi_url: str,
    petition: Petition,
    make_user: Callable[..., User],
    browser: Any,
    page: Any,
) -> None:
    """A reader's open petition page counts a signature made in another tab."""
    signer = make_user(role=CITIZEN)
    detail = asgi_url + reverse("petitions:detail", args=[petition.pk])
    page.add_init_script(COUNT_SOCKET_MESSAGES)
    page.goto(detail)
    counter = page.locator("[data-petition-count]")
    assert counter.text_content() == "1"
    assert page.locator(".petition-counter").get_attribute("aria-live") == "polite"
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    wait_for_socket_message(page)

    other = browser.new_page()
    other.goto(asgi_url + reverse("accounts:login") + f"?next={detail}")
    other.fill("#id_username", signer.email)
    other.fill("#id_password", PASSWORD)
    other.click("main form button[type='submit']")
    other.wait_for_url(detail)
    other.click("text=Sign this petition")
    other.wait_for_selector("text=You have signed this petition.")
    other.close()

    page.wait_for_selector("[data-petition-count]:text-is('2')")
    assert navigations == []
    petition.refresh_from_db()
    assert petition.signature_count == 2
    assert page.page_errors == []
