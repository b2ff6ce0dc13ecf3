"""feedhub benchmark suite: `python -m bench --tier quick|standard [--scale 0.25] [--no-peer]`.

Creates its own databases (feedhub_bench, feedhub_bench_actstream), generates the seeded
dataset once per shape, measures feedhub in a separate Django process, measures
django-activity-stream in its own virtualenv, and writes bench/results/latest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from . import dataset, peer, report
from .tiers import TIERS, Tier

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/feedhub_bench")
PEER_DB_URL = os.environ.get(
    "BENCH_PEER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/feedhub_bench_actstream"
)
# Redis database 15: the channel layer and broker of the bench, apart from dev and test databases.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure_database(url: str, fresh: bool) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def stored_shape(url: str) -> dict | None:
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0]:
            return None
        row = conn.execute("SELECT shape FROM bench_meta").fetchone()
        return row[0] if row else None


def store_shape(url: str, tier: Tier) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (shape jsonb)")
        conn.execute("DELETE FROM bench_meta")
        conn.execute("INSERT INTO bench_meta VALUES (%s)", [json.dumps(tier.as_dict())])


def runner_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "HTTPS": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
    }


def run_runner(tier: Tier, scale: float, *args: str) -> dict[str, Any]:
    return run_module("bench.feedhub_runner", tier, scale, *args)


def run_module(module: str, tier: Tier, scale: float, *args: str) -> dict[str, Any]:
    """Run a bench module in its own Django process; its last stdout line is its JSON result."""
    out = subprocess.run(
        [
            str(PYTHON),
            "-m",
            module,
            *args,
            "--tier",
            tier.name.split("@")[0],
            "--scale",
            str(scale),
        ],
        cwd=ROOT,
        env=runner_env(),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_optional(
    results: dict[str, Any], module: str, tier: Tier, scale: float, *args: str
) -> dict[str, Any]:
    """Run a socket-level bench step; a failure is recorded (and fails the run at the end)
    instead of losing every figure measured before it."""
    try:
        return run_module(module, tier, scale, *args)
    except subprocess.CalledProcessError as exc:
        log(f"{module} failed: {exc}")
        results.setdefault("failed", []).append(module)
        return {}


def concurrent_load(tier: Tier, scale: float, processes: int, seconds: float) -> dict[str, Any]:
    """Several client processes requesting feed pages at once (server work in-process, no socket)."""
    cmd = [
        str(PYTHON),
        "-m",
        "bench.feedhub_runner",
        "feedload",
        "--tier",
        tier.name.split("@")[0],
        "--scale",
        str(scale),
        "--seconds",
        str(seconds),
    ]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=runner_env(), stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return {
        "processes": processes,
        "pages_per_s": round(sum(r["pages"] for r in results) / seconds, 1),
        "p50_ms": max(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--tier", default="quick", choices=sorted(TIERS))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the tier's activities")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    tier = TIERS[args.tier].scaled(args.scale)
    started = time.perf_counter()
    results: dict[str, Any] = {"tier": tier.as_dict(), "environment": report.environment(DB_URL)}

    ensure_database(DB_URL, fresh=False)
    if args.regenerate or stored_shape(DB_URL) != tier.as_dict():
        log(f"generating the {tier.name} dataset")
        ensure_database(DB_URL, fresh=True)
        results["generation"] = run_runner(tier, args.scale, "generate")
        store_shape(DB_URL, tier)
    log("measuring feedhub")
    results["feedhub"] = run_runner(tier, args.scale, "measure")
    log("measuring concurrent feed load")
    results["feedhub"]["B6_concurrent"] = concurrent_load(
        tier, args.scale, 2, 5 if tier.name == "quick" else 15
    )

    log("measuring REST ingestion over sockets (B1, B2)")
    seconds = "5" if tier.name == "quick" else "15"
    results["feedhub"] |= run_optional(results, "bench.ingest_load", tier, args.scale, "--seconds", seconds)

    log("measuring idle websockets (B13)")
    # Connects run at ~10-20/s on the shared 2-core machine, so 15,000 would take 15+ minutes.
    sockets = "1000" if tier.name == "quick" else "2000"
    results["websockets"] = run_optional(results, "bench.ws_load", tier, args.scale, "--sockets", sockets)

    if not args.no_peer:
        log("measuring django-activity-stream")
        python = peer.ensure_venv(log)
        ensure_database(PEER_DB_URL, fresh=True)
        env = {**os.environ, "PEER_DATABASE_URL": PEER_DB_URL}
        results["peer_load"] = peer.load(python, env, DB_URL, PEER_DB_URL, tier, log)
        results["peer"] = peer.measure(python, env, tier, dataset.sample_user_ids(tier, 200))

    results["seconds"] = round(time.perf_counter() - started, 1)
    report.write(results, Path(args.out))
    log(f"done in {results['seconds']} s: {args.out}/latest.md")
    if results.get("failed"):
        sys.exit(f"failed: {', '.join(results['failed'])}")


if __name__ == "__main__":
    main()
