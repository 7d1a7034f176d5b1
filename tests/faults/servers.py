"""Throwaway Redis and PostgreSQL servers that a test starts, stops and restarts itself.

Each runs on a free port of 127.0.0.1 in a temporary directory. They are skipped when the
binaries are missing, unless the environment asks for them (GREENROOM_REQUIRE_REDIS=1,
GREENROOM_REQUIRE_POSTGRES_FAULTS=1), as CI does: then a missing binary fails the test.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_port(port: int, *, up: bool, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                reachable = True
        except OSError:
            reachable = False
        if reachable == up:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} still {'closed' if up else 'open'}")
        time.sleep(0.05)


def _missing(what: str, variable: str) -> None:
    if os.environ.get(variable) == "1":
        pytest.fail(f"{what} is not installed, and {variable}=1 requires it")
    pytest.skip(f"{what} is not installed (set {variable}=1 to make this a failure)")


class RedisServer:
    """`redis-server` on a free port, without persistence: a restart forgets every counter."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _missing("redis-server", "GREENROOM_REQUIRE_REDIS")
        assert binary is not None
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self._process is None
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
            self._process = None
            _wait_for_port(self.port, up=False)


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb as the `postgres` user, trust authentication)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found or shutil.which("runuser") is None:
            _missing("PostgreSQL (initdb)", "GREENROOM_REQUIRE_POSTGRES_FAULTS")
        self.bin = Path(found[-1]).parent
        # Not under pytest's tmp_path: its parents are closed to the `postgres` user.
        directory = Path(tempfile.mkdtemp(prefix="greenroom-pg-"))
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(directory, "postgres")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-k {self.directory} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.directory / "log"), "-w", "start",
        )  # fmt: skip
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        _wait_for_port(self.port, up=False)

    def remove(self) -> None:
        """Stop the server if it runs, and delete its cluster."""
        try:
            self.stop()
        except (subprocess.SubprocessError, TimeoutError):
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
