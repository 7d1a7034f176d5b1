"""The example integration runs against a real server and its sign-in URL really signs in."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.factories import make_key, make_org
from tests.helpers import group_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "provision_and_sign_in.py"
SDK_SOURCE = ROOT / "clients" / "python" / "src"


async def test_example_provisions_signs_in_and_prints_progress(app, live_server) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            str(EXAMPLE),
            "--org",
            org.slug,
            "--api-key",
            key,
            "--base-url",
            f"http://127.0.0.1:{live_server.port}",
            "--partner-id",
            "abc123def",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        # The SDK as a partner has it (`pip install ./clients/python`), here from the source.
        env={**os.environ, "PYTHONPATH": str(SDK_SOURCE)},
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"Authenticated to {org.slug} (production)" in out
    assert "User abc123def: Ada Lovelace" in out
    assert re.search(
        r"Progress: 0(\.0)?% complete; lessons 0/\d+; practice interviews 0 completed of 0 started",
        out,
    ), out
    assert key not in out

    url = group_of(r"Sign-in URL \(send the user's browser here\): (\S+)", out)
    host = url.split("://", 1)[1].split("/", 1)[0]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{live_server.port}", headers={"Host": host}
    ) as browser:
        response = await browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/members/")
        assert "gr_member" in response.cookies
        lesson = await browser.get(response.headers["location"])  # the first lesson, from /tracks
        assert lesson.status_code == 200
        dashboard = await browser.get("/members/dashboard")
        assert dashboard.status_code == 200 and "Welcome, Ada" in dashboard.text
        again = await browser.get(path)  # a token works once
        assert again.status_code == 401
