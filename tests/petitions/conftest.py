"""Fixtures for the petitions tests: people per role and petitions per phase."""

import importlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import LazySettings
from django.core.cache import cache

from accounts.identity import generate_kz_iin
from accounts.models import Region, User
from accounts.roles import CITIZEN, MODERATOR, OFFICIAL, assign_role
from accounts.services import user_create
from petitions.models import Level, Petition
from petitions.services import petition_approve, petition_create, petition_submit

PASSWORD = "correct horse battery staple 42"
TEST_SEED = "5e" * 32


@pytest.fixture(autouse=True)
def _log_seed(settings: LazySettings) -> None:
    """Sign heads with a known test key (the settings have none without DEBUG)."""
    settings.PETITION_LOG_SEED = TEST_SEED


def _migration(name: str) -> Any:
    return importlib.import_module(name)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache; start every test from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """Return a factory: ``make_user(role="citizen", verified=True, ...)``."""
    rng = random.Random(20261125)
    counter = iter(range(1, 100_000))

    def factory(
        *, role: str | None = CITIZEN, verified: bool = True, **fields: Any
    ) -> User:
        number = next(counter)
        defaults: dict[str, Any] = {
            "email": f"person{number}@example.org",
            "password": PASSWORD,
            "full_name": f"Person {number}",
            "identity_number": generate_kz_iin(randbelow=rng.randrange),
            "region": Region.objects.get(code="almaty"),
            "preferred_language": "en",
            "email_verified": verified,
        }
        defaults.update(fields)
        user = user_create(**defaults)
        if role is not None:
            assign_role(user=user, role=role)
        return user

    return factory


@pytest.fixture
def citizen(make_user: Callable[..., User]) -> User:
    """A verified citizen."""
    return make_user()


@pytest.fixture
def moderator(make_user: Callable[..., User]) -> User:
    """A moderator (no citizen role)."""
    return make_user(role=MODERATOR)


@pytest.fixture
def official(make_user: Callable[..., User]) -> User:
    """An official."""
    return make_user(role=OFFICIAL)


@pytest.fixture
def national(db: None) -> Level:
    """The national level loaded by the migration."""
    return Level.objects.get(code="national")


@pytest.fixture
def region_level(db: None) -> Level:
    """The region level loaded by the migration."""
    return Level.objects.get(code="region")


@pytest.fixture
def make_petition(
    make_user: Callable[..., User], moderator: User, national: Level
) -> Callable[..., Petition]:
    """Return a factory of petitions in a phase: ``make_petition(phase="open")``."""

    def factory(
        *,
        phase: str = "open",
        creator: User | None = None,
        title: str = "Clean the Ural river",
        level: Level | None = None,
        region: Region | None = None,
        sponsors_required: int = 0,
    ) -> Petition:
        petition = petition_create(
            creator=creator or make_user(),
            title=title,
            body="Stop the discharge of untreated water into the river.",
            topic="environment",
            level=level or national,
            region=region,
        )
        petition.sponsors_required = sponsors_required
        petition.save(update_fields=["sponsors_required"])
        if phase == "draft":
            return petition
        assert petition.creator is not None
        petition = petition_submit(petition=petition, user=petition.creator)
        if phase in ("sponsoring", "moderation"):
            return petition
        return petition_approve(petition=petition, moderator=moderator)

    return factory
