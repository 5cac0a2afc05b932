"""Settings resolve to the right backends for each environment combination."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json
import config.settings as s
print(json.dumps({
    "db_engine": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_hosts": s.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "cache": s.CACHES["default"]["BACKEND"],
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "broker": s.CELERY_BROKER_URL,
    "results": s.CELERY_RESULT_BACKEND,
    "email": s.EMAIL_BACKEND,
    "debug": s.DEBUG,
    "hosts": s.ALLOWED_HOSTS,
    "secure_cookies": s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE,
    "hsts": s.SECURE_HSTS_SECONDS,
    "frame": s.X_FRAME_OPTIONS,
    "referrer": s.SECURE_REFERRER_POLICY,
    "csp_default": list(s.CSP_DEFAULT_SRC),
}))
"""
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "DJANGO_SETTINGS_MODULE",
)


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import config.settings in a fresh interpreter with exactly ``env`` set."""
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def resolved(**env: str) -> dict[str, object]:
    """Return the probed settings, failing the test if the import failed."""
    result = load_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_uses_sqlite_memory_layer_and_eager_tasks() -> None:
    """With no variables but DEBUG=1 Dauys runs on SQLite, in-memory, eager."""
    values = resolved(DEBUG="1")
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(REPO / "db.sqlite3")
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["eager"] is True
    assert values["broker"] == ""
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["secure_cookies"] is False


def test_database_url_selects_postgresql() -> None:
    """DATABASE_URL alone switches the database and nothing else."""
    values = resolved(DEBUG="1", DATABASE_URL="postgresql://app@db.example:5432/dauys")
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "dauys"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["eager"] is True


def test_redis_url_selects_redis_layer_cache_and_celery() -> None:
    """REDIS_URL switches the channel layer, cache and Celery to Redis."""
    values = resolved(DEBUG="1", REDIS_URL="redis://cache.example:6379/2")
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["layer_hosts"] == ["redis://cache.example:6379/2"]
    assert values["cache"] == "config.cache.RedisCache"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example:6379/2"
    assert values["results"] == "redis://cache.example:6379/2"


def test_both_services_and_production_settings() -> None:
    """Production: both services, a real key, secure cookies, HSTS and CSP."""
    values = resolved(
        DATABASE_URL="postgresql://app@db.example:5432/dauys",
        REDIS_URL="redis://cache.example:6379/0",
        SECRET_KEY="a-long-random-production-secret-for-this-test-only",
        ALLOWED_HOSTS="vote.example.kz,www.vote.example.kz",
    )
    assert values["debug"] is False
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["eager"] is False
    assert values["hosts"] == ["vote.example.kz", "www.vote.example.kz"]
    assert values["secure_cookies"] is True
    assert values["hsts"] == 31536000
    assert values["frame"] == "DENY"
    assert values["referrer"] == "same-origin"
    assert values["csp_default"] == ["'self'"]


def test_refuses_to_start_with_debug_off_and_default_secret_key() -> None:
    """DEBUG=0 without SECRET_KEY stops with a message naming SECRET_KEY."""
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_rejects_unreadable_boolean(value: str) -> None:
    """A DEBUG value that is not a boolean is refused with its name."""
    result = load_settings(DEBUG=value)
    assert result.returncode != 0
    assert f"DEBUG={value!r} is not a boolean" in result.stderr
