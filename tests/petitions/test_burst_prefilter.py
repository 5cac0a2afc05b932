"""Burst alerts with Redis: counters rule out quiet ranges before the database."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import ratelimit
from accounts.models import User
from accounts.ratelimit import recent_counts
from petitions.models import BurstAlert, Petition
from petitions.services import petition_sign
from tests.redis_cache import redis_cache as use_redis_cache

PREFIX = "dauys-test-bursts"


@pytest.fixture
def redis_cache() -> Iterator[redis.Redis]:
    """Use a Redis cache with this test's own key prefix; forget its keys after."""
    with use_redis_cache(PREFIX) as client:
        yield client


def test_recent_counts_needs_redis() -> None:
    """Without Redis nothing is counted and the caller counts in the database."""
    assert recent_counts(["a", "b"], 600) is None
    with pytest.raises(ValueError, match="window_seconds"):
        recent_counts(["a"], 0)


@pytest.mark.integration
def test_recent_counts_add_the_previous_window(
    redis_cache: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key counts on its own, and the last window's events still count."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 6_000.0)
    assert recent_counts(["range", "domain"], 600) == [1, 1]
    assert recent_counts(["range"], 600) == [2]
    monkeypatch.setattr(ratelimit.time, "time", lambda: 6_600.0)
    assert recent_counts(["range", "domain"], 600) == [3, 2]
    monkeypatch.setattr(ratelimit.time, "time", lambda: 7_200.0)
    # Two windows later the first one is no longer counted.
    assert recent_counts(["range"], 600) == [2]
    keys = redis_cache.keys(f"{PREFIX}:*")
    assert keys
    assert all(0 < redis_cache.ttl(key) <= 1201 for key in keys)


@pytest.mark.integration
def test_alerts_with_redis_match_the_database_count(
    redis_cache: redis.Redis,
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """An alert opens at the limit and counts on, as without Redis.

    A signature from a quiet range and domain costs the check no query.
    """
    settings.PETITIONS_BURST_IP_LIMIT = 3
    petition = make_petition()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            petition_sign(petition=petition, user=make_user(), ip="203.0.113.9")
    alert = BurstAlert.objects.get(petition=petition, kind="ip")
    assert (alert.key, alert.signatures) == ("203.0.113.0/24", 5)
    quiet = make_user()
    with django_capture_on_commit_callbacks() as callbacks:
        petition_sign(petition=petition, user=quiet, ip="198.51.100.1")
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert [q["sql"] for q in queries.captured_queries] == []
    alert.refresh_from_db()
    assert alert.signatures == 5
    assert BurstAlert.objects.filter(petition=petition).count() == 1
