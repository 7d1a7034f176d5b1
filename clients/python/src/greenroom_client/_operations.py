"""Methods made from the call builders of `resources`, with the builders' own signatures."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from greenroom_client._core import Call

P = ParamSpec("P")
T = TypeVar("T")


class SyncRunner(Protocol):
    def _run(self, call: Call[T]) -> T: ...


class AsyncRunner(Protocol):
    async def _run(self, call: Call[T]) -> T: ...


def operation(build: Callable[P, Call[T]]) -> Callable[Concatenate[SyncRunner, P], T]:
    """A method of the sync client that runs the call `build` makes and returns its result."""

    @functools.wraps(build)
    def method(self: SyncRunner, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(build(*args, **kwargs))

    return method


def async_operation(
    build: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncRunner, P], Awaitable[T]]:
    """A method of the async client: the same, awaited."""

    @functools.wraps(build)
    async def method(self: AsyncRunner, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(build(*args, **kwargs))

    return method
