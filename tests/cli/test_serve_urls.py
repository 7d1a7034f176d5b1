"""`greenroom serve` on a port of its own: the URLs it prints and the API hands out carry that
port, so they open as they are (issue 16, item 11)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from greenroom.cli.server import listen_port_is_public
from greenroom.core.settings import Settings
from tests.conftest import TEST_SECRETS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_listen_port_goes_into_urls_only_without_a_public_address() -> None:
    assert listen_port_is_public(Settings(), 8123)
    assert not listen_port_is_public(Settings(), 80)
    assert not listen_port_is_public(Settings(public_port=443, public_scheme="https"), 8123)
    assert not listen_port_is_public(Settings(public_scheme="https"), 8123)
    assert not listen_port_is_public(Settings(trust_proxy=True), 8123)


@pytest.fixture
def demo_server(tmp_path: Path, migrated: str) -> Iterator[tuple[int, str]]:
    """`greenroom serve --demo --port P --workers 2`: its port and what it printed."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_") or "TEST" in k}
    env |= {
        "GREENROOM_DATA_DIR": str(tmp_path),
        "GREENROOM_SECRETS": TEST_SECRETS,
        "GREENROOM_LOG_LEVEL": "WARNING",
    }
    if migrated.startswith("postgresql"):
        env["GREENROOM_DATABASE_URL"] = migrated
    script = Path(sys.executable).with_name("greenroom")
    proc = subprocess.Popen(
        [str(script), "serve", "--demo", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = []
        for line in proc.stdout:
            printed.append(line)
            if "sandbox key:" in line:
                break
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)  # a real server binding its port, not app behaviour
        yield port, "".join(printed)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_demo_urls_carry_the_port_and_open_as_they_are(demo_server) -> None:
    port, printed = demo_server
    origin = f"http://demo.greenroom.localhost:{port}"
    assert f"Demo organization: {origin}" in printed
    assert f"{origin}/login/admin" in printed
    key = re.search(r"production key:\s+([0-9a-f]{32})", printed)
    assert key is not None, printed

    def at(url: str) -> tuple[str, dict[str, str]]:
        """Python does not resolve *.localhost: the server's address, and the URL's host."""
        parts = urlsplit(url)
        assert parts.netloc == f"demo.greenroom.localhost:{port}", url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return f"http://127.0.0.1:{port}{path}", {"Host": parts.netloc}

    # Both server processes answer with the port (the second one reads it from the environment).
    for _ in range(6):
        url, host = at(f"{origin}/api/users/abc123def/sso")
        made = httpx.post(url, headers={**host, "Authorization": key.group(1)}, timeout=10)
        assert made.status_code == 201, made.text
        link = made.json()["url"]
        assert link.startswith(f"{origin}/sso/login?token="), link
    url, host = at(link)
    opened = httpx.get(url, headers=host, timeout=10)
    assert opened.status_code == 303 and opened.headers["location"] == "/members/dashboard"
