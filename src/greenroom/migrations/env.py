"""Alembic environment: async engines, and one migrator at a time on PostgreSQL."""

from __future__ import annotations

import asyncio
import warnings

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from greenroom.core.db import make_engine
from greenroom.models import Base

# SQLite's batch migrations reflect the tables they touch and the ones these refer to; SQLAlchemy
# cannot reflect an expression index there (users' `lower(email)`) and says so. The index is
# not one a batch operation recreates (it is on another table), so the warning is noise.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index"
)

config = context.config
target_metadata = Base.metadata
# Any fixed number: several server processes starting at once take turns migrating.
_MIGRATION_LOCK = 7_203_114_051


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    is_pg = connection.dialect.name == "postgresql"
    if is_pg:
        connection.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})"))
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if is_pg:
            connection.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})"))
            connection.commit()


async def _run_async() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
