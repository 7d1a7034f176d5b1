"""The app's route table is searched in order, and its order is chosen for speed (the Partner
API's hot reads first, `app._add_routes`). Order must never decide an answer: no route may be
hidden by one before it."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from starlette.routing import Match, Mount, Route

SAMPLES = {"int": "7", "uuid": str(uuid.UUID(int=7)), "path": "a/b", "float": "1.5"}


def _sample(path: str) -> str:
    """A path that `path`'s pattern matches: each parameter filled with a value of its kind."""

    def fill(match: re.Match[str]) -> str:
        kind = match.group(2) or "str"
        return SAMPLES.get(kind, "sample-1")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", fill, path)


def test_no_route_is_hidden_by_an_earlier_one(app: FastAPI) -> None:
    routes = [r for r in app.router.routes if isinstance(r, Route) and not isinstance(r, Mount)]
    checked = 0
    for route in routes:
        for method in sorted(route.methods or {"GET"}):
            scope = {"type": "http", "path": _sample(route.path), "method": method, "root_path": ""}
            first = next(r for r in app.router.routes if r.matches(scope)[0] == Match.FULL)
            assert first is route or (
                # Two routes for one method and path: FastAPI's registration order, left alone.
                getattr(first, "path", None) == route.path
            ), f"{method} {route.path} is answered by {getattr(first, 'path', first)}"
            checked += 1
    assert checked > 100
