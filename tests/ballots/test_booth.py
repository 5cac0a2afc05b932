"""The voting booth page: who may open it (issue #5)."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.ballots.helpers import Setup

pytestmark = pytest.mark.django_db


def booth_url(setup: Setup) -> str:
    return reverse("ballots:booth", args=[setup.election.election_id])


def test_anonymous_is_sent_to_sign_in(client: Client, opened: Setup) -> None:
    """An anonymous visitor is redirected to the sign-in page, then back."""
    response = client.get(booth_url(opened))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:login") + "?next=" + booth_url(opened)
    )


def test_voter_not_on_roll_gets_a_message(
    client: Client, opened: Setup, make_user: Callable[..., User]
) -> None:
    """A signed-in citizen who is not on the roll sees why, and no booth."""
    client.force_login(make_user(role="citizen"))
    response = client.get(booth_url(opened))
    assert response.status_code == 403
    content = response.content.decode()
    assert "You are not on this election&#x27;s voter roll." in content
    assert 'id="booth"' not in content
    assert "booth.js" not in content


def test_unverified_account_gets_a_message(
    client: Client, opened: Setup, make_user: Callable[..., User]
) -> None:
    """An account that may not vote at all is told so."""
    client.force_login(make_user(role="citizen", verified=False))
    response = client.get(booth_url(opened))
    assert response.status_code == 403
    assert "Your account may not vote." in response.content.decode()


def test_voter_on_roll_gets_the_booth(client: Client, opened: Setup) -> None:
    """A voter on the roll gets the booth with its URLs and strings."""
    client.force_login(opened.voters[0])
    response = client.get(booth_url(opened))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-election-hash="{opened.election.election_hash}"' in content
    assert '<script id="booth-strings" type="application/json">' in content
    assert "js/booth.js" in content
    assert "You can vote again; only your last ballot counts." in content


def test_closed_election_gets_a_message(client: Client, opened: Setup) -> None:
    """Outside the voting window the booth says the election is not open."""
    opened.election.state = "closed"
    opened.election.save(update_fields=["state"])
    client.force_login(opened.voters[0])
    response = client.get(booth_url(opened))
    assert response.status_code == 403
    assert "This election is not open for voting." in response.content.decode()
