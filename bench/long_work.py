"""Long work beside the API, on real servers (127.0.0.1 only): the targets of issue 14 that are
about background work.

    PYTHONPATH=src python bench/long_work.py import [--rows 5000] [--readers 16]
    PYTHONPATH=src python bench/long_work.py soak [--minutes 5] [--workers 2]
    (either with --database-url postgresql+asyncpg://postgres@127.0.0.1:5433/bench: a scratch
    database; SQLite, a fresh file, by default)

`import`: one `greenroom serve` process. `--readers` clients read users and their progress
(`GET /api/users/{id}`, `/progress`) for 3 s, then while an admin uploads a `--rows`-row CSV
import and its page polls the status twice a second, until the import is done. Prints the
reads' latency before and during the import (p50, p99, max), their 5xx, the failed status
polls, and how long the import took. Target: reads p99 under 100 ms during the import, zero 5xx.

`soak`: `greenroom serve --workers N` for `--minutes`, with reads, creates, SSO links issued and
redeemed, webhook deliveries to a local receiver (every create is an event), and a `--rows`
import at the start and at the middle. Prints the 5xx, the lines of the servers' logs that say
"database is locked", and the resident memory of each worker process at the end. Target (SQLite,
two workers): zero 5xx, zero "database is locked", each worker under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SECRETS = "b1:bench-secret-0123456789abcdef0123456789abcdef"
SLUG = "longwork"
HOST = f"{SLUG}.greenroom.localhost"
ADMIN = "bench@xyz.example.com"
PASSWORD = "correct horse battery staple"
SEEDED_USERS = 200
_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def seed(database_url: str) -> str:
    """An org with an admin, a key, `SEEDED_USERS` users; rate limits out of the way (the
    limiter still runs). The key."""
    from greenroom.admins import service as admins
    from greenroom.core.db import Database
    from greenroom.core.settings import Settings
    from greenroom.keys import service as keys
    from greenroom.tenancy import service as orgs
    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment
    from greenroom.users import service as users
    from greenroom.users.schemas import UserWrite

    settings = Settings(secrets=SECRETS, database_url=database_url)  # type: ignore[arg-type]
    database = Database(database_url)
    async with database.writer() as session, session.begin():
        org = await orgs.create_org(session, slug=SLUG, name="Long Work Corporation")
        await admins.create_admin(session, org, email=ADMIN, password=PASSWORD)
        org.rate_limit_per_minute = 2_000_000_000
        org.key_rate_limit_per_minute = 1_000_000_000
        created = await keys.create_key(
            session,
            org_id=org.id,
            environment=Environment.PRODUCTION,
            name="bench",
            created_by="cli",
            server_secret=settings.server_secrets[0],
        )
        tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
        for i in range(SEEDED_USERS):
            await users.create_or_update(
                session,
                tenant,
                f"seed{i}",
                UserWrite(first_name="Jane", last_name="Doe", email=f"seed{i}@xyz.example.com"),
                secret=None,
            )
    await database.dispose()
    return created.secret


class Server:
    """`greenroom serve` in a process of its own, its output in a log file."""

    def __init__(self, env: dict[str, str], workers: int, scratch: Path) -> None:
        self.port = free_port()
        self.log_path = scratch / f"server-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "greenroom", "serve",
                "--port", str(self.port), "--workers", str(workers),
            ],
            cwd=ROOT, env=env, stdout=self._log, stderr=self._log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start; see {self.log_path}") from None
                time.sleep(0.2)

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of the server's processes (its workers, or itself alone)."""
        pids = _children(self.proc.pid) or [self.proc.pid]
        return [_rss_kb(pid) / 1024 for pid in pids]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()

    def locked_lines(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if "database is locked" in line]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    def record(self, what: str, started: float, response: httpx.Response | None) -> None:
        self.latencies.setdefault(what, []).append(time.perf_counter() - started)
        status = response.status_code if response is not None else 0
        self.statuses[f"{what} {status}"] += 1
        if response is None or status >= 500:
            self.server_errors.append(f"{what}: {status or 'no answer'}")

    def summary(self, what: str) -> str:
        values = sorted(self.latencies.get(what, []))
        if not values:
            return f"{what}: none"
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return (
            f"{what}: {len(values)} calls, p50 {statistics.median(values) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {values[-1] * 1000:.0f} ms"
        )


class Admin:
    """An admin's browser: cookies kept by hand (the host is in a header, not the URL)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def get(self, path: str) -> httpx.Response:
        return self._keep(await self.client.get(path, headers=self._headers()))

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._keep(await self.client.post(path, headers=self._headers(), **kwargs))

    async def log_in(self) -> None:
        page = await self.get("/login/admin")
        token = _CSRF.search(page.text)
        assert token, page.text[:500]
        done = await self.post(
            "/login/admin",
            data={"csrftoken": token.group(1), "email": ADMIN, "password": PASSWORD},
        )
        assert done.status_code == 303, done.text[:500]

    async def upload(self, rows: int, tag: str) -> str:
        page = await self.get("/admin/imports")
        token = _CSRF.search(page.text)
        assert token, page.text[:500]
        csv = io.StringIO()
        csv.write("partner_id,email,first_name,last_name\n")
        for i in range(rows):
            csv.write(f"{tag}{i},{tag}{i}@xyz.example.com,Imported,User{i}\n")
        response = await self.post(
            "/admin/imports",
            data={"csrftoken": token.group(1)},
            files={"file": (f"{tag}.csv", csv.getvalue().encode(), "text/csv")},
        )
        assert response.status_code == 303, response.text[:500]
        return response.headers["location"]


async def read_loop(api: httpx.AsyncClient, stats: Stats, stop: asyncio.Event, kind: str) -> None:
    while not stop.is_set():
        user = f"seed{random.randrange(SEEDED_USERS)}"
        path = f"/api/users/{user}" + ("/progress" if random.random() < 0.5 else "")
        started = time.perf_counter()
        try:
            response = await api.get(path)
        except httpx.HTTPError:
            response = None
        stats.record(kind, started, response)


async def poll_import(
    admin: Admin, job_page: str, stats: Stats, stop: asyncio.Event | None = None
) -> float:
    """Poll the import's status as its page does (twice a second) until it is done."""
    started = time.monotonic()
    while stop is None or not stop.is_set():
        began = time.perf_counter()
        try:
            response: httpx.Response | None = await admin.get(f"{job_page}/status")
        except httpx.HTTPError:
            response = None
        stats.record("import status poll", began, response)
        if response is not None and response.status_code == 200:
            if response.json()["status"] in ("done", "failed"):
                print(f"  import {job_page}: {response.json()}")
                break
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def clients(port: int, key: str, count: int) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=count + 4, max_keepalive_connections=count + 4)
    base = f"http://127.0.0.1:{port}"
    api = httpx.AsyncClient(
        base_url=base, headers={"Host": HOST, "Authorization": key}, limits=limits, timeout=60
    )
    browser = httpx.AsyncClient(base_url=base, headers={"Host": HOST}, timeout=60)
    return api, browser


async def import_case(port: int, key: str, args: argparse.Namespace) -> Stats:
    stats = Stats()
    api, browser = clients(port, key, args.readers)
    async with api, browser:
        admin = Admin(browser)
        await admin.log_in()
        stop = asyncio.Event()
        readers = [
            asyncio.create_task(read_loop(api, stats, stop, "reads before the import"))
            for _ in range(args.readers)
        ]
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(*readers)
        stop = asyncio.Event()
        readers = [
            asyncio.create_task(read_loop(api, stats, stop, "reads during the import"))
            for _ in range(args.readers)
        ]
        job_page = await admin.upload(args.rows, "imp")
        took = await poll_import(admin, job_page, stats)
        stop.set()
        await asyncio.gather(*readers)
    print(f"  the {args.rows}-row import took {took:.1f} s")
    return stats


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with self.server.lock:
            self.server.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


async def create_loop(api: httpx.AsyncClient, stats: Stats, stop: asyncio.Event, n: int) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        body = {"first_name": "Soak", "last_name": "User", "email": f"c{n}-{i}@xyz.example.com"}
        started = time.perf_counter()
        try:
            response = await api.post(f"/api/users/soak{n}-{i}", json=body)
        except httpx.HTTPError:
            response = None
        stats.record("create", started, response)


async def sso_loop(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, stats: Stats, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        user = f"seed{random.randrange(SEEDED_USERS)}"
        started = time.perf_counter()
        try:
            issued = await api.post(f"/api/users/{user}/sso", json={})
        except httpx.HTTPError:
            issued = None
        stats.record("sso issue", started, issued)
        if issued is None or issued.status_code != 201:
            continue
        token = issued.json()["token"]
        started = time.perf_counter()
        try:
            redeemed: httpx.Response | None = await browser.get(
                "/sso/login", params={"token": token}
            )
        except httpx.HTTPError:
            redeemed = None
        stats.record("sso redeem", started, redeemed)


async def soak_case(port: int, key: str, args: argparse.Namespace, receiver: Receiver) -> Stats:
    stats = Stats()
    api, browser = clients(port, key, 8)
    async with api, browser:
        hook = await api.post(
            "/api/webhooks",
            json={
                "url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                "events": ["user.created"],
            },
        )
        assert hook.status_code == 201, hook.text
        admin = Admin(browser)
        await admin.log_in()
        stop = asyncio.Event()
        loops = [asyncio.create_task(read_loop(api, stats, stop, "read")) for _ in range(4)]
        loops += [asyncio.create_task(create_loop(api, stats, stop, n)) for n in range(2)]
        loops.append(asyncio.create_task(sso_loop(api, browser, stats, stop)))
        half = args.minutes * 30
        for round_ in ("a", "b"):
            job_page = await admin.upload(args.rows, f"soak{round_}")
            polling = asyncio.create_task(poll_import(admin, job_page, stats, stop))
            await asyncio.sleep(half)
            if not polling.done():
                print(f"  import {job_page} not done after {half:.0f} s")
                polling.cancel()
        stop.set()
        await asyncio.gather(*loops)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=("import", "soak"))
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workers = args.workers or (2 if args.case == "soak" else 1)

    from greenroom.core.migrate import upgrade

    scratch = Path(tempfile.mkdtemp(prefix="gr-longwork-"))
    url = args.database_url or f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    upgrade(url)
    key = asyncio.run(seed(url))
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "GREENROOM_DATABASE_URL": url,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_DATA_DIR": str(scratch / "data"),
        "GREENROOM_LOG_LEVEL": "WARNING",
        "GREENROOM_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    print(f"{args.case}: {url.split(':')[0]}, {workers} server process(es), logs in {scratch}")
    server = Server(env, workers, scratch)
    try:
        if args.case == "import":
            stats = asyncio.run(import_case(server.port, key, args))
            cases = ["reads before the import", "reads during the import", "import status poll"]
        else:
            stats = asyncio.run(soak_case(server.port, key, args, receiver))
            cases = ["read", "create", "sso issue", "sso redeem", "import status poll"]
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    for case in cases:
        print("  " + stats.summary(case))
    print(f"  statuses: {dict(sorted(stats.statuses.items()))}")
    print(f"  5xx or no answer: {len(stats.server_errors)} {stats.server_errors[:5]}")
    locked = server.locked_lines()
    print(f"  'database is locked' in the server logs: {len(locked)} {locked[:3]}")
    if args.case == "soak":
        print(f"  webhook deliveries received: {receiver.received}")
        print(f"  resident memory at the end: {', '.join(f'{mb:.0f} MB' for mb in rss)}")
    receiver.shutdown()


if __name__ == "__main__":
    main()
