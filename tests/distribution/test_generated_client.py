"""A client generated from our OpenAPI document by a well-known generator (openapi-python-client,
from PyPI) builds and works against a real server: create a user, read it, read an error."""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import httpx
import pytest

from tests.factories import make_key, make_org

GENERATOR = "openapi-python-client==0.29.1"
SCRIPT = """
import json, sys
from client import Client
from client.api.users import create_or_update_user, get_user
from client.api.progress import list_user_interviews, get_user_tracks
from client.api.single_sign_on import create_sign_in_link
from client.models import Problem, SsoRequest, UserCreatedEnvelope, UserEnvelope, UserWrite

base_url, host, key = sys.argv[1:4]
api = Client(base_url=base_url, headers={"Host": host, "Authorization": key})
made = create_or_update_user.sync_detailed(
    "abc123def", client=api,
    body=UserWrite(first_name="Jane", last_name="Doe", email="jane@xyz.example.com"),
)
assert isinstance(made.parsed, UserCreatedEnvelope), made.content
again = create_or_update_user.sync_detailed("abc123def", client=api, body=UserWrite())
read = get_user.sync("abc123def", client=api)
assert isinstance(read, UserEnvelope)
missing = get_user.sync_detailed("nobody", client=api)
assert isinstance(missing.parsed, Problem), missing.content
interviews = list_user_interviews.sync("abc123def", client=api)
tracks = get_user_tracks.sync("abc123def", client=api)
link = create_sign_in_link.sync(
    "abc123def", client=api, body=SsoRequest(redirect_to="/members/dashboard")
)
print(json.dumps({
    "status": int(made.status_code),
    "again": int(again.status_code),
    "token": made.parsed.user.token.token,
    "email": read.user.email,
    "created_at": read.user.created_at.isoformat(),
    "missing": [int(missing.status_code), missing.parsed.code, missing.parsed.error.type_],
    "interviews": len(interviews.interviews),
    "tracks": len(tracks.tracks),
    "url": link.url,
}))
"""

pytestmark = pytest.mark.slow


async def test_a_generated_client_works_against_the_server(app, live_server, tmp_path) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    host = live_server.origin(org.slug).split("://", 1)[1]
    base_url = f"http://127.0.0.1:{live_server.port}"
    async with httpx.AsyncClient(base_url=base_url, headers={"Host": host}) as http:
        document = (await http.get("/api/openapi.json")).json()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", GENERATOR],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    generate = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert generate.returncode == 0, generate.stdout[-3000:] + generate.stderr[-2000:]
    # The document parses without a warning: every operation and schema made it into the client.
    assert "Warning" not in generate.stdout, generate.stdout[-3000:]
    run = subprocess.run(
        [str(bin_dir / "python"), "-c", SCRIPT, base_url, host, key],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    assert out["status"] == 201 and out["again"] == 200 and len(out["token"]) == 64
    assert out["email"] == "jane@xyz.example.com" and out["created_at"].endswith("+00:00")
    assert out["missing"] == [404, "user_not_found", "user_not_found"]
    assert out["interviews"] == 0 and out["tracks"] >= 1
    assert out["url"].startswith(live_server.origin(org.slug) + "/sso/login?token=")
    assert Path(tmp_path / "client" / "api" / "users" / "create_or_update_user.py").exists()
