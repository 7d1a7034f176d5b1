"""The SDK is its own distribution: installed alone into a fresh virtualenv (httpx and nothing of
the server), it talks to a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.factories import make_key, make_org

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "clients" / "python"
SCRIPT = """
import json, sys
from importlib import metadata
from greenroom_client import Greenroom, errors, models

org, key, base_url, host_port = sys.argv[1:5]
with Greenroom(org=org, api_key=key, base_url=base_url, scheme="http") as gr:
    check = gr.auth.check()
    user = gr.users.upsert("abc123def", first_name="Jane", last_name="Doe",
                           email="jane@xyz.example.com")
    link = gr.sso.create("abc123def")
    try:
        gr.users.get("nobody")
        missing = None
    except errors.NotFound as exc:
        missing = [exc.code, exc.request_id]
try:
    import fastapi  # noqa: F401
    server_deps = True
except ImportError:
    server_deps = False
print(json.dumps({
    "org": check.org.slug,
    "created": user.created,
    "is_model": isinstance(user, models.User),
    "request_id": user.request_id,
    "token": len(user.token.token),
    "url": link.url,
    "missing": missing,
    "server_deps": server_deps,
    "installed": sorted(d.metadata["Name"].lower() for d in metadata.distributions()),
}))
"""

pytestmark = pytest.mark.slow


async def test_the_sdk_installs_alone_and_works_against_a_server(
    app, live_server, tmp_path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(SDK)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    org = await make_org(app)
    key = await make_key(app, org)
    run = subprocess.run(
        [
            str(python),
            "-c",
            SCRIPT,
            org.slug,
            key,
            f"http://127.0.0.1:{live_server.port}",
            str(live_server.port),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the repository: nothing of it on the path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["org"] == org.slug and out["created"] is True and out["is_model"] is True
    assert out["request_id"] and out["token"] == 64
    assert out["url"].startswith(live_server.origin(org.slug) + "/sso/login?token=")
    assert out["missing"][0] == "user_not_found" and out["missing"][1]
    assert out["server_deps"] is False
    assert "greenroom-client" in out["installed"] and "httpx" in out["installed"]
    assert not {"greenroom", "fastapi", "sqlalchemy", "pydantic"} & set(out["installed"])
    assert sys.executable not in str(python)
