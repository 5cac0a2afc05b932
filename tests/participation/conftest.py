"""Fixtures for the consultation tests: people, a clock, a consultation."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import CITIZEN, MODERATOR, OFFICIAL
from participation.models import Consultation
from participation.services import consultation_publish
from tests.accounts.conftest import make_user, rng

__all__ = ["make_user", "rng"]

BODY = """# General provisions
This law governs the use of public parks.

Parks are open from six in the morning until midnight.

# Rules
Dogs must be kept on a leash at all times.

Cycling is allowed on marked paths only.
"""


@pytest.fixture(autouse=True)
def _isolated(settings: Any) -> Iterator[None]:
    """Start from an empty cache (rate limits, debounce) and no debounce."""
    settings.PARTICIPATION_DEBOUNCE_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def official(make_user: Callable[..., User]) -> User:
    """An official (the services check the role, the views also 2FA)."""
    return make_user(role=OFFICIAL, full_name="Aigerim Official")


@pytest.fixture
def moderator(make_user: Callable[..., User]) -> User:
    """A moderator."""
    return make_user(role=MODERATOR, full_name="Marat Moderator")


@pytest.fixture
def citizen(make_user: Callable[..., User]) -> User:
    """A citizen with a confirmed e-mail address."""
    return make_user(role=CITIZEN, full_name="Dana Citizen")


@pytest.fixture
def other_citizen(make_user: Callable[..., User]) -> User:
    """A second citizen."""
    return make_user(role=CITIZEN, full_name="Yerlan Citizen")


@pytest.fixture
def make_consultation(official: User) -> Callable[..., Consultation]:
    """Return a factory of consultations open now (opened a day ago)."""

    def factory(**fields: Any) -> Consultation:
        now = timezone.now()
        values: dict[str, Any] = {
            "author": official,
            "title": "Parks law",
            "summary": "Rules for public parks.",
            "department": "Ministry of Ecology",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=30),
            "body": BODY,
            "now": now - timedelta(days=2),
        }
        values.update(fields)
        return consultation_publish(**values)

    return factory


@pytest.fixture
def consultation(make_consultation: Callable[..., Consultation]) -> Consultation:
    """An open consultation with the four-paragraph :data:`BODY`."""
    return make_consultation()


def login_verified(client: Client, user: User) -> Client:
    """Sign ``user`` in with a TOTP-verified session (as after the 2FA step)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
