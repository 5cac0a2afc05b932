"""The Redis cache backend reuses its client objects (sessions read it always)."""

import pytest
from django.core.cache import caches

from config.cache import RedisCache
from tests.redis_cache import redis_cache

pytestmark = pytest.mark.integration

PREFIX = "dauys-test-cache"


def test_values_round_trip_through_one_client() -> None:
    """Set, get, add and delete work; every call uses the same client object."""
    with redis_cache(PREFIX):
        cache = caches["default"]
        assert isinstance(cache, RedisCache)
        try:
            cache.set("session", {"user": 7}, 30)
            assert cache.get("session") == {"user": 7}
            assert cache.add("session", "other", 30) is False
            assert cache.add("counter", 0, 30) is True
            assert cache.incr("counter") == 1
            client = cache._cache.get_client()
            assert cache._cache.get_client("session") is client
            assert cache._cache.get_client(write=True) is client  # one server
        finally:
            cache.delete_many(["session", "counter"])
        assert cache.get("session") is None
