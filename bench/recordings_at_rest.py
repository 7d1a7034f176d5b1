"""What sealing recordings at rest costs when they are served: a 10 MB recording, plain vs sealed.

    python bench/recordings_at_rest.py [--megabytes 10] [--rounds 15]

Serves the same bytes three ways, in turn within each round so that they see the same machine:
`FileResponse` of the plain file (what playback used before), and `practice.playback` (the
streamed response the routes use now) of the plain file and of the sealed one. Each is an ASGI
app called in process (no network, no server), the body drained as a client would; the member
and admin routes add their authentication and audit on top, the same for all three. Prints the
median and best throughput of the whole file and of 1 MB ranges (what a player's seeking asks
for), and the time to write the file into storage (`import_file`: a rename when plain, sealing
when not).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from starlette.requests import Request  # noqa: E402
from starlette.responses import FileResponse, Response  # noqa: E402

from greenroom.core.settings import ServerSecret  # noqa: E402
from greenroom.practice import playback  # noqa: E402
from greenroom.practice.storage import LocalStorage  # noqa: E402

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
FOLDER = "0" * 32


def scope(range_header: str | None) -> dict[str, Any]:
    headers = [(b"host", b"bench")]
    if range_header:
        headers.append((b"range", range_header.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/r",
        "raw_path": b"/r",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }


def streamed(storage: LocalStorage, key: str) -> App:
    async def app(sc: dict[str, Any], receive: Any, send: Any) -> None:
        reader = await playback.open_recording(storage, key)
        response = await playback.respond(
            Request(sc), reader, key, media_type="video/webm", headers={}
        )
        await response(sc, receive, send)

    return app


def file_response(path: Path) -> App:
    async def app(sc: dict[str, Any], receive: Any, send: Any) -> None:
        response: Response = FileResponse(path, media_type="video/webm")
        await response(sc, receive, send)

    return app


async def drain(app: App, range_header: str | None) -> int:
    received = 0

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # no disconnect while the body is sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal received
        if message["type"] == "http.response.body":
            received += len(message.get("body", b""))

    await app(scope(range_header), receive, send)
    return received


async def measure(app: App, size: int, ranges: bool) -> float:
    """MB/s of one pass: the whole file, or the file in 1 MB ranges."""
    started = time.perf_counter()
    if ranges:
        total = 0
        for start in range(0, size, 1 << 20):
            total += await drain(app, f"bytes={start}-{min(start + (1 << 20), size) - 1}")
    else:
        total = await drain(app, None)
    assert total == size, (total, size)
    return size / (time.perf_counter() - started) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    size = args.megabytes * 1_000_000
    secret = ServerSecret("v1", os.urandom(32))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        plain_storage = LocalStorage(root)
        sealing = LocalStorage(root, secrets=[secret], encrypt=True)
        data = os.urandom(size)
        writes: dict[str, list[float]] = {"plain": [], "sealed": []}
        for _ in range(args.rounds):
            for name, storage in (("plain", plain_storage), ("sealed", sealing)):
                with storage.scratch() as work:
                    source = work / "recording.webm"
                    source.write_bytes(data)
                    started = time.perf_counter()
                    storage.delete(storage.import_file(FOLDER, source))
                    writes[name].append((time.perf_counter() - started) * 1000)
        plain_key = plain_storage.save(FOLDER, "webm", data)
        sealed_key = sealing.save(FOLDER, "webm", data)
        apps = {
            "FileResponse, plain (before)": file_response(plain_storage.path(plain_key)),
            "playback, plain": streamed(sealing, plain_key),
            "playback, sealed": streamed(sealing, sealed_key),
        }
        results: dict[tuple[str, bool], list[float]] = {}
        for _ in range(args.rounds):
            for ranges in (False, True):
                for name, app in apps.items():
                    figure = asyncio.run(measure(app, size, ranges))
                    results.setdefault((name, ranges), []).append(figure)
    print(f"{args.megabytes} MB recording, {args.rounds} rounds, side by side; MB/s median (best)")
    for ranges in (False, True):
        print("whole file" if not ranges else "in 1 MB ranges")
        for name in apps:
            runs = results[(name, ranges)]
            print(f"  {name:30} {statistics.median(runs):8.0f} ({max(runs):.0f})")
    print("storing it (import_file), ms median (best)")
    for name, runs in writes.items():
        print(f"  {name:30} {statistics.median(runs):8.1f} ({min(runs):.1f})")


if __name__ == "__main__":
    main()
