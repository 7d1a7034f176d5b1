"""A network guard for the "nothing leaves" test: an audit hook (PEP 578) that refuses every
socket to anything but loopback (the test database and the local test server run there) and
writes each refused attempt to a file.

`OfflinePocketSphinx` is the real PocketSphinx engine, named as an operator names their own
engine ("tests.privacy.offline:OfflinePocketSphinx"): a speech worker process builds it first
thing (`speech.pool._start_worker`), so the guard is in place in that process before the model
loads and stays for every analysis it runs. The file to write to is named by
GREENROOM_TEST_NETWORK_LOG, which the worker processes inherit.

An audit hook cannot be removed: in the test process it only records while `guarding()` is on.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from greenroom.speech.engines import PocketSphinxEngine

LOG_ENV = "GREENROOM_TEST_NETWORK_LOG"
# TEST-NET-1 (RFC 5737): never routed. The guard's self-check tries it, and must be refused.
PROBE = ("192.0.2.1", 9)
_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg")

_state: dict[str, Any] = {"log": None, "installed": False}


def _is_local(host: object) -> bool:
    if host is None or host == "" or host == "localhost":
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name: resolving it is already asking the network


def _outbound(event: str, args: tuple[Any, ...]) -> str | None:
    """A description of the attempt when it leaves the machine, else None."""
    if event == "socket.getaddrinfo":
        host, port = args[0], args[1]
        return None if _is_local(host) else f"getaddrinfo {host!r}:{port}"
    sock, address = args[0], args[1]
    family = getattr(sock, "family", None)
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return None  # a Unix socket (or a socket pair): stays on the machine
    return None if _is_local(address[0]) else f"{event} {address[0]}:{address[1]}"


def _hook(event: str, args: tuple[Any, ...]) -> None:
    log = _state["log"]
    if log is None or event not in _EVENTS:
        return
    attempt = _outbound(event, args)
    if attempt is None:
        return
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()} {attempt}\n")
    raise PermissionError(f"outbound network refused by the test: {attempt}")


def install(log: Path) -> None:
    """Guard this process from now on, recording refused attempts in `log`; then check that
    the guard holds (the probe must be refused)."""
    _state["log"] = str(log)
    if not _state["installed"]:
        sys.addaudithook(_hook)
        _state["installed"] = True
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.settimeout(0.5)
        probe.connect(PROBE)
    except PermissionError:
        pass
    else:  # pragma: no cover - the guard is broken: say so in the log, the test fails
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} GUARD FAILED: the probe connected\n")
    finally:
        probe.close()


@contextmanager
def guarding(log: Path) -> Iterator[None]:
    """This process guarded while the block runs."""
    install(log)
    try:
        yield
    finally:
        _state["log"] = None


def attempts(log: Path) -> list[str]:
    """The refused attempts recorded in `log`, but the guards' own probes."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if f"{PROBE[0]}:{PROBE[1]}" not in line]


def probes(log: Path) -> set[int]:
    """The process ids whose guard refused its probe (each guarded process writes one)."""
    if not log.exists():
        return set()
    lines = log.read_text(encoding="utf-8").splitlines()
    return {int(line.split()[0]) for line in lines if f"{PROBE[0]}:{PROBE[1]}" in line}


def OfflinePocketSphinx() -> PocketSphinxEngine:  # named like the class it makes
    """The real engine, in a worker process guarded before its model loads."""
    install(Path(os.environ[LOG_ENV]))
    return PocketSphinxEngine()
