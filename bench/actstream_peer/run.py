"""django-activity-stream 2.0.0 on the bench dataset; runs in bench/.venv-actstream only.

    run.py migrate                      create the peer's tables in PEER_DATABASE_URL
    run.py measure --users 5,9 --power 1 --runs 3 --requests 40 --ingest 100

The peer is used as its documentation shows: `user_stream(user)[:20]` (fan-out on read, with
its generic relations fetched in bulk) and `action.send(actor, verb=..., target=...)`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def configure() -> None:
    url = urlsplit(os.environ["PEER_DATABASE_URL"])
    settings.configure(
        SECRET_KEY="bench-peer-only",  # noqa: S106
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "actstream", "peer"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": url.path.lstrip("/"),
                "USER": url.username or "postgres",
                "HOST": url.hostname or "127.0.0.1",
                "PORT": url.port or 5432,
                "CONN_MAX_AGE": 60,
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page(user, start: int) -> int:
    from actstream.models import user_stream

    actions = list(user_stream(user)[start : start + 20])
    # Touch what a feed item shows, as feedhub's page does (already fetched in bulk by actstream).
    for a in actions:
        _ = (a.actor, a.target, a.verb, a.timestamp)
    return len(actions)


def timed(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def measure(args: argparse.Namespace) -> dict:
    from actstream import action
    from django.contrib.auth.models import User
    from peer.models import Record

    users = list(User.objects.filter(pk__in=[int(i) for i in args.users.split(",")]))
    power = User.objects.get(pk=args.power)
    page(users[0], 0)
    runs = []
    for run in range(args.runs):
        row = {}
        times = []
        for i in range(args.requests):
            t0 = time.perf_counter()
            page(users[(i + run) % len(users)], 0)
            times.append(time.perf_counter() - t0)
        row["page1_p50_ms"] = round(pct(times, 0.5) * 1000, 2)
        row["page1_p99_ms"] = round(pct(times, 0.99) * 1000, 2)
        n = max(5, args.requests // 8)
        row["power_page1_p50_ms"] = round(pct(timed(lambda: page(power, 0), n), 0.5) * 1000, 2)
        row["power_depth_1000_p50_ms"] = round(pct(timed(lambda: page(power, 1000), n), 0.5) * 1000, 2)
        actor = users[0]
        records = list(Record.objects.order_by("pk")[: args.ingest])
        t0 = time.perf_counter()
        for record in records:
            action.send(actor, verb="updated", target=record)
        row["ingest_events_per_s"] = round(len(records) / (time.perf_counter() - t0), 1)
        runs.append(row)
    out = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    return out | {"runs": runs, "power_feed_size": int(page_count(power))}


def page_count(user) -> int:
    from actstream.models import user_stream

    return user_stream(user).count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["migrate", "measure"])
    parser.add_argument("--users", default="")
    parser.add_argument("--power", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--ingest", type=int, default=100)
    args = parser.parse_args()
    configure()
    if args.command == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.contrib.contenttypes.models import ContentType

        ids = {
            m: ContentType.objects.get(app_label=a, model=m).pk
            for a, m in (("auth", "user"), ("peer", "record"))
        }
        print(json.dumps(ids))
    else:
        print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
