"""What one authenticated request costs inside the process, without a server or a network.

    python bench/inprocess.py [--requests 2000] [--rounds 15]

Calls the real app (`create_app`, all middleware, a seeded SQLite database) as an ASGI callable
in a tight loop and prints the median and best microseconds per GET of `--path` (default
`/api/auth/check`), with and
without the access line, beside a bare FastAPI app with one route. Use it to attribute a change
before measuring it for real with `bench/run.py`: under load every figure is ~1.5x higher (caches
go cold between requests), but the differences point the same way. For where the time goes, run
it under `py-spy record -r 300 -f raw -o out.txt -- python bench/inprocess.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from asgi_lifespan import LifespanManager  # noqa: E402
from bench.run import HOST, SECRETS, seed  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from starlette.responses import Response  # noqa: E402

from greenroom.app import create_app  # noqa: E402
from greenroom.core.migrate import upgrade  # noqa: E402
from greenroom.core.settings import Settings  # noqa: E402

Scope = dict[str, Any]


def request_scope(key: str, path: str) -> Scope:
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", HOST.encode()),
            (b"authorization", key.encode()),
            (b"user-agent", b"bench"),
            (b"accept", b"*/*"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


CREATE_BODY = b'{"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}'


_new_ids = itertools.count()


def scopes(scope: Scope, create: bool) -> Iterator[Scope]:
    """The request's scope again and again; with `create`, a POST of a new user each time."""
    for n in _new_ids:
        if not create:
            yield dict(scope)
            continue
        path = f"/api/users/inprocess-{n}"
        yield {
            **scope,
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "headers": [
                *scope["headers"],
                (b"content-type", b"application/json"),
                (b"content-length", str(len(CREATE_BODY)).encode()),
            ],
        }


async def per_request_us(
    app: Any, requests: Iterator[Scope], args: argparse.Namespace, expected: int = 200
) -> list[float]:
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": CREATE_BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(300):  # warm caches, the key cache included
        await app(next(requests), receive, send)
    if statuses[-1] != expected:
        raise SystemExit(f"the request answered {statuses[-1]}, not {expected}")
    rounds = []
    for _ in range(args.rounds):
        # CPU time of this process: steadier than wall time on a machine shared with others.
        started = time.process_time()
        for _ in range(args.requests):
            await app(next(requests), receive, send)
        rounds.append((time.process_time() - started) / args.requests * 1e6)
    return rounds


async def measure(tmp: str, url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    key = (await seed(url))["key"]  # the org, limits and key of bench/run.py
    settings = Settings(secrets=SECRETS, database_url=url, data_dir=Path(tmp), run_worker=False)
    app = create_app(settings)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.stream = io.StringIO()  # the lines are written, not shown
    async with LifespanManager(app):
        scope = request_scope(key, args.path)
        bare = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

        @bare.get(args.path.partition("?")[0])
        async def check() -> Response:
            return Response(b'{"ok":true}', media_type="application/json")

        name = "POST /api/users/{new id}" if args.create else f"GET {args.path}"
        status = 201 if args.create else 200
        results = {
            "bare FastAPI app, one route": await per_request_us(bare, scopes(scope, False), args)
        }
        results[name] = await per_request_us(app, scopes(scope, args.create), args, status)
        access = logging.getLogger("greenroom.access")
        access.disabled = True
        results[f"{name}, no access line"] = await per_request_us(
            app, scopes(scope, args.create), args, status
        )
        access.disabled = False
    return results


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)  # runs its own event loop, so before ours
        results = asyncio.run(measure(tmp, url, args))
    print(f"{'in process, CPU per request':44} {'median us':>10} {'best us':>8}")
    for name, rounds in results.items():
        print(f"{name:44} {statistics.median(rounds):10.1f} {min(rounds):8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--create", action="store_true", help="measure POST /api/users/{new id} instead"
    )
    parser.add_argument(
        "--path",
        default="/api/auth/check",
        help="the GET to measure, e.g. /api/users/abc123def/progress (bench/run.py's user)",
    )
    main(parser.parse_args())
