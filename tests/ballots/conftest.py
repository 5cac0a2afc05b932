"""Fixtures of the ballots tests."""

from collections.abc import Callable

import pytest

from accounts.models import User
from config.settings_test import BOARD_KEY_SECRET
from tests.accounts import conftest as accounts_fixtures
from tests.ballots.helpers import Setup, make_draft, make_open
from tests.integration import conftest as integration_fixtures

# The accounts fixtures: users with roles, a seeded generator, a clean cache.
rng = accounts_fixtures.rng
make_user = accounts_fixtures.make_user
_clear_cache = accounts_fixtures._clear_cache
# A real Celery worker on Redis against the test database.
celery_worker = integration_fixtures.celery_worker

# The test settings' board-key secret (config/settings_test.py).
BOARD_SECRET = BOARD_KEY_SECRET


@pytest.fixture
def draft(make_user: Callable[..., User]) -> Setup:
    """A complete draft election with 3 voters."""
    return make_draft(make_user)


@pytest.fixture
def opened(make_user: Callable[..., User]) -> Setup:
    """An election open for voting now, with 3 voters."""
    return make_open(make_user)
