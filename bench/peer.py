"""The django-activity-stream peer: its own virtualenv, its own database, the same dataset.

The peer's database is filled by COPY straight from the feedhub bench database, so both
systems hold exactly the same users, records, follows and activities.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from . import dataset
from .tiers import Tier

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-actstream"
PEER_DIR = HERE / "actstream_peer"


def ensure_venv(log) -> Path:
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    requirements = PEER_DIR / "requirements.txt"
    if stamp.exists() and stamp.read_text() == requirements.read_text():
        return python
    log("creating the django-activity-stream virtualenv")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(requirements.read_text())
    return python


def _run(python: Path, env: dict[str, str], *args: str) -> Any:
    out = subprocess.run(
        [str(python), str(PEER_DIR / "run.py"), *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _copy(src: psycopg.Connection, dst: psycopg.Connection, select: str, into: str) -> None:
    with (
        src.cursor().copy(f"COPY ({select}) TO STDOUT") as out,
        dst.cursor().copy(f"COPY {into} FROM STDIN") as inp,
    ):
        for block in out:
            inp.write(block)


def load(python: Path, env: dict[str, str], src_url: str, dst_url: str, tier: Tier, log) -> dict[str, float]:
    """Migrate the peer's database and copy the feedhub dataset into its tables."""
    ct = _run(python, env, "migrate")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with psycopg.connect(src_url, autocommit=True) as src, psycopg.connect(dst_url, autocommit=True) as dst:
        cur = dst.cursor()
        cur.execute("SET session_replication_role = replica; SET maintenance_work_mem = '512MB'")
        cur.execute("TRUNCATE actstream_action, actstream_follow, peer_record, auth_user CASCADE")
        rebuild = []
        for table in ("actstream_action", "actstream_follow"):
            rebuild += dataset._drop_secondary_indexes(cur, table)
        _copy(
            src,
            dst,
            "SELECT id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined FROM accounts_user",
            "auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined)",
        )
        _copy(src, dst, "SELECT r + 1, name FROM bench_record", "peer_record (id, name)")
        # People are followed as actors only (actstream's default for follow()); records fully.
        _copy(
            src,
            dst,
            f"SELECT f.user_id, CASE WHEN f.stream LIKE 'user:%%' THEN {ct['user']} ELSE {ct['record']} END,"
            " CASE WHEN f.stream LIKE 'user:%%' THEN substr(f.stream, 6) ELSE (b.r + 1)::text END,"
            " f.stream LIKE 'user:%%', '', f.created_at"
            " FROM activity_follow f LEFT JOIN bench_record b ON b.stream = f.stream",
            "actstream_follow (user_id, content_type_id, object_id, actor_only, flag, started)",
        )
        _copy(
            src,
            dst,
            f"SELECT a.id, {ct['user']}, a.actor_id::text, 'updated', a.summary, {ct['record']},"
            " (b.r + 1)::text, a.published, true FROM activity_activity a"
            " JOIN bench_record b ON b.type = a.object_type AND b.oid = a.object_id"
            f" WHERE a.id <= {tier.activities}",
            "actstream_action (id, actor_content_type_id, actor_object_id, verb, description,"
            " target_content_type_id, target_object_id, timestamp, public)",
        )
        timings["copy"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        for sql in rebuild:
            cur.execute(sql)
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("auth_user", "peer_record", "actstream_follow", "actstream_action"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cur.execute("VACUUM ANALYZE")
        timings["indexes"] = round(time.perf_counter() - t0, 1)
    log(f"  peer load: {timings}")
    return timings


def measure(python: Path, env: dict[str, str], tier: Tier, user_ids: list[int]) -> dict[str, Any]:
    return _run(
        python,
        env,
        "measure",
        "--users",
        ",".join(map(str, user_ids)),
        "--power",
        "1",
        "--runs",
        str(tier.runs),
        "--requests",
        str(tier.peer_requests),
        "--ingest",
        str(tier.ingest_events),
    )
