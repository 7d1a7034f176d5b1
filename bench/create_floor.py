"""How far a user create is from its floor: the same inserts with nothing of ours around them.

    PYTHONPATH=src python bench/create_floor.py [--rounds 3] [--duration 3]

Three servers, each started as `greenroom serve` runs (`bench/serve.py`), on one SQLite database
each, seeded as `bench/run.py` seeds (one webhook endpoint for every event), driven by wrk in
alternating rounds (16 connections, a new partner_id per request):

- the bare ASGI app (`bench/bare.py`), the reference of every ratio;
- the floor (`app` below): per request it parses the body with orjson, makes the ids, times,
  event body, sign-in token and its HMAC, and runs the statements a create runs, compiled from
  the project's own `Statement`s (the user, the outbox message and its deliveries, the admin
  area's student row, the token), with values already in SQLite's form, in a savepoint of a
  transaction that all requests of one turn of the event loop share and commit together (the
  shape of `core.direct`'s shared commit). No routing, authentication, rate limits, validation,
  events, statement layer or access line;
- Greenroom, `POST /api/users/{new id}`.

It prints the median requests per second, the ratio to the bare app, and the server's CPU per
request. The floor is what SQLite and the HTTP server cost for a create on this machine; the
difference to Greenroom is what the product's own code costs. docs/decisions.md ("The data
path", twelfth pass) has the figures and what was decided from them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from uuid_utils import uuid7

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench import bare  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from greenroom.admin_area import repository as students_sql  # noqa: E402
from greenroom.admin_area.students import index_values  # noqa: E402
from greenroom.core.sqlite import SETUP_PRAGMAS  # noqa: E402
from greenroom.users import repository as users_sql  # noqa: E402
from greenroom.webhooks import repository as webhooks_sql  # noqa: E402

DIALECT = sqlite_dialect.dialect()
ENVIRONMENT = "production"
TOKEN_KEY = b"floor" * 8


def _compiled(statement: Any, keys: list[str]) -> tuple[str, list[tuple[str, Any]]]:
    """The statement's SQL for SQLite and its parameters (name, value when none is given)."""
    compiled = statement.compiled(DIALECT, dict.fromkeys(keys))
    return compiled.sql, [(name, default) for name, default, _ in compiled.params]


USER = _compiled(
    users_sql._INSERT_NEW["sqlite"],
    [
        "id",
        "org_id",
        "environment",
        "partner_id",
        "email",
        "first_name",
        "last_name",
        "metadata",
        "anonymous",
        "expires_at",
        "created_at",
        "updated_at",
    ],
)
MESSAGE = _compiled(
    webhooks_sql._INSERT_MESSAGE,
    ["id", "org_id", "environment", "event_type", "body", "created_at"],
)
DELIVERIES = _compiled(webhooks_sql._INSERT_QUEUED_DELIVERIES, [])
STUDENT = _compiled(students_sql._UPSERTS_BY_USER_ID["sqlite"], [])
TOKEN = _compiled(
    users_sql._INSERT_SIGN_IN_TOKEN,
    [
        "id",
        "org_id",
        "environment",
        "user_id",
        "token_hash",
        "secret_version",
        "redirect_to",
        "created_at",
        "expires_at",
    ],
)


def _run(
    conn: sqlite3.Connection, statement: tuple[str, list[tuple[str, Any]]], **values: Any
) -> list[Any]:
    sql, params = statement
    return conn.execute(sql, [values.get(name, default) for name, default in params]).fetchall()


class Floor:
    """The floor app's state in its server process: the connection and the open transaction."""

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None
        self.org_id = ""
        self.committed: asyncio.Future[None] | None = None
        self.savepoints = 0

    def open(self) -> sqlite3.Connection:
        if self.conn is None:
            conn = sqlite3.connect(os.environ["FLOOR_DB"], isolation_level=None)
            for pragma in ("PRAGMA busy_timeout=0", *SETUP_PRAGMAS):
                conn.execute(pragma)
            conn.execute("PRAGMA wal_autocheckpoint=50000")
            [(self.org_id,)] = conn.execute("SELECT id FROM organizations WHERE slug = 'bench'")
            self.conn = conn
        return self.conn

    def commit(self) -> None:
        committed, self.committed = self.committed, None
        assert self.conn is not None and committed is not None
        self.conn.execute("COMMIT")
        committed.set_result(None)


FLOOR = Floor()


def _text(at: datetime) -> str:
    return at.isoformat(" ", "microseconds")[:-6]


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")[:-6] + "Z"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await bare.app(scope, receive, send)  # nothing to start or stop
        return
    conn = FLOOR.open()
    if scope["method"] != "POST":  # the readiness probe
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    data = orjson.loads(body)
    partner_id = scope["path"].rsplit("/", 1)[1]
    now = datetime.now(UTC)
    user_id, message_id = uuid7().hex, uuid7().hex
    user = {
        "partner_id": partner_id,
        "email": data["email"],
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "metadata": None,
        "anonymous": False,
        "expires_at": None,
        "created_at": _iso(now),
        "updated_at": _iso(now),
    }
    event = orjson.dumps({"type": "user.created", "timestamp": _iso(now), "data": {"user": user}})
    token = secrets.token_hex(32)
    expires = now + timedelta(days=2)
    if FLOOR.committed is None:
        conn.execute("BEGIN IMMEDIATE")
        FLOOR.committed = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(FLOOR.commit)
    committed = FLOOR.committed
    FLOOR.savepoints += 1
    savepoint = f"member{FLOOR.savepoints % 32}"
    conn.execute(f"SAVEPOINT {savepoint}")
    common = {"org_id": FLOOR.org_id, "environment": ENVIRONMENT, "created_at": _text(now)}
    _run(
        conn,
        USER,
        **common,
        id=user_id,
        partner_id=partner_id,
        email=data["email"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        metadata="null",
        anonymous=0,
        expires_at=None,
        updated_at=_text(now),
    )
    _run(conn, MESSAGE, **common, id=message_id, event_type="user.created", body=event.decode())
    _run(
        conn,
        DELIVERIES,
        **common,
        message_id=message_id,
        event_type="user.created",
        ordering_key=f"user:{partner_id}",
        id_prefix=message_id[:16],
    )
    _run(
        conn,
        STUDENT,
        of_user=user_id,
        **index_values(user),
        anonymous=None,
        expires_at=None,
        lessons_completed=0,
        interviews_started=0,
        interviews_completed=0,
    )
    _run(
        conn,
        TOKEN,
        **common,
        id=uuid7().hex,
        user_id=user_id,
        token_hash=hmac.new(TOKEN_KEY, token.encode(), hashlib.sha256).hexdigest(),
        secret_version="b1",
        redirect_to=None,
        expires_at=_text(expires),
    )
    conn.execute(f"RELEASE {savepoint}")
    await committed
    user["token"] = {"token": token, "expires_at": _iso(expires)}
    headers = [(b"content-type", b"application/json"), (b"location", scope["raw_path"])]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps({"user": user})})


def main() -> None:
    from bench import run as bench

    from greenroom.core.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="greenroom-floor-")
    keys = {}
    urls = {name: f"sqlite+aiosqlite:///{folder}/{name}.db" for name in ("floor", "greenroom")}
    for name, url in urls.items():
        upgrade(url)
        keys[name] = asyncio.run(bench.seed(url))["key"]
    here = {**os.environ, "PYTHONPATH": str(ROOT)}
    servers = {
        "bare app": bench.start_server("bench.bare:app", here, False),
        "floor": bench.start_server(
            "bench.create_floor:app", {**here, "FLOOR_DB": f"{folder}/floor.db"}, False
        ),
        "Greenroom": bench.start_server(
            "greenroom.app:create_app",
            {
                **os.environ,
                "PYTHONPATH": str(ROOT / "src"),
                "GREENROOM_DATABASE_URL": urls["greenroom"],
                "GREENROOM_SECRETS": bench.SECRETS,
                "GREENROOM_RUN_WORKER": "false",
                "GREENROOM_LOG_LEVEL": "INFO",
            },
            True,
        ),
    }
    headers = {"Host": bench.HOST, "Authorization": keys["greenroom"]}
    results: dict[str, list[Any]] = {name: [] for name in servers}
    try:
        for round_number in range(args.rounds + 1):  # the first round warms up
            for name, (server, port) in servers.items():
                creates = name != "bare app"
                run_args = argparse.Namespace(
                    connections=args.connections, duration=1 if round_number == 0 else args.duration
                )
                path = "/api/users/x" if creates else "/"
                result = bench.run_wrk(
                    server, port, path, headers, run_args, post_new_users=creates
                )
                if round_number:
                    results[name].append(result)
    finally:
        for server, _ in servers.values():
            server.terminate()
    reference = statistics.median(r.rps for r in results["bare app"])
    print(f"{'':12} {'req/s':>8} {'ratio':>7} {'CPU us/req':>11} {'not 201':>8}")
    for name, runs in results.items():
        rps = statistics.median(r.rps for r in runs)
        cpu = statistics.median(r.cpu_us for r in runs)
        errors = sum(r.errors for r in runs) if name != "bare app" else 0
        print(f"{name:12} {rps:8.0f} {rps / reference:7.3f} {cpu:11.0f} {errors:8}")


if __name__ == "__main__":
    main()
