"""Stored responses are sealed with a key derived from the caller's own credentials.

A stored response can hold secrets (a sign-in token, say). The database keeps API keys only as
HMACs, so a key derived from the raw credentials is something neither a copy of the database nor
the server secret can rebuild: only the caller who made the request can have it opened again.
"""

from __future__ import annotations

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
