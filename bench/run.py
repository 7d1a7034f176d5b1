"""Benchmark of the authenticated hot path against a bare ASGI app, on 127.0.0.1 only.

    python bench/run.py [--rounds 3] [--duration 4] [--connections 16] [--log-level INFO]
                        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5433/bench]

Starts real uvicorn processes (one worker each, same settings), drives them with wrk, and prints
for every case the median throughput and latency of the rounds, and their ratio to the bare app.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SECRETS = "b1:bench-secret-0123456789abcdef0123456789abcdef"
SLUG = "bench"
HOST = f"{SLUG}.greenroom.localhost"
PASSWORD = "correct horse battery staple"


@dataclass
class Case:
    name: str
    path: str
    headers: dict[str, str]
    post_new_users: bool = False


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float  # server CPU time per request (user + system), 0 where /proc is missing


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), or 0."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    target: str, env: dict[str, str], factory: bool
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "serve.py"), target, str(port)]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server {target} did not start") from None
            time.sleep(0.1)


def lua_script(headers: dict[str, str], post_new_users: bool = False) -> str:
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    if post_new_users:
        # A new partner_id per request: every request creates a user (201). The prefix comes from
        # here, new for each run: wrk's Lua `math.random` is not seeded, so a prefix drawn there
        # was the same in every run, and from the second run on most "creates" were re-POSTs of
        # users that existed (answered 200, no outbox row). Any answer but 201 is counted.
        prefix = secrets.token_hex(6)
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            'wrk.body = \'{"first_name": "Jane", "last_name": "Doe", '
            '"email": "jane.doe@xyz.example.com"}\'',
            "local threads = {}",
            "function setup(thread) table.insert(threads, thread) end",
            "local n = 0",
            "not_created = 0",
            "request = function()",
            "  n = n + 1",
            f"  return wrk.format(nil, '/api/users/bench-{prefix}-' .. n)",
            "end",
            "response = function(status, headers, body)",
            "  if status ~= 201 then not_created = not_created + 1 end",
            "end",
            "done = function(summary, latency, requests)",
            "  local total = 0",
            "  for _, thread in ipairs(threads) do total = total + thread:get('not_created') end",
            "  io.write(string.format('Not created: %d\\n', total))",
            "end",
        ]
    return "\n".join(lines) + "\n"


def parse_duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(
    server: subprocess.Popen[bytes],
    port: int,
    path: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    *,
    post_new_users: bool = False,
) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(headers, post_new_users))
    cpu_before = cpu_seconds(server.pid)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    cpu = cpu_seconds(server.pid) - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = parse_duration_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = parse_duration_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if post_new_users:  # a create counts only as a 201 (see `lua_script`)
        errors = re.search(r"Not created: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    cpu_us = cpu / requests * 1e6 if requests else 0.0
    return Result(rps, p50, p99, int(errors.group(1)) if errors else 0, cpu_us)


BENCH_USER = "abc123def"


async def seed(database_url: str) -> dict[str, str]:
    """An org with generous rate limits (the limiter still runs), an admin, a key, a webhook
    endpoint for every event (so that a create writes its outbox rows, as in a partner's
    deployment; no worker runs, nothing is sent), and the user `abc123def` with practice activity
    (lessons, interviews) behind their progress."""
    from greenroom.admins import service as admins
    from greenroom.content.loader import get_pack
    from greenroom.core.db import Database
    from greenroom.core.settings import Settings
    from greenroom.keys import service as keys
    from greenroom.practice.demo import LEVELS, seed_activity
    from greenroom.tenancy import repository
    from greenroom.tenancy import service as orgs
    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment
    from greenroom.users import service as users
    from greenroom.users.schemas import UserWrite
    from greenroom.webhooks import service as webhooks

    settings = Settings(secrets=SECRETS, database_url=database_url)  # type: ignore[arg-type]
    database = Database(database_url)
    async with database.writer() as session, session.begin():
        org = await repository.get_by_slug(session, SLUG)
        if org is None:
            org = await orgs.create_org(session, slug=SLUG, name="Bench Corporation")
            await admins.create_admin(
                session, org, email="bench@xyz.example.com", password=PASSWORD
            )
            await webhooks.create_endpoint(
                session,
                Tenant(OrgSnapshot.of(org), Environment.PRODUCTION),
                settings=settings.model_copy(update={"webhooks_allow_private": True}),
                url="http://127.0.0.1:9999/bench-hook",
            )
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
        made = await users.create_or_update(
            session,
            tenant,
            BENCH_USER,
            UserWrite(first_name="Jane", last_name="Doe", email="jane.doe@xyz.example.com"),
            secret=None,
        )
        await seed_activity(session, tenant, made.user, get_pack(None), LEVELS["busy"])
    await database.dispose()
    return {"key": created.secret}


def get_token(port: int, key: str) -> str:
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/auth/token",
        headers={"Host": HOST, "X-API-Key": key},
        json={"email": "bench@xyz.example.com", "password": PASSWORD},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def bench_database(label: str, database_url: str, args: argparse.Namespace) -> None:
    from greenroom.core.migrate import upgrade

    upgrade(database_url)
    key = asyncio.run(seed(database_url))["key"]
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": database_url,
        "GREENROOM_SECRETS": SECRETS,
        "GREENROOM_RUN_WORKER": "false",
        "PYTHONPATH": str(ROOT / "src"),
        "GREENROOM_LOG_LEVEL": args.log_level,
    }
    bare, bare_port = start_server("bench.bare:app", {**env, "PYTHONPATH": str(ROOT)}, False)
    app, app_port = start_server("greenroom.app:create_app", env, True)
    try:
        token = get_token(app_port, key)
        auth = {"Host": HOST, "Authorization": key}
        user = f"/api/users/{BENCH_USER}"
        cases = [
            Case("GET /api/auth/check, Authorization: key", "/api/auth/check", auth),
            Case(
                "GET /api/auth/check, X-API-Key + Bearer",
                "/api/auth/check",
                {"Host": HOST, "X-API-Key": key, "Authorization": f"Bearer {token}"},
            ),
            Case(
                "GET /api/auth/check, unknown key (401)",
                "/api/auth/check",
                {"Host": HOST, "Authorization": "0" * 32},
            ),
            Case("GET /api/users/{id}", user, auth),
            Case("GET /api/users/{id}/progress", f"{user}/progress", auth),
            Case("GET /api/users/{id}/interviews", f"{user}/interviews", auth),
            Case("GET /api/users?limit=50", "/api/users?limit=50", auth),
            Case("POST /api/users/{new id} (create)", "/api/users/new", auth, post_new_users=True),
        ]
        cases = [c for c in cases if not args.only or any(w in c.name for w in args.only)]
        # Warm both (caches, connection pools), then alternate rounds so drift hits both alike.
        warm = argparse.Namespace(**{**vars(args), "duration": 1})
        run_wrk(bare, bare_port, "/", {}, warm)
        for case in cases:
            run_wrk(
                app, app_port, case.path, case.headers, warm, post_new_users=case.post_new_users
            )
        bare_results: list[Result] = []
        case_results: dict[str, list[Result]] = {case.name: [] for case in cases}
        for _ in range(args.rounds):
            bare_results.append(run_wrk(bare, bare_port, "/", {}, args))
            for case in cases:
                case_results[case.name].append(
                    run_wrk(
                        app,
                        app_port,
                        case.path,
                        case.headers,
                        args,
                        post_new_users=case.post_new_users,
                    )
                )
    finally:
        for proc in (bare, app):
            proc.terminate()
            proc.wait(timeout=10)

    def med(results: list[Result], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results)

    base_rps, base_p50 = med(bare_results, "rps"), med(bare_results, "p50_ms")
    print(
        f"\n== {label}: {args.rounds} rounds x {args.duration}s, {args.connections} connections, "
        f"1 worker, server log level {args.log_level}, medians"
    )
    print(
        f"{'case':44} {'req/s':>9} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8} "
        f"{'cpu us/req':>10}"
    )
    print(
        f"{'bare ASGI app':44} {base_rps:9.0f} {1:6.3f} {base_p50:7.2f} "
        f"{med(bare_results, 'p99_ms'):7.2f} {0:8d} {med(bare_results, 'cpu_us'):10.0f}"
    )
    for name, results in case_results.items():
        rps = med(results, "rps")
        errors = sum(r.errors for r in results)
        print(
            f"{name:44} {rps:9.0f} {rps / base_rps:6.3f} {med(results, 'p50_ms'):7.2f} "
            f"{med(results, 'p99_ms'):7.2f} {errors:8d} {med(results, 'cpu_us'):10.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", help="also run on this PostgreSQL database")
    parser.add_argument(
        "--only",
        nargs="*",
        help="run only the cases whose name holds one of these words (e.g. --only progress POST)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="GREENROOM_LOG_LEVEL of the server (INFO, the default, writes an access line per "
        "request, as in production; WARNING shows what that line costs)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        bench_database("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)
    if args.database_url:
        bench_database("PostgreSQL", args.database_url, args)


if __name__ == "__main__":
    main()
