"""Real processes: Daphne serving feedhub and a Celery worker, against the test database.

Shared by the e2e (raw websocket) and browser (Chromium) tests; loaded as a plugin from
`tests/conftest.py` so both packages get the `stack` fixture.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import requires_services

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def wait_for_line(path: Path, needle: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise TimeoutError(
        f"{needle!r} not seen in {path} after {timeout}s:\n{path.read_text(errors='replace')[-3000:]}"
    )


def process_env() -> dict[str, str]:
    """The environment of the servers: the test database and this worker's Redis database."""
    db = connection.settings_dict
    # The browser tests allow async-unsafe ORM calls in the test process only (Playwright's
    # sync API keeps an event loop in the test thread); the servers must not inherit that.
    private = {"PYTEST_XDIST_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in private}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        HTTPS="false",
        SECRET_KEY=settings.SECRET_KEY,
        PYTHONUNBUFFERED="1",
        WHITENOISE_USE_FINDERS="true",
    )
    return env


@dataclass
class Stack:
    base_url: str
    ws_url: str
    port: int
    logs: Path
    daphne: subprocess.Popen
    worker: subprocess.Popen

    def start_worker(self) -> None:
        self.worker = start_worker(self.logs)

    def stop_daphne(self) -> None:
        stop(self.daphne)

    def start_daphne(self) -> None:
        """Start Daphne again on the same port, so open pages reconnect to the same address."""
        self.daphne = start_daphne(self.port, self.logs)

    def restart_daphne(self) -> None:
        self.stop_daphne()
        self.start_daphne()


def start_daphne(port: int, logs: Path, **env_overrides: str) -> subprocess.Popen:
    log = (logs / "daphne.log").open("a")
    proc = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "feedhub.asgi:application"],
        cwd=ROOT,
        env={**process_env(), **env_overrides},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port)
    return proc


def start_worker(logs: Path, **env_overrides: str) -> subprocess.Popen:
    path = logs / f"worker-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "feedhub",
            "worker",
            "-Q",
            "fanout,notifications,email,webhooks",
            "--concurrency=2",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**process_env(), **env_overrides},
        stdout=path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a test can SIGKILL it whole
    )
    wait_for_line(path, "ready.")
    return proc


def start_beat(logs: Path, **env_overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "feedhub",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(logs / "beat-schedule"),
        ],
        cwd=ROOT,
        env={**process_env(), **env_overrides},
        stdout=(logs / "beat.log").open("a"),
        stderr=subprocess.STDOUT,
    )


def start_redis(port: int, logs: Path) -> subprocess.Popen:
    """A private Redis, so a test may restart it without disturbing anything else."""
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(logs / "redis.log").open("a"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port)
    return proc


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process and its children, as a crash or the OOM killer would."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def stack(transactional_db, tmp_path) -> Iterator[Stack]:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL:
        pytest.skip(requires_services().kwargs["reason"])
    port = free_port()
    daphne = start_daphne(port, tmp_path)
    worker = start_worker(tmp_path)
    s = Stack(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", port, tmp_path, daphne, worker)
    yield s
    stop(s.daphne)
    # Cold shutdown: a warm one waits out idle pool processes, ~10 s per test for nothing.
    stop(s.worker, signal.SIGQUIT)
