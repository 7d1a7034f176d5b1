"""Optional parts of the install: the PostgreSQL driver and the Redis client are extras.

`pip install greenroom` runs on SQLite with in-process rate limits. A deployment that points
`GREENROOM_DATABASE_URL` at PostgreSQL needs `greenroom[postgres]` (asyncpg), one that sets
`GREENROOM_REDIS_URL` needs `greenroom[redis]` (redis). Neither package is imported by our code:
SQLAlchemy and `limits` import them when the engine or the rate-limit store is made. So the
settings check, when they are read, that what they name is installed, and say which extra to
install instead of failing later with a bare `ModuleNotFoundError` on the first request.
"""

from __future__ import annotations

import importlib.util


def missing_extra(module: str, *, extra: str, needed_for: str) -> str | None:
    """None when `module` can be imported; else the message to show (names the extra)."""
    if importlib.util.find_spec(module) is not None:
        return None
    return (
        f"{needed_for} needs the {module!r} package, which is not installed: "
        f"pip install 'greenroom[{extra}]'"
    )
