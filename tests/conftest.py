"""Root fixtures. Tests run against the real services named by DATABASE_URL and REDIS_URL."""

import os
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from tests.accounts.factories import UserFactory

pytest_plugins = ["tests.harness"]

# Property tests that do not name their own budget: a few hundred examples while developing,
# thousands in CI (HYPOTHESIS_PROFILE=ci, or CI=true). No deadline: the machine is shared.
hypothesis_settings.register_profile("dev", max_examples=300, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=2000, deadline=None, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") != "true":
        return
    problems = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        problems.append("DATABASE_URL must point at PostgreSQL under CI")
    elif not _reachable(os.environ["DATABASE_URL"], 5432):
        problems.append(f"PostgreSQL is not reachable at {os.environ['DATABASE_URL']}")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must be set under CI")
    elif not _reachable(settings.REDIS_URL, 6379):
        problems.append(f"Redis is not reachable at {settings.REDIS_URL}")
    if problems:
        pytest.exit("Required services missing under CI=true: " + "; ".join(problems), returncode=3)


@pytest.fixture(scope="session", autouse=True)
def _clean_redis_db() -> None:
    """Each xdist worker owns one Redis database (see settings); start it empty."""
    if settings.REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def _tasks_run_in_process(settings) -> None:
    """Unit tests run Celery tasks in-process; e2e tests use a real worker instead."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> None:
    """Tests run on several event loops in one process; the cached layer holds loop-bound locks."""
    from channels.layers import channel_layers

    yield
    channel_layers.backends.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


def requires_services() -> pytest.MarkDecorator:
    """Mark a test that needs PostgreSQL and Redis; outside CI it is skipped with the reason."""
    missing = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        missing.append("PostgreSQL (DATABASE_URL)")
    if not settings.REDIS_URL:
        missing.append("Redis (REDIS_URL)")
    return pytest.mark.skipif(bool(missing), reason="needs " + ", ".join(missing))


@pytest.fixture
def issued_key(db):
    from tests.integrations.factories import make_key

    return make_key()


@pytest.fixture
def key_api(issued_key):
    """An API client authenticated with an integration key holding events:write and feeds:read."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued_key.secret}")
    return client


@pytest.fixture
def mailbox(settings):
    """A real SMTP server (aiosmtpd) the app sends through; its `messages` are what it received."""
    from aiosmtpd.controller import Controller

    from tests.mail import Mailbox, free_port

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.FEEDHUB = {**settings.FEEDHUB, "BASE_URL": "https://feedhub.example.com"}
    yield box
    controller.stop()
