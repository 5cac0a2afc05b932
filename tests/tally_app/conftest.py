"""Fixtures of the server-side tally tests."""

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from accounts.models import User
from tests.accounts.conftest import _clear_cache, make_user, rng  # noqa: F401
from tests.ballots.helpers import Setup
from tests.integration.conftest import celery_worker  # noqa: F401
from tests.tally_app.helpers import make_closed

BOARD_SECRET = "tally-test-board-key-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _tally_settings(settings: Any) -> None:
    """A board key secret and test keys allowed; no demo ceremony."""
    settings.BOARD_KEY_SECRET = BOARD_SECRET
    settings.BALLOTS_ALLOW_TEST_KEYS = True
    settings.BALLOTS_ALLOW_DEMO_CEREMONY = False


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Restore the regions and role groups a transactional test's flush removed.

    They come from data migrations whose loaders are idempotent.
    (``serialized_rollback`` clashes with the content types that the
    flush's post_migrate recreates.)
    """
    if request.node.get_closest_marker("django_db") is None:
        return
    if Group.objects.filter(name="citizen").exists():
        return
    for module, loader in (
        ("accounts.migrations.0002_load_regions", "load_regions"),
        ("accounts.migrations.0003_create_roles", "create_roles"),
    ):
        getattr(importlib.import_module(module), loader)(apps, None)


@pytest.fixture
def closed(make_user: Callable[..., User]) -> Setup:  # noqa: F811
    """A closed election: 3 voters cast, one re-voted, one audited."""
    return make_closed(make_user)
