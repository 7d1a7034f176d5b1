"""A quiet org's webhook while a noisy org's backlog drains through a slow receiver (127.0.0.1).

    PYTHONPATH=src python bench/webhooks_fairness.py [--endpoints 100] [--backlog 1000]
        [--delay 4] [--quiet 5] [--every 3] [--seconds 60]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5433/bench]
        [--src /path/to/another/checkout/src]

The noisy org has `--endpoints` endpoints on a receiver that takes `--delay` seconds to answer,
and `--backlog` deliveries queued for them (spread over its endpoints). A `greenroom worker`
process (default settings, except the endpoint cap raised to `--endpoints`) starts on them;
after 3 seconds the quiet org (one endpoint, on a receiver that answers at once) gets an event
every `--every` seconds, `--quiet` of them. Printed: each quiet delivery's latency (commit of
its event -> its arrival at the receiver), and how many noisy deliveries went meanwhile. The
run stops after `--seconds` at most. `--src` runs the worker from another checkout (the same
database; to measure a build before a change).

Target (issue 19, item 5): each quiet delivery under 5 s while the backlog drains.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from greenroom.core import events  # noqa: E402
from greenroom.core.db import Database  # noqa: E402
from greenroom.core.migrate import upgrade  # noqa: E402
from greenroom.core.settings import Settings  # noqa: E402
from greenroom.tenancy import service as orgs  # noqa: E402
from greenroom.tenancy.context import OrgSnapshot, Tenant  # noqa: E402
from greenroom.tenancy.hosts import Environment  # noqa: E402
from greenroom.webhooks import service as webhooks  # noqa: E402  (subscribes the outbox)

SECRETS = "b1:bench-secret-0123456789abcdef0123456789abcdef"


class Receiver(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.slow_done = 0
        self.quiet_arrivals: dict[str, float] = {}
        super().__init__(("127.0.0.1", 0), _Handler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path.startswith("/slow/"):
            time.sleep(self.server.delay)
            with self.server.lock:
                self.server.slow_done += 1
        else:
            partner_id = json.loads(body)["data"]["user"]["partner_id"]
            with self.server.lock:
                self.server.quiet_arrivals.setdefault(partner_id, time.monotonic())
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def user(partner_id: str) -> dict[str, Any]:
    return {"user": {"partner_id": partner_id, "email": None, "first_name": "B", "last_name": "M"}}


async def publish(database: Database, tenant: Tenant, partner_id: str) -> float:
    """Queues an event as a service would; the moment it committed."""
    async with database.writer() as session, session.begin():
        await events.publish(session, tenant, "user.updated", user(partner_id))
    return time.monotonic()


async def seed(
    database: Database, settings: Settings, receiver: Receiver, endpoints: int, backlog: int
) -> tuple[Tenant, Tenant]:
    async with database.writer() as session, session.begin():
        suffix = os.urandom(3).hex()
        noisy_org = await orgs.create_org(session, slug=f"noisy{suffix}", name="Noisy")
        quiet_org = await orgs.create_org(session, slug=f"quiet{suffix}", name="Quiet")
        noisy = Tenant(OrgSnapshot.of(noisy_org), Environment.PRODUCTION)
        quiet = Tenant(OrgSnapshot.of(quiet_org), Environment.PRODUCTION)
        for i in range(endpoints):
            await webhooks.create_endpoint(
                session, noisy, settings=settings, url=receiver.url(f"/slow/{i}")
            )
        await webhooks.create_endpoint(session, quiet, settings=settings, url=receiver.url("/q"))
    # Each event goes to every endpoint: backlog / endpoints events make the backlog.
    for i in range(max(1, backlog // endpoints)):
        await publish(database, noisy, f"n{i}")
    return noisy, quiet


async def drive(
    url: str, quiet: Tenant, count: int, every: float, deadline: float
) -> dict[str, float]:
    """After 3 s of draining, one quiet event every `every` seconds; when each committed."""
    database = Database(url)
    committed: dict[str, float] = {}
    try:
        await asyncio.sleep(3)
        for i in range(count):
            if time.monotonic() > deadline:
                break
            committed[f"q{i}"] = await publish(database, quiet, f"q{i}")
            await asyncio.sleep(every)
    finally:
        await database.dispose()
    return committed


async def prepare(
    url: str, settings: Settings, receiver: Receiver, endpoints: int, backlog: int
) -> Tenant:
    database = Database(url)
    try:
        _noisy, quiet = await seed(database, settings, receiver, endpoints, backlog)
    finally:
        await database.dispose()
    return quiet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=4.0)
    parser.add_argument("--quiet", type=int, default=5)
    parser.add_argument("--every", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url")
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="gr-fairness-"))
    url = args.database_url or f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(args.src),
        "GREENROOM_DATABASE_URL": url,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_DATA_DIR": str(scratch / "data"),
        "GREENROOM_WEBHOOKS_ALLOW_PRIVATE": "1",
        "GREENROOM_WEBHOOKS_MAX_ENDPOINTS_PER_ORG": str(args.endpoints),
        "GREENROOM_LOG_LEVEL": "WARNING",
    }
    settings = Settings(
        database_url=url,
        secrets=SECRETS,
        data_dir=scratch / "data",
        webhooks_allow_private=True,
        webhooks_max_endpoints_per_org=args.endpoints,
    )
    upgrade(url)
    receiver = Receiver(args.delay)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    quiet = asyncio.run(prepare(url, settings, receiver, args.endpoints, args.backlog))
    print(
        f"{args.endpoints} noisy endpoints, {args.backlog} deliveries queued, receiver "
        f"{args.delay:g} s a call; worker from {args.src}; {url.split(':')[0]}"
    )
    with open(scratch / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "greenroom", "worker"],
            env=env,
            stdout=log,
            stderr=log,
            cwd=ROOT,
        )
        started = time.monotonic()
        deadline = started + args.seconds
        try:
            committed = asyncio.run(drive(url, quiet, args.quiet, args.every, deadline))
            while time.monotonic() < deadline and len(receiver.quiet_arrivals) < len(committed):
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=40)
            except subprocess.TimeoutExpired:
                worker.kill()
            receiver.shutdown()
    latencies = []
    for partner_id, at in committed.items():
        arrived = receiver.quiet_arrivals.get(partner_id)
        latency = arrived - at if arrived is not None else None
        latencies.append(latency)
        shown = (
            f"{latency:.2f} s" if latency is not None else f"not delivered in {args.seconds:g} s"
        )
        print(f"  quiet delivery {partner_id}: {shown}")
    delivered = [x for x in latencies if x is not None]
    elapsed = time.monotonic() - started
    print(
        f"quiet: {len(delivered)}/{len(latencies)} delivered, "
        + (
            f"median {statistics.median(delivered):.2f} s, max {max(delivered):.2f} s"
            if delivered
            else "none"
        )
        + f"; noisy: {receiver.slow_done} sent in {elapsed:.0f} s"
    )
    target_met = len(delivered) == len(latencies) and all(x < 5 for x in delivered)
    print("target (every quiet delivery under 5 s):", "met" if target_met else "NOT met")
    if worker.returncode not in (0, -signal.SIGTERM):
        print((scratch / "worker.log").read_text()[-3000:])


if __name__ == "__main__":
    main()
