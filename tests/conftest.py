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


REFERENCE_LOADERS = (
    ("accounts.migrations.0002_load_regions", "load_regions"),
    ("accounts.migrations.0003_create_roles", "create_roles"),
    ("petitions.migrations.0002_log_append_only_and_levels", "load_levels"),
)


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Restore the data migrations' rows that a transactional test's flush removed.

    Regions, role groups and petition levels come from data migrations whose
    loaders are idempotent, so they are run again when missing.  (Django's
    ``serialized_rollback`` is no way out: it clashes with the content types
    that the flush's post_migrate signal recreates.)
    """
    if request.node.get_closest_marker("django_db") is None:
        return
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    from petitions.models import Level

    if Level.objects.exists() and Group.objects.filter(name="citizen").exists():
        return
    for module, loader in REFERENCE_LOADERS:
        getattr(importlib.import_module(module), loader)(apps, None)
