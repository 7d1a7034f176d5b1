"""The operator CLI: organizations and admins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from greenroom.admins import service as admins
from greenroom.admins.passwords import verify_password
from greenroom.cli.main import app as cli_app
from greenroom.core.settings import get_settings
from greenroom.tenancy import repository as orgs_repo
from tests.factories import unique_slug


async def test_org_create_list_set(cli, db) -> None:
    slug = unique_slug()
    result = await cli("org", "create", slug, "--name", "XYZ Corporation")
    assert result.exit_code == 0, result.output
    assert f"created organization {slug}" in result.output

    listing = await cli("org", "list")
    assert f"{slug}\tXYZ Corporation\tanonymous_users=off" in listing.output

    result = await cli(
        "org",
        "set",
        slug,
        "--anonymous-users",
        "on",
        "--sso-return-url",
        "https://xyz.example.com/portal",
    )
    assert result.exit_code == 0, result.output
    org = await orgs_repo.get_by_slug(db, slug)
    assert org is not None
    assert org.anonymous_users_enabled is True
    assert org.sso_return_url == "https://xyz.example.com/portal"


async def test_org_create_refuses_bad_slug_and_duplicates(cli, db) -> None:
    for bad in ("Bad_Slug", "www", "-x", "a" * 64):
        result = await cli("org", "create", "--name", "X", "--", bad)
        assert result.exit_code != 0
        assert "error:" in result.output and "slug" in result.output.lower()
    slug = unique_slug()
    assert (await cli("org", "create", slug, "--name", "X")).exit_code == 0
    again = await cli("org", "create", slug, "--name", "Y")
    assert again.exit_code != 0
    assert "already exists" in again.output
    org = await orgs_repo.get_by_slug(db, slug)
    assert org is not None and org.name == "X"


async def test_org_set_refuses_unknown_org_and_bad_values(cli) -> None:
    result = await cli("org", "set", "no-such-org-here", "--anonymous-users", "on")
    assert result.exit_code != 0 and "no-such-org-here" in result.output
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "X")
    result = await cli("org", "set", slug, "--anonymous-users", "maybe")
    assert result.exit_code != 0 and "'on' or 'off'" in result.output
    result = await cli("org", "set", slug, "--sso-return-url", "javascript:alert(1)")
    assert result.exit_code != 0 and "URL" in result.output


async def test_admin_create_prints_a_generated_password_once(cli, db) -> None:
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "X")
    result = await cli("admin", "create", "--org", slug, "--email", "Pat@XYZ.example.com")
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 16
    org = await orgs_repo.get_by_slug(db, slug)
    assert org is not None
    admin = await admins.get_by_email(db, org, "pat@xyz.example.com")
    assert admin is not None and admin.role == "admin"
    assert admin.password_hash.startswith("$argon2id$")
    assert password not in admin.password_hash
    assert await verify_password(admin.password_hash, password)


async def test_admin_create_with_password_stdin_and_viewer_role(cli, db) -> None:
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "X")
    result = await cli(
        "admin",
        "create",
        "--org",
        slug,
        "--email",
        "v@xyz.example.com",
        "--role",
        "viewer",
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output
    org = await orgs_repo.get_by_slug(db, slug)
    assert org is not None
    admin = await admins.get_by_email(db, org, "v@xyz.example.com")
    assert admin is not None and admin.role == "viewer"
    assert await verify_password(admin.password_hash, "a long enough secret")


async def test_admin_create_refuses_unknown_org_duplicate_and_bad_email(cli) -> None:
    result = await cli("admin", "create", "--org", "no-such-org-x", "--email", "a@b.example.com")
    assert result.exit_code != 0 and "no-such-org-x" in result.output
    slug = unique_slug()
    await cli("org", "create", slug, "--name", "X")
    assert (
        await cli("admin", "create", "--org", slug, "--email", "a@b.example.com")
    ).exit_code == 0
    dup = await cli("admin", "create", "--org", slug, "--email", "A@B.example.com")
    assert dup.exit_code != 0 and "already an admin" in dup.output
    bad = await cli("admin", "create", "--org", slug, "--email", "not-an-email")
    assert bad.exit_code != 0 and "email" in bad.output.lower()
    short = await cli(
        "admin",
        "create",
        "--org",
        slug,
        "--email",
        "c@b.example.com",
        "--password-stdin",
        input="short\n",
    )
    assert short.exit_code != 0 and "12 characters" in short.output


async def test_db_upgrade_is_idempotent(cli) -> None:
    result = await cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_console_entry_point_runs(tmp_path) -> None:
    env = {**os.environ, "GREENROOM_DATA_DIR": str(tmp_path)}
    env.pop("GREENROOM_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "greenroom", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "greenroom.db").exists()
    run = subprocess.run(
        [sys.executable, "-m", "greenroom", "org", "create", "Bad!", "--name", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "error: Invalid slug" in run.stderr


@pytest.mark.parametrize("secrets", [None, "v1:changeme", "v1:short"])
def test_production_refuses_missing_or_placeholder_secret(tmp_path, secrets) -> None:
    env = {
        "GREENROOM_DATA_DIR": str(tmp_path),
        "GREENROOM_ENVIRONMENT": "production",
        "GREENROOM_SECRETS": secrets,  # None: unset
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["db", "upgrade"], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "GREENROOM_SECRETS" in result.output
    assert "changeme" not in result.output


def test_production_refuses_a_placeholder_secret_from_the_console(tmp_path) -> None:
    """The same check through the installed entry point, in a process of its own."""
    env = {
        **os.environ,
        "GREENROOM_DATA_DIR": str(tmp_path),
        "GREENROOM_ENVIRONMENT": "production",
        "GREENROOM_SECRETS": "v1:changeme",
    }
    run = subprocess.run(
        [sys.executable, "-m", "greenroom", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "GREENROOM_SECRETS" in run.stderr
    assert "changeme" not in run.stderr
