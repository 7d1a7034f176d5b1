"""Hashing of keys and tokens under versioned server secrets, and constant-time comparison."""

from __future__ import annotations

import hmac
import secrets

from greenroom.core.settings import ServerSecret


def hmac_digest(secret: ServerSecret, value: str) -> str:
    return secret.hexdigest(value.encode())


def candidate_digests(server_secrets: list[ServerSecret], value: str) -> dict[str, str]:
    """The digest of `value` under every configured secret, by version, for look-ups."""
    return {s.version: hmac_digest(s, value) for s in server_secrets}


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_hex(num_bytes: int) -> str:
    return secrets.token_hex(num_bytes)
