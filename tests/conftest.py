"""Suite-wide test configuration.

Tests marked ``integration`` need PostgreSQL (``DATABASE_URL``) and Redis
(``REDIS_URL``).  Without them a developer's run skips those tests and lists
them with the reason; in CI (``CI=true``) a missing service is an error, so
nothing is ever skipped there.
"""

import os
from collections.abc import Iterator

import pytest


def integration_problems() -> list[str]:
    """Return why the integration tests cannot run here (empty if they can)."""
    problems = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        problems.append("DATABASE_URL does not point to PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        problems.append("REDIS_URL is not set")
    return problems


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip (locally) or refuse (in CI) integration tests without the services."""
    problems = integration_problems()
    if not problems:
        return
    wanted = [item for item in items if item.get_closest_marker("integration")]
    if not wanted:
        return
    reason = "integration test skipped: " + "; ".join(problems)
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        raise pytest.UsageError(f"CI must not skip tests, but {reason}")
    for item in wanted:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Start every test in English: a request in another language leaves the
    thread's active language behind, which would leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
