"""Signing secrets (Standard Webhooks format) and verification keys (Big Interview format), kept
encrypted at rest.

A secret must be recoverable to sign deliveries, so it cannot be stored as a hash. It is encrypted
with AES-256-GCM under a key derived (HKDF-SHA256) from the server secret, with the endpoint's id
as associated data so that a ciphertext cannot be moved to another endpoint. The server secret's
version is stored beside it, so rotating `GREENROOM_SECRETS` keeps old ciphertexts readable for
as long as the old entry stays configured (the worker re-encrypts under the newest on use).

A verification key (an org's, per environment; sent as-is in `Authorization` to endpoints in the
Big Interview format) is kept the same way, under a key derived with a label of its own and with
the org and environment as associated data.
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
_KEY_INFO = b"greenroom webhook verification key v1"


class SecretUnreadable(Exception):
    """No configured server secret can decrypt it (its version was removed)."""


def generate() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def generate_verification_key() -> str:
    """32 lowercase hex characters, like Big Interview's verification keys (and our API keys)."""
    return random.token_hex(16)


def _aead(server_secret: ServerSecret, info: bytes = _INFO) -> AESGCM:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return AESGCM(kdf.derive(server_secret.value))


def _seal(server_secret: ServerSecret, info: bytes, associated: bytes, plain: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(server_secret, info).encrypt(nonce, plain.encode(), associated)
    return base64.b64encode(nonce + sealed).decode()


def _open(
    server_secrets: list[ServerSecret], version: str, info: bytes, associated: bytes, sealed: str
) -> str:
    for server_secret in server_secrets:
        if server_secret.version == version:
            raw = base64.b64decode(sealed)
            try:
                plain = _aead(server_secret, info).decrypt(raw[:12], raw[12:], associated)
            except Exception as exc:  # InvalidTag: tampered, or a different secret value
                raise SecretUnreadable(version) from exc
            return plain.decode()
    raise SecretUnreadable(version)


def encrypt(server_secret: ServerSecret, endpoint_id: uuid.UUID, secret: str) -> str:
    return _seal(server_secret, _INFO, endpoint_id.bytes, secret)


def decrypt(
    server_secrets: list[ServerSecret], version: str, endpoint_id: uuid.UUID, ciphertext: str
) -> str:
    return _open(server_secrets, version, _INFO, endpoint_id.bytes, ciphertext)


def _owner(org_id: uuid.UUID, environment: str) -> bytes:
    return org_id.bytes + environment.encode()


def encrypt_key(server_secret: ServerSecret, org_id: uuid.UUID, environment: str, key: str) -> str:
    """A verification key, sealed to its org and environment."""
    return _seal(server_secret, _KEY_INFO, _owner(org_id, environment), key)


def decrypt_key(
    server_secrets: list[ServerSecret],
    version: str,
    org_id: uuid.UUID,
    environment: str,
    ciphertext: str,
) -> str:
    return _open(server_secrets, version, _KEY_INFO, _owner(org_id, environment), ciphertext)


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value (Standard Webhooks, v1 = HMAC-SHA256)."""
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
