"""Analytics workload: roll the dataset up, then time every dashboard query (median / p99).

Registered in `feedhub_runner measure`, and runnable on its own (generates the dataset if needed):

    python -m bench.analytics --tier quick [--scale 0.25] [--days 30]

Timed through the selectors the dashboard calls (server time, no HTTP) and through the whole
page (`/analytics/`, Django test client, session auth), as a viewer who sees everything and as
one who does not (a private group holding a slice of the activity); with the reader's hidden
contexts cached (warm) and, for the lens and the page, without (cold: the first request after a
rollup or an access change). No assertion on time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from .tiers import TIERS, Tier


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(fn: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None) -> dict[str, float]:
    fn()
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"p50_ms": round(_pct(times, 0.5) * 1000, 2), "p99_ms": round(_pct(times, 0.99) * 1000, 2)}


def _private_group(viewer_ids: list[int]) -> str:
    """A private group whose members are `viewer_ids`, so the others have a hidden context."""
    from apps.social.models import Group, Membership

    group, _ = Group.objects.get_or_create(name="bench private group", defaults={"is_private": True})
    Membership.objects.bulk_create(
        [Membership(group=group, user_id=uid) for uid in viewer_ids], ignore_conflicts=True
    )
    return group.stream_key


def measure(tier: Tier, days: int = 30) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Max, Min
    from django.test import Client

    from apps.accounts.models import User
    from apps.activity.models import Activity
    from apps.analytics import selectors
    from apps.analytics.freshness import access_changed
    from apps.analytics.models import DailyRollup
    from apps.analytics.records import cold_records
    from apps.analytics.services import rollup_day, rollup_range

    span = Activity.objects.aggregate(first=Min("published"), last=Max("published"))
    first, last = span["first"].astimezone(UTC).date(), span["last"].astimezone(UTC).date()
    DailyRollup.objects.all().delete()
    t0 = time.perf_counter()
    rows = rollup_range(first=first, last=last)
    rollup_s = time.perf_counter() - t0
    activities = Activity.objects.count()
    t0 = time.perf_counter()
    again = rollup_day(day=last)
    redo_day_s = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE analytics_dailyrollup")

    insider, outsider = User.objects.get(pk=2), User.objects.get(pk=3)
    hidden = _private_group([insider.pk])
    # About a ninth of the records' facts also fall under the private group's context, as shares
    # into it would: the outsider must not count them.
    DailyRollup.objects.filter(context2="", context__startswith="deal:1").update(context2=hidden)

    until = last
    scope = selectors.Scope(since=until - timedelta(days=days - 1), until=until)
    records = selectors.Scope(**{**scope.__dict__, "subject_types": ("client", "brief", "deal")})
    topics = selectors.Scope(**{**scope.__dict__, "subject_types": ("topic",)})
    week = selectors.Scope(since=until - timedelta(days=6), until=until)
    one_deal = "deal:1"

    def forget() -> None:
        access_changed([], [])

    repeat = 10 if tier.activities > 100_000 else max(10, tier.runs * 6)
    out: dict[str, Any] = {
        "days_rolled_up": (last - first).days + 1,
        "rollup_rows": rows,
        "rollup_seconds": round(rollup_s, 2),
        "rollup_activities_per_s": round(activities / rollup_s, 1),
        "rerun_last_day_seconds": round(redo_day_s, 2),
        "rerun_last_day_rows": again,
        "period_days": days,
        "queries": {},
    }
    for label, viewer in (("sees_all", insider), ("hidden_group", outsider)):
        timings = {
            "summary": lambda v=viewer: selectors.scope_measures(lens=selectors.Lens(viewer=v), scope=scope),
            "series": lambda v=viewer: selectors.activity_series(lens=selectors.Lens(viewer=v), scope=scope),
            "top_records": lambda v=viewer: selectors.top_subjects(
                lens=selectors.Lens(viewer=v), scope=records
            ),
            "trending_topics": lambda v=viewer: selectors.trending(
                lens=selectors.Lens(viewer=v), scope=topics
            ),
            "trending_records_7d": lambda v=viewer: selectors.trending(
                lens=selectors.Lens(viewer=v),
                scope=selectors.Scope(**{**week.__dict__, "subject_types": ("deal",)}),
            ),
            "cold_spots": lambda v=viewer: cold_records(lens=selectors.Lens(viewer=v), days=14, on=until),
            "one_subject": lambda v=viewer: selectors.subject_measures(
                lens=selectors.Lens(viewer=v), subject=one_deal, since=scope.since, until=until
            ),
        }
        # Cold: what the first request after a rollup or an access change pays to work out the
        # reader's hidden contexts; the queries below then run with them cached (warm).
        out["queries"][label] = {
            "lens_cold": _timed(lambda v=viewer: selectors.Lens(viewer=v).hides_any(scope), repeat, forget)
        }
        out["queries"][label] |= {name: _timed(fn, repeat) for name, fn in timings.items()}
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(viewer)
        url = f"/analytics/?since={scope.since}&until={until}"

        def page(c: Client = client, u: str = url) -> None:
            response = c.get(u)
            if response.status_code != 200:
                raise RuntimeError(f"dashboard returned {response.status_code}")

        out["queries"][label]["dashboard_page"] = _timed(page, max(5, repeat // 2))
        out["queries"][label]["dashboard_page_cold"] = _timed(page, max(5, repeat // 2), forget)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    parser.add_argument("--tier", default="quick", choices=sorted(TIERS))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    tier = TIERS[args.tier].scaled(args.scale)

    from . import __main__ as suite

    suite.ensure_database(suite.DB_URL, fresh=False)
    if suite.stored_shape(suite.DB_URL) != tier.as_dict():
        suite.log(f"generating the {tier.name} dataset")
        suite.ensure_database(suite.DB_URL, fresh=True)
        suite.run_runner(tier, args.scale, "generate")
        suite.store_shape(suite.DB_URL, tier)
    os.environ.update(suite.runner_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"measuring analytics on {tier.name}", file=sys.stderr)
    print(json.dumps({"tier": tier.as_dict(), "analytics": measure(tier, args.days)}))


if __name__ == "__main__":
    main()
