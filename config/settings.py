"""Django settings for Dauys, read from the environment.

With no variables set Dauys runs on the embedded default: a SQLite file, the
in-memory channel layer, Celery tasks run eagerly in-process and e-mail goes
to the console.  ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to
the Redis channel layer, cache and Celery broker/result backend.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------- core

DEBUG = env_bool("DEBUG", default=False)
DEFAULT_SECRET_KEY = "dauys-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG=0 (the built-in development key "
        "is public). Set SECRET_KEY, or DEBUG=1 for a local demo."
    )
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "accounts",
    "frontend",
    "ballots",
    "tally",
    "petitions",
    "participation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --------------------------------------------------------------- data

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Instances sharing one Redis keep their counters and sessions
            # apart with a prefix of their own.
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", ""),
        }
    }
    # Sessions are read on every request: from Redis, written through to
    # the database (``cached_db``), so they survive a Redis restart.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --------------------------------------------------------------- Celery

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# --------------------------------------------------------------- petitions
# >>> petitions block (owned by the petitions app; keep edits inside it) >>>
# PETITION_LOG_SEED: the Ed25519 private key seed (64 hex digits) that signs
# the petition logs' tree heads (SPEC §10).  Required unless DEBUG: the
# development default is public, so heads signed with it prove nothing.
# Without it the system check petitions.E001 stops `manage.py` commands and
# the petitions services refuse to append (ImproperlyConfigured); importing
# the settings still works so other apps' processes are not affected.
# Generate one with: python -c "import secrets; print(secrets.token_hex(32))"
DEV_PETITION_LOG_SEED = "d0" * 32
PETITION_LOG_SEED = env_str("PETITION_LOG_SEED", DEV_PETITION_LOG_SEED if DEBUG else "")
# Scheme and host that links in petition e-mails point to (empty: paths only).
PETITIONS_SITE_URL = env_str("SITE_URL", "")
PETITIONS_SPONSORS_REQUIRED = env_int("PETITIONS_SPONSORS_REQUIRED", 5)
PETITIONS_OPEN_DAYS = env_int("PETITIONS_OPEN_DAYS", 183)
PETITIONS_MODERATION_DAYS = env_int("PETITIONS_MODERATION_DAYS", 10)
PETITIONS_ERASE_AFTER_DAYS = env_int("PETITIONS_ERASE_AFTER_DAYS", 183)
PETITIONS_HEAD_INTERVAL_SECONDS = 60
# (limit, window in seconds) for signing, per account and per IP address.
PETITIONS_SIGN_RATELIMIT_ACCOUNT = (
    env_int("PETITIONS_SIGN_LIMIT_ACCOUNT", 30),
    3600,
)
PETITIONS_SIGN_RATELIMIT_IP = (env_int("PETITIONS_SIGN_LIMIT_IP", 120), 3600)
# A burst alert: this many signatures on one petition from one IP range (or
# one e-mail domain) within the window.
PETITIONS_BURST_WINDOW_SECONDS = 600
PETITIONS_BURST_IP_LIMIT = env_int("PETITIONS_BURST_IP_LIMIT", 20)
PETITIONS_BURST_DOMAIN_LIMIT = env_int("PETITIONS_BURST_DOMAIN_LIMIT", 200)
# The webmail providers most people use: a popular petition gets hundreds of
# signatures from each of them every ten minutes, so a "burst" of one says
# nothing and would bury the real alerts.  Their signatures are still
# watched by IP range.
PETITIONS_BURST_DOMAIN_IGNORE = env_list(
    "PETITIONS_BURST_DOMAIN_IGNORE",
    [
        "gmail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.kz",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "outlook.com",
        "hotmail.com",
        "icloud.com",
        "yahoo.com",
    ],
)
CELERY_BEAT_SCHEDULE["petitions.sign_heads"] = {
    "task": "petitions.sign_heads",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["petitions.close_expired"] = {
    "task": "petitions.close_expired",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["petitions.erase_personal_data"] = {
    "task": "petitions.erase_personal_data",
    "schedule": 24 * 3600.0,
}
# <<< petitions block <<<

# --------------------------------------------------------------- participation
# Opening and closing of consultations follow the clock, not a request: beat
# checks every five minutes (the service's conditional UPDATE makes
# overlapping runs safe).
CELERY_BEAT_SCHEDULE["participation.notify_phase_changes"] = {
    "task": "participation.notify_phase_changes",
    "schedule": 300.0,
}

# --------------------------------------------------------------- tally
# Count every election that has closed (on schedule or by an official) and
# is not counted yet: the sweep queues `tally.compute`, which is idempotent.
CELERY_BEAT_SCHEDULE["tally.sweep"] = {"task": "tally.sweep", "schedule": 60.0}

# --------------------------------------------------------------- ballots
# >>> ballots block (owned by the ballots app; keep edits inside it) >>>
# BOARD_KEY_SECRET: the master secret (at least 32 characters) from which
# each election's Ed25519 board key is derived with HKDF and the election id
# (SPEC §6 signed tree heads).  Required unless DEBUG; without it the
# ballots services refuse to sign (ImproperlyConfigured).
DEV_BOARD_KEY_SECRET = "dauys-development-board-key-secret-not-for-production"  # noqa: S105 - public, DEBUG only
BOARD_KEY_SECRET = env_str("BOARD_KEY_SECRET", DEV_BOARD_KEY_SECRET if DEBUG else "")
# Elections with keys below 2048 bits (SPEC §2.1 test keys) and the
# server-side demo key ceremony are allowed only with DEBUG or these flags.
BALLOTS_ALLOW_TEST_KEYS = env_bool("BALLOTS_ALLOW_TEST_KEYS", default=DEBUG)
BALLOTS_ALLOW_DEMO_CEREMONY = env_bool("BALLOTS_ALLOW_DEMO_CEREMONY", default=DEBUG)
# The largest accepted body of the casting and audit API, in bytes.
BALLOTS_MAX_BODY_BYTES = env_int("BALLOTS_MAX_BODY_BYTES", 1024 * 1024)
# (limit, window in seconds) for casts and audits, per account and per IP.
BALLOTS_CAST_RATELIMIT_ACCOUNT = (env_int("BALLOTS_CAST_LIMIT_ACCOUNT", 30), 3600)
BALLOTS_CAST_RATELIMIT_IP = (env_int("BALLOTS_CAST_LIMIT_IP", 600), 3600)
CELERY_BEAT_SCHEDULE["ballots.tick"] = {"task": "ballots.tick", "schedule": 60.0}
# <<< ballots block <<<

# --------------------------------------------------------------- accounts

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.AccountBackend",
]
_PASSWORD_VALIDATION = "accounts.passwords"  # noqa: S105
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_PASSWORD_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_PASSWORD_VALIDATION}.MinimumLengthValidator"},
    {"NAME": f"{_PASSWORD_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_PASSWORD_VALIDATION}.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Dotted path of the national identity number validator (a callable that
# raises ValidationError).  Kazakhstan's IIN is the default.
IDENTITY_NUMBER_VALIDATOR = env_str(
    "IDENTITY_NUMBER_VALIDATOR", "accounts.identity.validate_kz_iin"
)

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form's field is "username" (Django's AuthenticationForm) even
# though USERNAME_FIELD is "email"; axes must read the same key, or failures
# are recorded without a username and never match the lockout check.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

OTP_TOTP_ISSUER = "Dauys"

# --------------------------------------------------------------- i18n

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------- static

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
# In development (and tests) WhiteNoise serves straight from the app folders;
# in production from STATIC_ROOT after `collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# --------------------------------------------------------------- e-mail

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dauys <no-reply@localhost>")

# --------------------------------------------------------------- security

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of Dauys: the
# client's address (rate limits, lockouts, burst alerts) is read from there.
# Only for deployments reachable through the proxies alone.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"

# Content Security Policy (django-csp 3.x): scripts and styles only from
# this origin; websockets to this origin; no framing; no plugins.
CSP_DEFAULT_SRC = ("'self'",)
CSP_SCRIPT_SRC = ("'self'",)
CSP_STYLE_SRC = ("'self'",)
CSP_IMG_SRC = ("'self'", "data:")
CSP_CONNECT_SRC = ("'self'", "ws:", "wss:") if DEBUG else ("'self'", "wss:")
CSP_WORKER_SRC = ("'self'",)
CSP_FONT_SRC = ("'self'",)
CSP_OBJECT_SRC = ("'none'",)
CSP_BASE_URI = ("'self'",)
CSP_FORM_ACTION = ("'self'",)
CSP_FRAME_ANCESTORS = ("'none'",)
CSP_INCLUDE_NONCE_IN = ("script-src",)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Never log request bodies: they can hold passwords and voting codes.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # One line per eager task drowns the demo's console.
        "celery.app.trace": {"level": "WARNING"},
    },
}
