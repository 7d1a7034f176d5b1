from __future__ import annotations

import asyncio
import sys

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect, text

from greenroom.core.db import make_engine
from greenroom.core.migrate import alembic_config, upgrade
from greenroom.core.settings import Settings
from tests import pg


def test_production_settings_need_a_strong_secret(tmp_path) -> None:
    with pytest.raises(ValidationError, match="GREENROOM_SECRETS is required"):
        Settings(environment="production", data_dir=tmp_path, secrets=None)
    for weak in ("v1:changeme-changeme-changeme-changeme", "v1:tooshort"):
        with pytest.raises(ValidationError, match="placeholder or is shorter"):
            Settings(environment="production", data_dir=tmp_path, secrets=weak)
    ok = Settings(
        environment="production", data_dir=tmp_path, secrets="v2:" + "k" * 40 + ",v1:" + "q" * 40
    )
    assert [s.version for s in ok.server_secrets] == ["v2", "v1"]
    assert "kkkk" not in repr(ok.server_secrets) and "kkkk" not in repr(ok)


def test_secret_list_must_be_well_formed(tmp_path) -> None:
    for raw in ("nocolon", "v1:a,v1:b", ":abc"):
        with pytest.raises(ValueError):
            _ = Settings(data_dir=tmp_path, secrets=raw).server_secrets


@pytest.mark.parametrize(
    ("module", "extra", "fields"),
    [
        ("asyncpg", "postgres", {"database_url": "postgresql+asyncpg://u@db.internal/greenroom"}),
        ("redis", "redis", {"redis_url": "redis://redis.internal:6379/0"}),
    ],
)
def test_a_missing_optional_driver_names_the_extra_to_install(
    tmp_path, monkeypatch, module, extra, fields
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(ValidationError, match=rf"pip install 'greenroom\[{extra}\]'"):
        Settings(data_dir=tmp_path, **fields)
    monkeypatch.undo()
    Settings(data_dir=tmp_path, **fields)


async def _tables(url: str) -> tuple[set[str], str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await engine.dispose()
    return names, str(version)


async def test_migrations_from_empty_to_head_and_back(tmp_path, database_url) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    is_pg = database_url.startswith("postgresql")
    url = (
        await pg.create_database(database_url)
        if is_pg
        else f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    )
    try:
        await asyncio.to_thread(upgrade, url)
        names, version = await _tables(url)
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert version == head
        assert {"organizations", "admins"} <= names
        await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
        names, _ = await _tables_after_downgrade(url)
        assert "organizations" not in names
        await asyncio.to_thread(upgrade, url)
        assert (await _tables(url))[1] == head
    finally:
        if is_pg:
            await pg.drop_database(url)


async def _tables_after_downgrade(url: str) -> tuple[set[str], None]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names, None


def test_a_new_sqlite_file_gets_small_pages_and_an_old_one_keeps_its_own(tmp_path) -> None:
    """`core.sqlite.PAGE_SIZE` (1 KB: a commit writes every page it changed, docs/decisions.md)
    applies to files Greenroom creates; a file made with 4 KB pages is migrated and served as
    it is (SQLite changes a WAL database's page size only by a rebuild)."""
    import sqlite3

    from greenroom.core import sqlite as greenroom_sqlite

    new = tmp_path / "new.db"
    upgrade(f"sqlite+aiosqlite:///{new}")
    old = tmp_path / "old.db"
    made = sqlite3.connect(old)
    made.execute("PRAGMA page_size=4096")
    made.execute("PRAGMA journal_mode=WAL")
    made.close()
    upgrade(f"sqlite+aiosqlite:///{old}")

    async def page_size(path) -> int:
        connection = await greenroom_sqlite.connect(str(path), read_only=False)
        try:
            cursor = await connection.execute("PRAGMA page_size")
            (size,) = await cursor.fetchone()
            cursor = await connection.execute("SELECT count(*) FROM users")
            assert (await cursor.fetchone())[0] == 0  # a working database either way
        finally:
            await connection.close()
        return int(size)

    assert asyncio.run(page_size(new)) == greenroom_sqlite.PAGE_SIZE == 1024
    assert asyncio.run(page_size(old)) == 4096
