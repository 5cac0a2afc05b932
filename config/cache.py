"""Django's Redis cache, keeping one client object per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` client for every cache
call (the connections themselves are pooled).  Building one costs more CPU
than the ``GET`` it sends, and sessions (``cached_db``) read the cache on
every request, so this backend builds each client once.  A client is safe
to share between threads; its pool notices a fork and reconnects.
"""

from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        # Django's own (private) pool selection and client class.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            make = self._client  # type: ignore[attr-defined]
            client = self._clients[id(pool)] = make(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with reused clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        """Configure the cache as Django's Redis cache does."""
        super().__init__(server, params)
        self._class = _ReusingClient

    def client(self) -> redis.Redis:
        """Return the (reused) client of the cache's Redis, for pipelines.

        Keys sent through it directly must be made with
        ``make_and_validate_key``, as the cache makes its own.
        """
        client: redis.Redis = self._cache.get_client(write=True)
        return client
