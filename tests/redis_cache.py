"""A Redis cache of the test's own for integration tests that need one."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.test import override_settings


@contextmanager
def redis_cache(prefix: str) -> Iterator[redis.Redis]:
    """Use the project's Redis cache with key prefix ``prefix``; yield a client.

    Only the keys under ``prefix`` are deleted, before and after: the Redis
    database also holds Celery's queues.
    """
    client = redis.Redis.from_url(os.environ["REDIS_URL"])

    def forget() -> None:
        for key in client.keys(f"{prefix}:*"):
            client.delete(key)

    forget()
    caches = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=caches):
        try:
            yield client
        finally:
            forget()
