"""Real server processes for the tests that need several (uvicorn, 127.0.0.1 only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parents[1]


# uvicorn with the HTTP protocol `greenroom serve` runs (core/serving.py), which its command
# line cannot name.
_SERVE = (
    "import sys, uvicorn; from greenroom.core.serving import HttpProtocol; "
    "uvicorn.run('tests.probe:create_probe_app', factory=True, host='127.0.0.1', "
    "port=int(sys.argv[1]), log_level='warning', http=HttpProtocol)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Servers:
    ports: list[int]
    log_dir: Path
    procs: list[subprocess.Popen[bytes]]

    def logs(self) -> str:
        """What the servers wrote (their JSON log lines), so far."""
        return "".join(path.read_text() for path in sorted(self.log_dir.glob("*.log")))


@contextmanager
def server_processes(
    database_url: str, count: int, *, auth_cache_seconds: float = 5.0
) -> Iterator[Servers]:
    """`count` servers (the test app with its probe routes) on one database."""
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": database_url,
        "GREENROOM_SECRETS": TEST_SECRETS,
        "GREENROOM_AUTH_CACHE_SECONDS": str(auth_cache_seconds),
        "GREENROOM_RUN_WORKER": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    ports = [free_port() for _ in range(count)]
    log_dir = Path(tempfile.mkdtemp(prefix="greenroom-servers-"))
    logs = [(log_dir / f"{port}.log").open("w") for port in ports]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield Servers(ports, log_dir, procs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        for log in logs:
            log.close()
