"""Test settings: the same code, fast hashing and no outside side effects.

``DATABASE_URL`` and ``REDIS_URL`` keep working, so CI runs the suite on
PostgreSQL and the integration tests reach Redis and a real Celery worker;
ordinary tests still run tasks eagerly and use the in-memory channel layer.
"""

import os

os.environ.setdefault("SECRET_KEY", "dauys-test-secret-key-not-for-production")

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REDIS_TEST_URL = REDIS_URL
AXES_FAILURE_LIMIT = 5
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
# Browser tests talk plain HTTP to a local live server.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Elections in tests: a fixed board-key secret, small test keys allowed,
# and no server-side demo ceremony unless a test turns it on.
BOARD_KEY_SECRET = "test-board-key-secret-0123456789abcdef-not-for-production"  # noqa: S105
BALLOTS_ALLOW_TEST_KEYS = True
BALLOTS_ALLOW_DEMO_CEREMONY = False
