"""Stored responses are sealed with a key derived from the caller's own credentials.

A stored response can hold secrets (a sign-in token, say), and both its body and its kept
headers name the user it was about (`Location: /api/users/{partner_id}`). The database keeps API keys only as
HMACs, so a key derived from the raw credentials is something neither a copy of the database nor
the server secret can rebuild: only the caller who made the request can have it opened again.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def _key(credentials: bytes) -> bytes:
    return hashlib.sha256(b"greenroom idempotency v1\0" + credentials).digest()


def seal(credentials: bytes, record_id: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_key(credentials)).encrypt(nonce, plaintext, record_id)


def open_sealed(credentials: bytes, record_id: bytes, sealed: bytes) -> bytes:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(_key(credentials)).decrypt(nonce, ciphertext, record_id)


_TEXT_PREFIX = "sealed:"


def seal_text(credentials: bytes, record_id: bytes, text: str) -> str:
    """`text` sealed like a body, as text for a Text column ("sealed:" and base64)."""
    sealed = seal(credentials, record_id, text.encode())
    return _TEXT_PREFIX + base64.b64encode(sealed).decode("ascii")


def open_text(credentials: bytes, record_id: bytes, stored: str) -> str:
    """What `seal_text` sealed; text stored before headers were sealed comes back as it is
    (such records are gone 24 hours after the upgrade)."""
    if not stored.startswith(_TEXT_PREFIX):
        return stored
    sealed = base64.b64decode(stored.removeprefix(_TEXT_PREFIX))
    return open_sealed(credentials, record_id, sealed).decode()
