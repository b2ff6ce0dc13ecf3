"""Runs inside a feedhub Django process against the bench database; prints JSON results.

    python -m bench.feedhub_runner generate --tier quick
    python -m bench.feedhub_runner measure --tier quick
    python -m bench.feedhub_runner feedload --tier quick --seconds 10

Feed pages go through the real URL, middleware, token authentication, DRF view, selector and
presenter (Django's test client: no socket, so figures are server time).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.accounts.services import api_token_create  # noqa: E402
from apps.activity import registry  # noqa: E402
from apps.activity.models import InboxEntry, MergedStream  # noqa: E402
from apps.activity.services import ObjectRef, activity_fanout, activity_publish  # noqa: E402
from feedhub.celery import app as celery_app  # noqa: E402

from . import analytics, dataset  # noqa: E402
from .tiers import TIERS, Tier  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def median_of(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = runs[0].keys()
    return {k: round(statistics.median(r[k] for r in runs), 2) for k in keys} | {"runs": runs}


def tier_from(args: argparse.Namespace) -> Tier:
    return TIERS[args.tier].scaled(args.scale)


# Setup ------------------------------------------------------------------------------------


def cmd_generate(tier: Tier) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        timings = dataset.generate(cur, tier, log=lambda line: print(line, file=sys.stderr))
        rows = dataset.counts(cur)
    return {"seconds": round(time.perf_counter() - t0, 1), "steps": timings, "rows": rows}


def reset_to_dataset(tier: Tier) -> None:
    """Drop what earlier measurements added, so every run starts from the generated data."""
    with transaction.atomic(), connection.cursor() as cur:
        n = tier.activities
        # Without FK triggers: the inbox has no index on activity_id (docs: "Deep pages"), so each
        # deleted activity's FK check would scan the whole inbox (minutes on the standard tier).
        # Rows of other apps (notifications) that point at a dropped activity stay; the bench
        # never reads them.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("DELETE FROM activity_inboxentry WHERE activity_id > %s", [n])
        cur.execute("DELETE FROM activity_activitystream WHERE activity_id > %s", [n])
        cur.execute("DELETE FROM activity_activity WHERE id > %s", [n])
        cur.execute("DELETE FROM accounts_apitoken")


class FeedClient:
    """Token-authenticated GETs of the news feed through the full Django stack."""

    def __init__(self, users: list[User]) -> None:
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.tokens = {u.pk: api_token_create(user=u, name="bench").secret for u in users}

    def get(self, user_id: int, query: str = "") -> tuple[float, int]:
        t0 = time.perf_counter()
        response = self.client.get(
            f"/api/v1/feed/?limit=20{query}", HTTP_AUTHORIZATION=f"Bearer {self.tokens[user_id]}"
        )
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"feed returned {response.status_code}: {response.content[:200]!r}")
        return elapsed, len(response.json()["orderedItems"])


def ordinary_users(tier: Tier, n: int) -> list[User]:
    return list(User.objects.filter(pk__in=dataset.sample_user_ids(tier, n)))


# B6 / B7 ----------------------------------------------------------------------------------


def b6_news_feed(tier: Tier, feed: FeedClient, users: list[User]) -> dict[str, Any]:
    ids = [u.pk for u in users]
    for uid in ids[:10]:
        feed.get(uid)
    # Count with a wrapper: the request_started signal resets connection.queries mid-capture.
    queries: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        feed.get(ids[0])
    runs = []
    for run in range(tier.runs):
        rng = random.Random(run)
        times, items = [], 0
        t_start = time.perf_counter()
        for _ in range(tier.feed_requests):
            elapsed, n = feed.get(rng.choice(ids))
            times.append(elapsed)
            items += n
        wall = time.perf_counter() - t_start
        runs.append(
            {
                "p50_ms": ms(pct(times, 0.5)),
                "p99_ms": ms(pct(times, 0.99)),
                "pages_per_s": round(len(times) / wall, 1),
                "items_per_page": round(items / len(times), 1),
            }
        )
    return median_of(runs) | {"queries_per_page": len(queries)}


def inbox_cursor_at_depth(user_id: int, depth: int) -> int:
    """The `before` cursor that starts the page after the first `depth` items (setup only)."""
    entry = InboxEntry.objects.filter(user_id=user_id).order_by("-activity_id")[depth - 1 : depth].first()
    if entry is None:
        raise RuntimeError(f"user {user_id} has fewer than {depth} inbox items")
    return entry.activity_id


def b7_deep_pages(tier: Tier, feed: FeedClient, power: User) -> dict[str, Any]:
    depths = [0, 1_000, 10_000]
    cursors = {d: inbox_cursor_at_depth(power.pk, d) if d else None for d in depths}
    queries = {d: (f"&before={c}" if c else "") for d, c in cursors.items()}
    for q in queries.values():
        feed.get(power.pk, q)
    runs = []
    for _ in range(tier.runs):
        row = {}
        for d, q in queries.items():
            times = [feed.get(power.pk, q)[0] for _ in range(max(20, tier.feed_requests // 4))]
            row[f"depth_{d}_p50_ms"] = ms(pct(times, 0.5))
        runs.append(row)
    out = median_of(runs)
    base = out["depth_0_p50_ms"]
    for d in depths[1:]:
        out[f"depth_{d}_vs_page_1"] = round(out[f"depth_{d}_p50_ms"] / base, 2)
    out["feed_size"] = InboxEntry.objects.filter(user=power).count()
    return out


# B3 / B4 / ingestion ----------------------------------------------------------------------


def insert_backlog(tier: Tier, n: int) -> list[int]:
    """N activities on ordinary records, committed with their outbox mark and never fanned out."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH picked AS (
                SELECT g, %(special)s + floor(random() * %(ordinary)s)::int AS r,
                       1 + floor(random() * %(u)s)::int AS actor
                FROM generate_series(1, %(n)s) g
            ), ins AS (
                INSERT INTO activity_activity (verb, object_type, object_id, object_name, target_type,
                    target_id, target_name, published, summary, changes, payload, source, source_client,
                    fanout_pending, created_at, actor_id)
                SELECT 'Update', b.type, b.oid, b.name, '', '', '', now(), b.name || ' changed',
                    '[]'::jsonb, '{}'::jsonb, 'web', '', true, now(), p.actor
                FROM picked p JOIN bench_record b ON b.r = p.r ORDER BY p.g
                RETURNING id, object_type, object_id, actor_id
            ), streams AS (
                INSERT INTO activity_activitystream (activity_id, stream)
                SELECT id, object_type || ':' || object_id FROM ins
                UNION ALL SELECT id, 'user:' || actor_id FROM ins
            )
            SELECT id FROM ins ORDER BY id
            """,
            {
                "special": tier.mega_records + tier.hot_records,
                "ordinary": tier.records - tier.mega_records - tier.hot_records,
                "u": tier.users,
                "n": n,
            },
        )
        return [row[0] for row in cur.fetchall()]


def b3_fanout_backlog(tier: Tier) -> dict[str, Any]:
    """Fan-out as a worker runs it: sinks push to Redis and enqueue notification tasks to the
    broker (not run in-process: other workers own those queues)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    runs = []
    try:
        for _ in range(tier.runs):
            ids = insert_backlog(tier, tier.backlog_events)
            t0 = time.perf_counter()
            deliveries = sum(activity_fanout(activity_id=i).recipients for i in ids)
            wall = time.perf_counter() - t0
            runs.append(
                {
                    "deliveries_per_s": round(deliveries / wall, 1),
                    "events_per_s": round(len(ids) / wall, 1),
                    "deliveries_per_event": round(deliveries / len(ids), 2),
                }
            )
    finally:
        celery_app.control.purge()
        settings.CELERY_TASK_ALWAYS_EAGER = True
    return median_of(runs)


def with_probe_sink(probe: Callable[[registry.DeliveredBatch], None]) -> Callable[[], None]:
    """Put a timing probe in front of the real sinks (it fires when the inbox rows are committed)."""
    saved = dict(registry._sinks)
    registry._sinks.clear()
    registry._sinks["bench_probe"] = probe
    registry._sinks.update(saved)

    def restore() -> None:
        registry._sinks.clear()
        registry._sinks.update(saved)

    return restore


def b4_hot_records(tier: Tier) -> dict[str, Any]:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    marks: dict[str, float] = {}
    restore = with_probe_sink(lambda batch: marks.__setitem__("inbox", time.perf_counter()))
    actor = User.objects.get(pk=tier.users)
    out: dict[str, Any] = {}
    try:
        for label, deal_id in (
            (f"{tier.users}_followers", 1),
            (f"{tier.hot_followers}_followers", tier.mega_records + 1),
        ):
            runs = []
            for _ in range(tier.hot_publishes):
                with transaction.atomic():
                    transaction.on_commit(lambda: marks.__setitem__("commit", time.perf_counter()))
                    activity = activity_publish(
                        actor=actor,
                        verb="Update",
                        obj=ObjectRef(type="deal", id=str(deal_id), name=f"Deal {deal_id}"),
                        summary="hot record update",
                    )
                done = time.perf_counter()
                rows = InboxEntry.objects.filter(activity=activity).count()
                runs.append(
                    {
                        "merged": float(MergedStream.objects.filter(stream=f"deal:{deal_id}").exists()),
                        "commit_to_last_inbox_row_ms": ms(marks["inbox"] - marks["commit"]),
                        "commit_to_pushed_ms": ms(done - marks["commit"]),
                        "inbox_rows": rows,
                    }
                )
            out[label] = median_of(runs)
    finally:
        restore()
    return out


def ingest(tier: Tier) -> dict[str, Any]:
    """activity_publish per event, each in its own transaction, enqueueing its fan-out to Redis."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    actor = User.objects.get(pk=tier.users)
    runs = []
    try:
        for _ in range(tier.runs):
            t0 = time.perf_counter()
            for i in range(tier.ingest_events):
                deal = tier.mega_records + tier.hot_records + 1 + i
                activity_publish(
                    actor=actor,
                    verb="Update",
                    obj=ObjectRef(type="deal", id=str(deal), name=f"Deal {deal}"),
                    summary="ingested",
                )
            runs.append({"events_per_s": round(tier.ingest_events / (time.perf_counter() - t0), 1)})
    finally:
        celery_app.control.purge()
        settings.CELERY_TASK_ALWAYS_EAGER = True
    return median_of(runs)


def cmd_measure(tier: Tier) -> dict[str, Any]:
    # Settings read CELERY_TASK_ALWAYS_EAGER through Django settings (Celery's conf proxies them).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    reset_to_dataset(tier)
    users = ordinary_users(tier, 200)
    power = User.objects.get(pk=1)
    feed = FeedClient([*users, power])
    results: dict[str, Any] = {}
    for name, fn in (
        ("B6", lambda: b6_news_feed(tier, feed, users)),
        ("B7", lambda: b7_deep_pages(tier, feed, power)),
        ("B3", lambda: b3_fanout_backlog(tier)),
        ("B4", lambda: b4_hot_records(tier)),
        ("ingest", lambda: ingest(tier)),
        ("analytics", lambda: analytics.measure(tier)),
    ):
        print(f"  measuring {name}", file=sys.stderr)
        results[name] = fn()
    return results


def cmd_feedload(tier: Tier, seconds: float) -> dict[str, Any]:
    """One load process: as many feed pages as it can in `seconds` (run several at once)."""
    users = ordinary_users(tier, 200)
    feed = FeedClient(users)
    rng = random.Random(os.getpid())
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        times.append(feed.get(rng.choice(users).pk)[0])
    return {
        "pages": len(times),
        "seconds": seconds,
        "p50_ms": ms(pct(times, 0.5)),
        "p99_ms": ms(pct(times, 0.99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["generate", "measure", "feedload"])
    parser.add_argument("--tier", default="quick", choices=sorted(TIERS))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    tier = tier_from(args)
    settings.FEEDHUB["FANOUT_THRESHOLD"] = tier.fanout_threshold
    if args.command == "generate":
        result = cmd_generate(tier)
    elif args.command == "measure":
        result = cmd_measure(tier)
    else:
        result = cmd_feedload(tier, args.seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
