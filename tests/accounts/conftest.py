"""Fixtures for the ``accounts`` tests: users per role, TOTP codes."""

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from accounts.identity import generate_kz_iin
from accounts.models import Region, User
from accounts.roles import assign_role
from accounts.services import user_create
from tests.accounts.helpers import PASSWORD


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache; start every test from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rng() -> random.Random:
    """A seeded random generator, for reproducible identity numbers."""
    return random.Random(20240601)


@pytest.fixture
def astana(db: None) -> Region:
    """The Astana region row loaded by the data migration."""
    return Region.objects.get(code="astana")


@pytest.fixture
def make_user(db: None, rng: random.Random) -> Callable[..., User]:
    """Return a factory: ``make_user(role=None, email=..., verified=True, ...)``."""
    counter = iter(range(1, 10_000))

    def factory(
        *, role: str | None = None, verified: bool = True, **fields: Any
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
