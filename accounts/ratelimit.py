"""A small fixed-window rate limiter on Django's cache, reusable by any app.

Usage in a view::

    if not ratelimit_hit(f"petition-sign:{client_ip(request)}", 10, 60):
        return ratelimited_response(request)

The cache must be shared by all processes in production (Redis: set
``REDIS_URL``); with the per-process local-memory cache, each worker counts
separately, so the effective limit is multiplied by the number of workers.
"""

import time
from collections.abc import Sequence

import redis
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.cache import RedisCache

KEY_PREFIX = "dauys:ratelimit"

# Default (limit, window in seconds) per action; override any of them with
# ``settings.ACCOUNTS_RATELIMITS = {"register": (5, 3600), ...}``.
DEFAULT_RATELIMITS: dict[str, tuple[int, int]] = {
    "register": (10, 3600),
    "confirm": (30, 3600),
    "resend-confirmation": (5, 3600),
    "password-reset": (10, 3600),
}


def ratelimit_hit(key: str, limit: int, window_seconds: int) -> bool:
    """Record one hit for ``key``; return ``True`` while within ``limit``.

    Counts hits in fixed windows of ``window_seconds``: the ``limit + 1``-th
    hit in a window, and every hit after it, returns ``False``.  The counter
    is incremented atomically on Redis and Memcached (and under a lock in the
    local-memory cache), so concurrent requests cannot both slip through.
    """
    if limit < 0 or window_seconds <= 0:
        raise ValueError("limit must be >= 0 and window_seconds > 0")
    window = int(time.time()) // window_seconds
    cache_key = f"{KEY_PREFIX}:{key}:{window_seconds}:{window}"
    # add() is a no-op if the key exists; the timeout outlives the window.
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Evicted between add() and incr(): this is the window's first hit.
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        count = 1
    return int(count) <= limit


def _redis_client() -> "redis.Redis | None":
    """Return the cache's Redis client, or None (the cache is not Redis)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend.client()


def ratelimit_hits(checks: Sequence[tuple[str, int, int]]) -> bool:
    """Record one hit on each ``(key, limit, window_seconds)``; all within?

    Every key is counted, as :func:`ratelimit_hit` counts it.  On Redis the
    counters of all keys are incremented in one round trip (a pipeline of
    ``INCR`` and ``EXPIRE … NX``), which matters on hot paths such as
    signing a petition.
    """
    for _key, limit, window_seconds in checks:
        if limit < 0 or window_seconds <= 0:
            raise ValueError("limit must be >= 0 and window_seconds > 0")
    client = _redis_client()
    if client is None:
        within = [ratelimit_hit(*check) for check in checks]  # count every key
        return all(within)
    now = int(time.time())
    pipe = client.pipeline(transaction=False)
    for key, _limit, window_seconds in checks:
        window = now // window_seconds
        name = cache.make_and_validate_key(
            f"{KEY_PREFIX}:{key}:{window_seconds}:{window}"
        )
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1, nx=True)
    counts = pipe.execute()[::2]
    return all(
        int(count) <= limit
        for count, (_key, limit, _window) in zip(counts, checks, strict=True)
    )


def recent_counts(keys: Sequence[str], window_seconds: int) -> list[int] | None:
    """Count one event on each key; return each key's recent total, on Redis.

    The total is the count of the current fixed window plus the previous
    one, so it is never below the number of events in the last
    ``window_seconds`` (a sliding window): a cheap, conservative
    pre-filter before an exact count in the database.  All keys take one
    round trip.  Returns ``None`` when the cache is not Redis (nothing is
    counted then).
    """
    if window_seconds <= 0:
        raise ValueError("window_seconds must be > 0")
    client = _redis_client()
    if client is None:
        return None
    window = int(time.time()) // window_seconds
    pipe = client.pipeline(transaction=False)
    for key in keys:
        current = cache.make_and_validate_key(
            f"{KEY_PREFIX}:recent:{key}:{window_seconds}:{window}"
        )
        previous = cache.make_and_validate_key(
            f"{KEY_PREFIX}:recent:{key}:{window_seconds}:{window - 1}"
        )
        pipe.incr(current)
        pipe.expire(current, 2 * window_seconds + 1, nx=True)
        pipe.get(previous)
    replies = pipe.execute()
    return [
        int(replies[i]) + int(replies[i + 2] or 0) for i in range(0, len(replies), 3)
    ]


def ratelimit_for(action: str) -> tuple[int, int]:
    """Return the configured ``(limit, window_seconds)`` for ``action``."""
    overrides: dict[str, tuple[int, int]] = getattr(settings, "ACCOUNTS_RATELIMITS", {})
    return overrides.get(action, DEFAULT_RATELIMITS[action])


def client_ip(request: HttpRequest) -> str:
    """Return the client's IP address, resolved as django-axes resolves it.

    Sharing axes' resolution (``AXES_IPWARE_*`` / ``AXES_CLIENT_IP_CALLABLE``)
    keeps proxy configuration in one place.
    """
    return get_client_ip_address(request) or "unknown"


def ratelimit_request(request: HttpRequest, action: str) -> bool:
    """Record a hit for ``action`` from this client; ``True`` if allowed."""
    limit, window = ratelimit_for(action)
    return ratelimit_hit(f"{action}:ip:{client_ip(request)}", limit, window)


def ratelimited_response(request: HttpRequest) -> HttpResponse:
    """Render the "too many attempts" page with status 429."""
    return render(request, "accounts/rate_limited.html", status=429)
