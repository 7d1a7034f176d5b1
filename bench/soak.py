"""The database under mixed load, as a deployment sees it (127.0.0.1 only, bounded in time).

    python bench/soak.py import [--rows 5000]          # reads while an admin's CSV import runs
    python bench/soak.py mixed [--minutes 5] [--workers 2]

`import`: one server on a fresh SQLite file (or `--database-url`). An admin uploads a CSV of
`--rows` users through the admin area; while the import job runs, 8 clients read users,
progress and lists through the Partner API. Prints the reads' p50/p99, the count of 5xx, and how
long the import took. Goal on SQLite: p99 under 100 ms, zero 5xx.

`mixed`: `greenroom serve --workers N` on one SQLite file for `--minutes`: clients read, create
users, issue and redeem sign-in links, a webhook endpoint on a local receiver gets every event
(the worker inside each server delivers), and an admin imports a CSV every minute. Prints
requests, 5xx, "database is locked" lines in the servers' logs, webhook deliveries received,
and each server process's memory (RSS) at the end. Goals: zero 5xx, zero lock errors, RSS under
150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.run import SECRETS, free_port  # noqa: E402
from bench.seed_scale import seed  # noqa: E402

from greenroom.core.migrate import upgrade  # noqa: E402

SLUG = "scale"  # bench/seed_scale.py's org, with its admin
ADMIN = f"admin@{SLUG}.example.com"
PASSWORD = "x" * 12
HOST = f"{SLUG}.greenroom.localhost"
TOKEN_RE = re.compile(r'name="csrftoken" value="([^"]+)"')
JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.statuses: Counter[int] = Counter()

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        self.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        self.statuses[response.status_code] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def start(
    database_url: str, workers: int, data_dir: str, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": database_url,
        "GREENROOM_DATA_DIR": data_dir,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_WEBHOOKS_ALLOW_PRIVATE": "true",
        "GREENROOM_PUBLIC_PORT": str(port),
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [
        sys.executable,
        "-m",
        "greenroom",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {log}") from None
            time.sleep(0.2)


def csv_of(rows: int, prefix: str) -> bytes:
    lines = ["partner_id,email,first_name,last_name"]
    lines += [
        f"{prefix}-{n},{prefix}{n}@scale.example.com,Imported,Number {n}" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def admin_client(port: int) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Host": HOST},
        timeout=60,
        follow_redirects=False,
    )
    page = await client.get("/login/admin")
    token = TOKEN_RE.search(page.text)
    assert token, page.text[:300]
    response = await client.post(
        "/login/admin", data={"csrftoken": token.group(1), "email": ADMIN, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text[:300]
    return client


async def import_csv(admin: httpx.AsyncClient, data: bytes) -> str:
    """Upload the file; the job's status URL."""
    page = await admin.get("/admin/imports")
    token = TOKEN_RE.search(page.text)
    assert token, page.text[:300]
    response = await admin.post(
        "/admin/imports",
        data={"csrftoken": token.group(1)},
        files={"file": ("users.csv", data, "text/csv")},
    )
    assert response.status_code == 303, response.text[:500]
    return str(response.headers["location"]) + "/status"


async def wait_for_import(admin: httpx.AsyncClient, status_url: str) -> dict[str, Any]:
    while True:
        response = await admin.get(status_url)
        if response.status_code == 200:
            status: dict[str, Any] = response.json()
            if status.get("state") in ("done", "failed"):
                return status
        await asyncio.sleep(0.25)


async def reader(port: int, key: str, tally: Tally, stop: asyncio.Event, users: int) -> None:
    paths = [
        ("user", lambda n: f"/api/users/u{n:07d}"),
        ("progress", lambda n: f"/api/users/u{n:07d}/progress"),
        ("list", lambda _n: "/api/users?limit=50"),
    ]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Host": HOST, "Authorization": key},
        timeout=60,
    ) as client:
        n = 0
        while not stop.is_set():
            kind, path = paths[n % len(paths)]
            started = time.perf_counter()
            response = await client.get(path(n * 7919 % users))
            tally.record(kind, started, response)
            n += 1


def summary(tally: Tally) -> str:
    lines = []
    for kind, values in sorted(tally.latencies.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        lines.append(
            f"  {kind:10} {len(values):7d} requests  p50 {statistics.median(values):7.1f} ms  p99 {p99:7.1f} ms"
        )
    lines.append(f"  statuses: {dict(sorted(tally.statuses.items()))}; 5xx: {tally.server_errors}")
    return "\n".join(lines)


async def scenario_import(port: int, key: str, rows: int, users: int) -> None:
    admin = await admin_client(port)
    tally = Tally()
    stop = asyncio.Event()
    readers = [asyncio.create_task(reader(port, key, tally, stop, users)) for _ in range(8)]
    await asyncio.sleep(2)  # reads alone first
    started = time.perf_counter()
    status = await wait_for_import(
        admin, await import_csv(admin, csv_of(rows, f"imp{int(time.time())}"))
    )
    took = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*readers)
    await admin.aclose()
    print(f"import of {rows} rows: {status.get('state')} in {took:.1f} s ({status})")
    print("Partner API reads while it ran:")
    print(summary(tally))


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 to every POST and counts them."""

    def __init__(self) -> None:
        self.received = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                await reader.readexactly(length)
                self.received += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def memory_of(master: int) -> list[tuple[int, int]]:
    """(pid, RSS in MB) of the server's processes (the supervisor and its workers)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,rss=", "--ppid", str(master), "-p", str(master)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [(int(out[i]), int(out[i + 1]) // 1024) for i in range(0, len(out), 2)]


async def creator(port: int, key: str, tally: Tally, stop: asyncio.Event, name: str) -> None:
    """Creates users and signs each in: the API's token, then the browser's redemption."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST}, timeout=60
    ) as client:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            created = await client.post(
                f"/api/users/{name}-{n}", json=JANE, headers={"Authorization": key}
            )
            tally.record("create", started, created)
            if created.status_code == 201 and n % 2 == 0:
                started = time.perf_counter()
                link = await client.post(
                    f"/api/users/{name}-{n}/sso", json={}, headers={"Authorization": key}
                )
                tally.record("sso issue", started, link)
                if link.status_code == 201:
                    started = time.perf_counter()
                    redeemed = await client.get(
                        "/sso/login", params={"token": link.json()["token"]}
                    )
                    tally.record("sso redeem", started, redeemed)
                    client.cookies.clear()
            n += 1


async def importer(port: int, tally: Tally, stop: asyncio.Event, rows: int) -> int:
    admin = await admin_client(port)
    imported = 0
    try:
        while not stop.is_set():
            started = time.perf_counter()
            url = await import_csv(admin, csv_of(rows, f"mix{imported}-{int(time.time())}"))
            status = await wait_for_import(admin, url)
            tally.latencies.setdefault("import", []).append((time.perf_counter() - started) * 1000)
            imported += 1
            if status.get("state") != "done":
                tally.statuses[599] += 1  # an import that failed counts as an error
            for _ in range(60):
                if stop.is_set():
                    break
                await asyncio.sleep(1)
    finally:
        await admin.aclose()
    return imported


async def scenario_mixed(
    port: int, key: str, args: argparse.Namespace, proc: subprocess.Popen[bytes]
) -> None:
    receiver = Receiver()
    await receiver.start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST, "Authorization": key}
    ) as client:
        hook = await client.post(
            "/api/webhooks", json={"url": f"http://127.0.0.1:{receiver.port}/hook"}
        )
        assert hook.status_code == 201, hook.text
    tally = Tally()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(reader(port, key, tally, stop, args.users)) for _ in range(4)]
    tasks += [
        asyncio.create_task(creator(port, key, tally, stop, f"soak{n}-{int(time.time())}"))
        for n in range(2)
    ]
    imports = asyncio.create_task(importer(port, tally, stop, 500))
    await asyncio.sleep(args.minutes * 60)
    stop.set()
    await asyncio.gather(*tasks)
    imported = await imports
    await asyncio.sleep(5)  # the last events' deliveries
    rss = memory_of(proc.pid)
    assert receiver.server is not None
    receiver.server.close()
    print(f"mixed load for {args.minutes} min on {args.workers} server processes:")
    print(summary(tally))
    print(f"  imports of 500 rows: {imported}; webhook deliveries received: {receiver.received}")
    print(f"  memory at the end (pid, RSS MB): {rss}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenario", choices=["import", "mixed"])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--users", type=int, default=10_000, help="seeded users to read")
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/soak.db"
        upgrade(url)
        key = asyncio.run(seed(url, SLUG, args.users))
        log = Path(tmp) / "server.log"
        workers = 1 if args.scenario == "import" else args.workers
        proc, port = start(url, workers, tmp, log)
        try:
            if args.scenario == "import":
                asyncio.run(scenario_import(port, key, args.rows, args.users))
            else:
                asyncio.run(scenario_mixed(port, key, args, proc))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            text = log.read_text()
            print(
                f"server log: {text.count('database is locked')} 'database is locked', "
                f"{text.count('unhandled error')} unhandled errors"
            )


if __name__ == "__main__":
    main()
