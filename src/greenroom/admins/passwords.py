"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

Hashing takes tens of milliseconds of CPU by design: it runs in a thread (argon2 lets go of the
GIL), never on the event loop, where a burst of log-ins would stall every request of the process.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when an account does not exist, so that timing does not tell which emails exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 12


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; None (no such account) is checked against a dummy hash, so
    that the time taken does not tell which accounts exist."""
    return await asyncio.to_thread(_verify, password_hash, password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)
