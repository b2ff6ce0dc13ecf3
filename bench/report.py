"""Results: machine and version facts, the JSON record, a Markdown table and a chart."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "Django",
    "djangorestframework",
    "channels",
    "channels-redis",
    "daphne",
    "celery",
    "psycopg",
    "redis",
)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def environment(db_url: str) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_revision": _git("rev-parse", "--short", "HEAD")
        + ("-dirty" if _git("status", "--porcelain", "apps") else ""),
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": pg,
        "packages": {p: metadata.version(p) for p in PACKAGES},
    }


def _ratio(slow: float | None, fast: float | None) -> str:
    if not slow or not fast:
        return "n/a"
    return f"{slow / fast:.1f}x"


def _ingestion_rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    b1, b2 = f.get("B1"), f.get("B2")
    out = []
    if b1:
        out.append(
            (
                "B1",
                f"single-event POST /api/v1/events/, {b1['clients']} concurrent clients",
                f"{b1['events_per_s']} events/s",
                f"p50 {b1['p50_ms']} ms, p99 {b1['p99_ms']} ms, {b1['servers']} (goal >= 800/s, p99 < 50 ms)",
            )
        )
    else:
        out.append(("B1", "single-event POST /api/v1/events/, 32 clients", "not measured", ""))
    if b2:
        out.append(
            (
                "B2",
                f"batch POST /api/v1/events/batch/ ({b2['batch_size']} events per request)",
                f"{b2['events_per_s']} events/s",
                "goal >= 25,000/s",
            )
        )
    else:
        out.append(("B2", "batch ingestion", "not measured", ""))
    return out


def _websocket_rows(ws: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    b10, b13 = ws.get("B10"), ws.get("B13")
    out = []
    if b10:
        out.append(
            (
                "B10",
                f"REST to websocket, {b10['clients']:,} clients, {b10['rate']} events/s",
                f"p50 {b10['p50_ms']} / p99 {b10['p99_ms']} ms",
                f"{b10['delivered_pct']}% delivered (goal p50 <= 25, p99 <= 150 ms, 100%)",
            )
        )
    else:
        out.append(("B10", "REST to websocket latency, 5,000 clients, 100 events/s", "not measured", ""))
    if b13:
        out.append(
            (
                "B13",
                f"idle authenticated websockets on one Daphne process ({b13['sockets']:,})",
                f"{b13['kb_per_socket']} KB/socket",
                "goal >= 15,000 at <= 40 KB each",
            )
        )
    else:
        out.append(("B13", "idle websockets, memory per socket", "not measured", ""))
    return out


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(benchmark, figure, value, goal / comparison)."""
    f = results["feedhub"]
    p = results.get("peer") or {}
    tier = results["tier"]
    b6, b7, b3, b4 = f["B6"], f["B7"], f["B3"], f["B4"]
    conc = f.get("B6_concurrent", {})
    out = [
        *_ingestion_rows(f),
        (
            "B6",
            "news feed page 1, p50 / p99",
            f"{b6['p50_ms']} / {b6['p99_ms']} ms",
            f"{b6['queries_per_page']} queries/page",
        ),
        (
            "B6",
            "pages/s, one client (in-process)",
            f"{b6['pages_per_s']}",
            f"{b6['items_per_page']} items/page",
        ),
        (
            "B6",
            f"pages/s, {conc.get('processes', '?')} concurrent client processes",
            f"{conc.get('pages_per_s', 'n/a')}",
            f"p50 {conc.get('p50_ms', 'n/a')} ms, p99 {conc.get('p99_ms', 'n/a')} ms",
        ),
        (
            "B7",
            f"page at depth 1,000 / 10,000 (feed of {b7['feed_size']:,})",
            f"{b7['depth_1000_p50_ms']} / {b7['depth_10000_p50_ms']} ms",
            f"{b7['depth_1000_vs_page_1']}x / {b7['depth_10000_vs_page_1']}x page 1 (goal <= 1.2x)",
        ),
        (
            "B3",
            "fan-out backlog, inbox deliveries/s",
            f"{b3['deliveries_per_s']}",
            f"{b3['events_per_s']} events/s, {b3['deliveries_per_event']} rows/event",
        ),
    ]
    for label, fig in b4.items():
        how = "merged at read time" if fig.get("merged") else "copied"
        out.append(
            (
                "B4",
                f"hot record, {label.replace('_', ' ')} ({how}): commit to last inbox row",
                f"{fig['commit_to_last_inbox_row_ms']} ms",
                f"to pushed: {fig['commit_to_pushed_ms']} ms; {fig['inbox_rows']:g} inbox rows",
            )
        )
    out.append(
        (
            "ingest",
            "activity_publish + enqueue, events/s",
            f"{f['ingest']['events_per_s']}",
            "one transaction per event",
        )
    )
    if p:
        out += [
            (
                "peer",
                "actstream user_stream(user)[:20], p50 / p99",
                f"{p['page1_p50_ms']} / {p['page1_p99_ms']} ms",
                f"feedhub {_ratio(p['page1_p50_ms'], b6['p50_ms'])} faster (goal >= 10x)",
            ),
            (
                "peer",
                f"actstream page at depth 1,000 (power user, {p['power_feed_size']:,} items)",
                f"{p['power_depth_1000_p50_ms']} ms",
                f"feedhub {_ratio(p['power_depth_1000_p50_ms'], b7['depth_1000_p50_ms'])} faster"
                " (goal >= 100x)",
            ),
            (
                "peer",
                "actstream action.send, events/s",
                f"{p['ingest_events_per_s']}",
                f"feedhub {_ratio(f['ingest']['events_per_s'], p['ingest_events_per_s'])} of the peer's rate",
            ),
        ]
    else:
        out.append(("peer", "django-activity-stream", "not measured in this run", "--no-peer"))
    out += _websocket_rows(results.get("websockets") or {})
    del tier
    return out


def markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    tier = results["tier"]
    lines = [
        f"# feedhub benchmarks: {tier['name']} tier",
        "",
        f"{env['date']}, revision `{env['git_revision']}`, {env['nproc']} CPUs ({env['cpu']}), "
        f"{env['memory_gb']} GB, load average at start {env['load_average']}, Python {env['python']}, "
        f"PostgreSQL {env['postgresql']}; " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()) + ".",
        "",
        f"Dataset: {tier['users']:,} users, {tier['records']:,} records, "
        f"{tier['follows_per_user']} follows per user, {tier['activities']:,} activities; "
        f"{tier['mega_records']} records with {tier['users']:,} followers, "
        f"{tier['hot_records']} with {tier['hot_followers']:,}. Medians of {tier['runs']} runs.",
        "",
    ]
    gen = results.get("generation")
    if gen:
        rows_ = gen["rows"]
        lines += [
            f"Generated in {gen['seconds']} s: {rows_['activity_activity']:,} activities, "
            f"{rows_['activity_inboxentry']:,} inbox rows, {rows_['activity_follow']:,} follows.",
            "",
        ]
    lines += ["| Bench | Figure | Value | Goal / comparison |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f, p = results["feedhub"], results.get("peer") or {}
    labels = ["page 1", "depth 1,000", "depth 10,000"]
    ours = [f["B7"]["depth_0_p50_ms"], f["B7"]["depth_1000_p50_ms"], f["B7"]["depth_10000_p50_ms"]]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], ours, width=0.4, label="feedhub (full DRF request)")
    if p:
        theirs = [p["power_page1_p50_ms"], p["power_depth_1000_p50_ms"], 0]
        ax.bar([i + 0.2 for i in x], theirs, width=0.4, label="django-activity-stream (ORM only)")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("p50 ms (log)")
    ax.set_yscale("log")
    ax.set_title(f"Feed page latency, power user, {results['tier']['name']} tier")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "latest.md").write_text(markdown(results))
    if not results["tier"]["name"].startswith("quick"):
        # matplotlib is a dev requirement; a runtime-only install still gets the tables.
        with contextlib.suppress(ImportError):
            chart(results, ROOT / "docs" / "bench.png")
