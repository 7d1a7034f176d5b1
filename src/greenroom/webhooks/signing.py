"""Signing secrets: made in the Standard Webhooks format, kept encrypted at rest.

A secret must be recoverable to sign deliveries, so it cannot be stored as a hash. It is encrypted
with AES-256-GCM under a key derived (HKDF-SHA256) from the server secret, with the endpoint's id
as associated data so that a ciphertext cannot be moved to another endpoint. The server secret's
version is stored beside it, so rotating `GREENROOM_SECRETS` keeps old ciphertexts readable for
as long as the old entry stays configured (the worker re-encrypts under the newest on use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as random
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from greenroom.core.settings import ServerSecret

PREFIX = "whsec_"
SECRET_BYTES = 24  # as Svix and the Standard Webhooks examples (24 to 64 allowed)
_INFO = b"greenroom webhook signing secret v1"


class SecretUnreadable(Exception):
    """No configured server secret can decrypt it (its version was removed)."""


def generate() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def _aead(server_secret: ServerSecret) -> AESGCM:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return AESGCM(kdf.derive(server_secret.value))


def encrypt(server_secret: ServerSecret, endpoint_id: uuid.UUID, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(server_secret).encrypt(nonce, secret.encode(), endpoint_id.bytes)
    return base64.b64encode(nonce + sealed).decode()


def decrypt(
    server_secrets: list[ServerSecret], version: str, endpoint_id: uuid.UUID, ciphertext: str
) -> str:
    for server_secret in server_secrets:
        if server_secret.version == version:
            raw = base64.b64decode(ciphertext)
            try:
                plain = _aead(server_secret).decrypt(raw[:12], raw[12:], endpoint_id.bytes)
            except Exception as exc:  # InvalidTag: tampered, or a different secret value
                raise SecretUnreadable(version) from exc
            return plain.decode()
    raise SecretUnreadable(version)


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value (Standard Webhooks, v1 = HMAC-SHA256)."""
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
