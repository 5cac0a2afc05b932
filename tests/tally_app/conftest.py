"""Fixtures of the server-side tally tests."""

from collections.abc import Callable

import pytest

from accounts.models import User
from tests.accounts.conftest import _clear_cache, make_user, rng  # noqa: F401
from tests.ballots.helpers import Setup
from tests.integration.conftest import celery_worker  # noqa: F401
from tests.tally_app.helpers import make_closed


@pytest.fixture
def closed(make_user: Callable[..., User]) -> Setup:  # noqa: F811
    """A closed election: 3 voters cast, one re-voted, one audited."""
    return make_closed(make_user)
