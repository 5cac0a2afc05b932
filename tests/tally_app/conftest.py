"""Fixtures of the server-side tally tests."""

from collections.abc import Callable
from typing import Any

import pytest

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


@pytest.fixture
def closed(make_user: Callable[..., User]) -> Setup:  # noqa: F811
    """A closed election: 3 voters cast, one re-voted, one audited."""
    return make_closed(make_user)
