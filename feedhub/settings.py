"""feedhub settings: one module, driven by the environment.

With no DATABASE_URL / REDIS_URL the embedded default runs: SQLite, the in-memory channel
layer and Celery tasks executed in-process. With them, the same code runs on PostgreSQL,
the Redis channel layer and real Celery workers.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from feedhub.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _redis_url_for_worker(url: str) -> str:
    """Give each pytest-xdist worker its own Redis database.

    Parallel test processes would otherwise consume each other's Celery tasks and
    channel-layer messages (their database ids overlap).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    # Several checkouts testing on one machine at once choose distinct bases.
    base = int(os.environ.get("FEEDHUB_TEST_REDIS_DB_BASE", "1"))
    db = (base + int(worker[2:])) % 16
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


DEBUG = env_bool("DEBUG", False)
EMBEDDED = not env("DATABASE_URL") and not env("REDIS_URL")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or EMBEDDED):
        raise ImproperlyConfigured("SECRET_KEY must be set outside the embedded default.")
    # Only for the embedded default on a laptop; production must set SECRET_KEY.
    SECRET_KEY = "embedded-insecure-key-not-for-production-use-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "apps.accounts",
    "apps.activity",
    "apps.records",
    "apps.realtime",
    "apps.social",
    "apps.integrations",
    "apps.notifications",
    "apps.analytics",
]

MIDDLEWARE = [
    "feedhub.logs.RequestContextMiddleware",
    "feedhub.middleware.ServiceUnavailableMiddleware",
    "feedhub.middleware.JsonBodyGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "feedhub.urls"
ASGI_APPLICATION = "feedhub.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.integrations.context_processors.navigation",
            ],
        },
    },
]

# Database ---------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "var" / "feedhub.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
# Services own their transactions (they run from views, tasks and consumers alike).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG and not EMBEDDED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the source folders until `collectstatic` has run (the embedded default, tests).
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED or not STATIC_ROOT.exists()

# Redis: channel layer, Celery broker, cache ----------------------------------------------
REDIS_URL = _redis_url_for_worker(env("REDIS_URL"))

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": "feedhub",
                "capacity": 1000,
                # Longer than any websocket's life without a heartbeat, so groups never lapse
                # under a live connection.
                "group_expiry": 86400,
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "feedhub",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "fanout"
CELERY_TASK_ROUTES = {
    "apps.activity.tasks.*": {"queue": "fanout"},
    # First match wins: the email tasks before the rest of notifications.
    "apps.notifications.tasks.send_*": {"queue": "email"},
    "apps.notifications.tasks.*": {"queue": "notifications"},
    "apps.integrations.tasks.*": {"queue": "webhooks"},
    "apps.social.tasks.*": {"queue": "notifications"},
    "apps.analytics.tasks.send_*": {"queue": "email"},
    "apps.analytics.tasks.*": {"queue": "notifications"},
}
# Longer than any retry countdown, so a late-acked task is never redelivered while it waits.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "apps.activity.tasks.sweep_outbox_task",
        "schedule": float(env("FEEDHUB_OUTBOX_SWEEP_SECONDS", "30")),
    },
    "webhook-retries": {"task": "apps.integrations.tasks.retry_due_webhooks_task", "schedule": 30.0},
    "idempotency-purge": {"task": "apps.integrations.tasks.purge_idempotency_keys_task", "schedule": 3600.0},
    "poll-closing": {"task": "apps.social.tasks.close_due_polls_task", "schedule": 60.0},
}
# Fail fast when the broker is down: the request has committed and the outbox sweeper retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# Feed behaviour ---------------------------------------------------------------------------
FEEDHUB = {
    "FANOUT_CHUNK_SIZE": int(env("FEEDHUB_FANOUT_CHUNK_SIZE", "1000")),
    # Streams with more followers than this are merged into news feeds at read time instead of
    # copied into every follower's inbox (docs/architecture.md, "Hybrid fan-out").
    "FANOUT_THRESHOLD": int(env("FEEDHUB_FANOUT_THRESHOLD", "5000")),
    # Activities still not fanned out after this many seconds are re-enqueued by the sweeper.
    "OUTBOX_GRACE_SECONDS": int(env("FEEDHUB_OUTBOX_GRACE_SECONDS", "60")),
    "FEED_PAGE_SIZE": 20,
    "FEED_MAX_PAGE_SIZE": 100,
    # How many live items a websocket replays on resume before telling the client to resync.
    "REPLAY_LIMIT": 500,
    # Items a websocket may have unacknowledged before it is told to resync and closed: a
    # reader that stops reading must not make the server buffer without bound.
    "WS_ACK_WINDOW": int(env("FEEDHUB_WS_ACK_WINDOW", "1000")),
    # Recipients per notification task and per aggregation transaction.
    "NOTIFY_CHUNK_SIZE": int(env("FEEDHUB_NOTIFY_CHUNK_SIZE", "500")),
    # Absolute links in emails point here.
    "BASE_URL": env("FEEDHUB_BASE_URL", "http://127.0.0.1:8000"),
    # Local hour (0-23) at which daily digests, and weekly ones on Mondays, go out.
    "DIGEST_HOUR": int(env("FEEDHUB_DIGEST_HOUR", "7")),
    "UNSUBSCRIBE_MAX_AGE_DAYS": int(env("FEEDHUB_UNSUBSCRIBE_MAX_AGE_DAYS", "60")),
    # Largest API request body outside event ingestion (413 beyond).
    "MAX_REQUEST_BYTES": int(env("FEEDHUB_MAX_REQUEST_BYTES", str(1024 * 1024))),
}

# Integrations -----------------------------------------------------------------------------
FEEDHUB_INTEGRATIONS = {
    "MAX_EVENT_BYTES": int(env("FEEDHUB_MAX_EVENT_BYTES", str(1024 * 1024))),
    "MAX_BATCH_BYTES": int(env("FEEDHUB_MAX_BATCH_BYTES", str(10 * 1024 * 1024))),
    "MAX_BATCH_ITEMS": int(env("FEEDHUB_MAX_BATCH_ITEMS", "1000")),
    # Idempotency keys are remembered at least this long (retries within it replay the response).
    "IDEMPOTENCY_TTL_HOURS": max(24, int(env("FEEDHUB_IDEMPOTENCY_TTL_HOURS", "48"))),
    # Requests per API key, DRF rate syntax; a batch counts as one request.
    "RATE_LIMIT": env("FEEDHUB_API_KEY_RATE", "600/min"),
}

# API bodies are bounded per view (JsonBodyGuardMiddleware); Django's own ceiling must not be lower.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    FEEDHUB["MAX_REQUEST_BYTES"], *(FEEDHUB_INTEGRATIONS[k] for k in ("MAX_EVENT_BYTES", "MAX_BATCH_BYTES"))
)

FEEDHUB_WEBHOOKS = {
    "TIMEOUT_SECONDS": 10,
    "SCHEMES": env_list("FEEDHUB_WEBHOOK_SCHEMES", "https,http"),
    # Networks webhooks may reach despite being loopback/private (e.g. 10.0.5.0/24 for an internal
    # receiver). Everything else that is not a public address is refused.
    "ALLOWED_NETWORKS": env_list("FEEDHUB_WEBHOOK_ALLOWED_NETWORKS"),
    # Delay after the 1st, 2nd, … failure (jittered ±20 %): about 3 days in all, then given up.
    "RETRY_SCHEDULE_SECONDS": [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
    "SECRET_ROTATION_GRACE_HOURS": 24,
}

# Email ------------------------------------------------------------------------------------
# With no EMAIL_HOST (the embedded default), emails are printed to the console.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "feedhub <notifications@feedhub.localhost>")
# Hourly, so each person's digest goes out at FEEDHUB_DIGEST_HOUR in their own time zone.
CELERY_BEAT_SCHEDULE["notification-digests"] = {
    "task": "apps.notifications.tasks.send_digests_task",
    "schedule": crontab(minute=0),
}

# Hourly rollup of yesterday and today (re-running a day replaces it); weekly pulse emails to
# managers who opted in, Mondays at FEEDHUB_DIGEST_HOUR UTC.
CELERY_BEAT_SCHEDULE["analytics-rollup"] = {
    "task": "apps.analytics.tasks.rollup_recent_task",
    "schedule": crontab(minute=5),
}
CELERY_BEAT_SCHEDULE["analytics-pulse"] = {
    "task": "apps.analytics.tasks.send_pulses_task",
    "schedule": crontab(minute=30, hour=FEEDHUB["DIGEST_HOUR"], day_of_week=1),
}

# REST -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Integration keys (fh_live_…) only reach views that declare `api_key_scopes`.
        "apps.integrations.authentication.KeyOnlyIfPrefixedAuthentication",
        "apps.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.integrations.authentication.ApiKeyScopes",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.integrations.authentication.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.activity.api.parsers.GuardedJsonParser"],
    "EXCEPTION_HANDLER": "apps.activity.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "feedhub API",
    "DESCRIPTION": "Activity feeds for your own records: events, follows, feeds and real-time.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "feedhub.openapi.add_error_responses",
        "feedhub.openapi.allow_empty_optional_query_values",
    ],
}

# Security ---------------------------------------------------------------------------------
# Production serves https (behind a proxy that sets X-Forwarded-Proto). The embedded default,
# DEBUG, and test servers on loopback set HTTPS=false and run on plain http.
HTTPS = env_bool("HTTPS", not (DEBUG or EMBEDDED))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# One JSON object per line (LOG_FORMAT=json) or plain text, with request / task / user ids.
LOG_FORMAT = env("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", "INFO"))
