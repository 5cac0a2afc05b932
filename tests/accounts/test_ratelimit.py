"""The cache-based rate limiter other apps reuse."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from accounts.ratelimit import (
    DEFAULT_RATELIMITS,
    client_ip,
    ratelimit_for,
    ratelimit_hit,
    ratelimit_hits,
    ratelimit_request,
)
from tests.redis_cache import redis_cache


def test_allows_up_to_the_limit_then_refuses() -> None:
    """The first ``limit`` hits pass; later hits in the window do not."""
    assert [ratelimit_hit("k", 3, 60) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_keys_are_independent() -> None:
    """Hits on one key do not count against another."""
    assert ratelimit_hit("a", 1, 60)
    assert not ratelimit_hit("a", 1, 60)
    assert ratelimit_hit("b", 1, 60)


def test_new_window_starts_fresh() -> None:
    """When the window rolls over, the count restarts."""
    with mock.patch("accounts.ratelimit.time.time", return_value=1_000_000.0):
        assert ratelimit_hit("w", 1, 60)
        assert not ratelimit_hit("w", 1, 60)
    with mock.patch("accounts.ratelimit.time.time", return_value=1_000_060.0):
        assert ratelimit_hit("w", 1, 60)


def test_counter_evicted_between_add_and_incr() -> None:
    """A counter evicted mid-hit is recreated as the window's first hit."""
    with mock.patch.object(cache, "incr", side_effect=ValueError("gone")):
        assert ratelimit_hit("evicted", 1, 60)


def test_limit_zero_refuses_everything() -> None:
    """A limit of 0 closes the action."""
    assert not ratelimit_hit("closed", 0, 60)


@pytest.mark.parametrize(("limit", "window"), [(-1, 60), (1, 0)])
def test_bad_arguments(limit: int, window: int) -> None:
    """Negative limits and empty windows are programming errors."""
    with pytest.raises(ValueError, match="window_seconds"):
        ratelimit_hit("x", limit, window)


def test_settings_override_defaults() -> None:
    """``ACCOUNTS_RATELIMITS`` overrides one action, others keep defaults."""
    with override_settings(ACCOUNTS_RATELIMITS={"register": (1, 5)}):
        assert ratelimit_for("register") == (1, 5)
        assert ratelimit_for("confirm") == DEFAULT_RATELIMITS["confirm"]


@override_settings(ACCOUNTS_RATELIMITS={"register": (1, 60)})
def test_ratelimit_request_is_per_client_ip() -> None:
    """Requests are counted per client IP address."""
    factory = RequestFactory()
    first = factory.post("/", REMOTE_ADDR="10.0.0.1")
    second = factory.post("/", REMOTE_ADDR="10.0.0.2")
    assert client_ip(first) == "10.0.0.1"
    assert ratelimit_request(first, "register")
    assert not ratelimit_request(first, "register")
    assert ratelimit_request(second, "register")


def _hits_twice_over(limit: int) -> list[bool]:
    """Hit two keys together; the second key has room for one more hit."""
    return [
        ratelimit_hits([("user:7", limit, 60), ("ip:10.0.0.1", limit + 1, 60)])
        for _ in range(limit + 2)
    ]


def test_hits_on_several_keys_count_every_key() -> None:
    """All keys are counted on every call; the call passes while all are within."""
    assert _hits_twice_over(2) == [True, True, False, False]
    # The second key was counted four times although the first refused.
    assert ratelimit_hit("ip:10.0.0.1", 5, 60) is True
    assert ratelimit_hit("ip:10.0.0.1", 5, 60) is False


@pytest.mark.parametrize(("limit", "window"), [(-1, 60), (5, 0)])
def test_hits_bad_arguments(limit: int, window: int) -> None:
    """Bad limits or windows are refused before anything is counted."""
    with pytest.raises(ValueError, match="limit"):
        ratelimit_hits([("ok", 5, 60), ("bad", limit, window)])
    assert ratelimit_hit("ok", 1, 60) is True


@pytest.mark.integration
def test_hits_on_redis_in_one_round_trip() -> None:
    """On Redis the pipeline counts like the cache path, with expiring keys."""
    with redis_cache("dauys-test-ratelimit") as client:
        assert _hits_twice_over(2) == [True, True, False, False]
        keys = client.keys("dauys-test-ratelimit:*")
        assert len(keys) == 2
        assert all(0 < client.ttl(key) <= 61 for key in keys)
        # The cache reads the same counters.
        assert ratelimit_hit("ip:10.0.0.1", 5, 60) is True
        assert ratelimit_hit("ip:10.0.0.1", 5, 60) is False
