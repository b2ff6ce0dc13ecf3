"""B13: idle authenticated websockets held by one Daphne process, and its memory per socket.

    python -m bench.ws_load --tier quick --sockets 2000

Starts one Daphne process, opens `--sockets` token-authenticated `/ws/feed/` connections from this
process (each waits for its `ready`), and reads the server's resident memory (VmRSS) before and
after. Tokens belong to 200 ordinary users, so several sockets share a user, as tabs do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import websockets  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.accounts.services import api_token_create  # noqa: E402

from . import dataset  # noqa: E402
from .feedhub_runner import reset_to_dataset  # noqa: E402
from .ingest_load import stop_servers  # noqa: E402
from .tiers import TIERS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PORT = 8330
CONNECT_CONCURRENCY = 50


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_sockets(url: str, tokens: list[str], n: int) -> tuple[list[Any], int]:
    semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets: list[Any] = []
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        async with semaphore:
            try:
                ws = await websockets.connect(f"{url}?token={tokens[i % len(tokens)]}", open_timeout=60)
                message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if message.get("type") != "ready":
                    raise RuntimeError(message)
                sockets.append(ws)
            except (OSError, RuntimeError, TimeoutError, websockets.WebSocketException):
                failed += 1

    await asyncio.gather(*(one(i) for i in range(n)))
    return sockets, failed


async def measure(pid: int, tokens: list[str], n: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{PORT}/ws/feed/"
    warm, _ = await open_sockets(url, tokens, 20)
    print(f"warm-up: {len(warm)} sockets", file=sys.stderr)
    await asyncio.gather(*(ws.close() for ws in warm))
    await asyncio.sleep(1)
    before = rss_kb(pid)
    t0 = time.perf_counter()
    sockets, failed = await open_sockets(url, tokens, n)
    seconds = time.perf_counter() - t0
    await asyncio.sleep(2)
    after = rss_kb(pid)
    # Still alive and answering after the ramp: a ping on a sample of sockets.
    sample = sockets[:: max(1, len(sockets) // 100)]
    pongs = await asyncio.gather(*(ws.ping() for ws in sample))
    await asyncio.gather(*(asyncio.wait_for(p, 30) for p in pongs))
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {
        "sockets": len(sockets),
        "failed": failed,
        "kb_per_socket": round((after - before) / max(1, len(sockets)), 1),
        "server_rss_mb": round(after / 1024, 1),
        "connects_per_s": round(len(sockets) / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="quick", choices=sorted(TIERS))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--sockets", type=int, default=2000)
    args = parser.parse_args()
    tier = TIERS[args.tier].scaled(args.scale)
    reset_to_dataset(tier)
    users = User.objects.filter(pk__in=dataset.sample_user_ids(tier, 200))
    tokens = [api_token_create(user=u, name="bench-ws").secret for u in users]
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(PORT),
            "feedhub.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Daphne did not start")
            time.sleep(0.2)
        result = asyncio.run(measure(server.pid, tokens, args.sockets))
    finally:
        stop_servers([server])
    print(json.dumps({"B13": result}))
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
