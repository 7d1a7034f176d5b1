"""Form-encoded bodies on the Partner API, read as the JSON they stand for.

Big Interview's documents name parameters without an encoding, and their clients send
`application/x-www-form-urlencoded` as well as JSON. `BodyLimitMiddleware` turns such a body into
JSON before any route sees it, so every `POST /api/...` takes both with the same validation and
the same errors. The conventions are the common ones (Rails, PHP, `qs`):

    first_name=Jane&email=jane%40xyz.example.com    {"first_name": "Jane", "email": "..."}
    metadata[cohort]=2026-fall                       {"metadata": {"cohort": "2026-fall"}}
    events[]=user.created&events[]=user.updated      {"events": ["user.created", "user.updated"]}
    events=user.created&events=user.updated          the same

Every value is a string; the models read "300" as 300 and "true" as true where a field wants
it. A field whose type is a list takes a single value as a list of one (`FormLists` knows the
list fields of each route's body).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from greenroom.core.errors import BadRequest

FORM_CONTENT_TYPE = b"application/x-www-form-urlencoded"
MAX_FIELDS = 1000
MAX_DEPTH = 8
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class MalformedForm(BadRequest):
    code = "malformed_form"
    default_detail = "The form-encoded body could not be read."


def form_to_json(body: bytes, lists: Iterable[str] = ()) -> bytes:
    """The JSON object a form-encoded body stands for; MalformedForm when it is not UTF-8, has
    too many fields or names one field both as a value and as a list or object."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeError:
        raise MalformedForm("A form-encoded body is UTF-8 (percent-encoded or not).") from None
    except ValueError:
        raise MalformedForm(f"A form-encoded body has at most {MAX_FIELDS} fields.") from None
    out: dict[str, Any] = {}
    wanted_lists = frozenset(lists)
    for key, value in pairs:
        _put(out, key, value, wanted_lists)
    return orjson.dumps(out)


def _put(out: dict[str, Any], key: str, value: str, lists: frozenset[str]) -> None:
    match = _KEY.match(key)
    if match is None:  # "a]b", "[x]": no structure to read, the name as it is
        name, path = key, []
    else:
        name, rest = match.groups()
        path = re.findall(r"\[([^\[\]]*)\]", rest)
    if len(path) > MAX_DEPTH:
        raise MalformedForm(f"The field {key!r} is nested too deep.")
    if not path and name in lists:
        path = [""]
    node: Any = out
    keys: list[str] = [name, *path]
    for depth, part in enumerate(keys):
        last = depth == len(keys) - 1
        following = None if last else keys[depth + 1]
        if isinstance(node, list):
            if part != "":
                raise MalformedForm(f"The field {key!r} mixes a list and named members.")
            if last:
                node.append(value)
                return
            child: Any = [] if following == "" else {}
            node.append(child)
            node = child
            continue
        if part == "":
            raise MalformedForm(f"The field {key!r} mixes a list and named members.")
        if last:
            existing = node.get(part)
            if existing is None:
                node[part] = value
            elif isinstance(existing, str):
                node[part] = [existing, value]  # the same name twice: a list
            elif isinstance(existing, list) and all(isinstance(v, str) for v in existing):
                existing.append(value)
            else:
                raise MalformedForm(f"The field {key!r} is both a value and an object.")
            return
        child = node.get(part)
        if child is None:
            child = node[part] = [] if following == "" else {}
        elif isinstance(child, str):
            raise MalformedForm(f"The field {key!r} is both a value and an object.")
        elif isinstance(child, list) and following != "":
            raise MalformedForm(f"The field {key!r} mixes a list and named members.")
        node = child


class FormLists:
    """Which top-level fields of a POST route's body are lists, by request path; read from the
    app's routes at the first form-encoded request."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._table: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    def __call__(self, path: str) -> frozenset[str]:
        if self._table is None:
            self._table = [
                (route.path_regex, _list_fields(route))
                for route in self._app.routes
                if isinstance(route, APIRoute) and "POST" in (route.methods or ())
            ]
        for pattern, fields in self._table:
            if pattern.match(path):
                return fields
        return frozenset()


def _list_fields(route: APIRoute) -> frozenset[str]:
    model = _model_of(route.body_field.field_info.annotation if route.body_field else None)
    if model is None:
        return frozenset()
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_list(field.annotation)
    )


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in _unwrapped(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _is_list(annotation: Any) -> bool:
    return any(get_origin(c) in (list, tuple, set, frozenset) for c in _unwrapped(annotation))


def _unwrapped(annotation: Any) -> Sequence[Any]:
    """`X | None` and `Optional[X]` as their members; anything else as itself."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


ListFields = Callable[[str], frozenset[str]]
