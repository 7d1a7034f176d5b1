"""Recording files sealed at rest: a chunked AES-256-GCM format, written and read as a stream.

A file (all integers big-endian):

    magic     8 bytes   b"\\x89GRSEAL" and the format's version (1)
    chunk     4 bytes   plaintext bytes per chunk (64 KiB)
    secret    1 byte n, then n bytes: the `GREENROOM_SECRETS` version the key comes from
    nonce     12 bytes  random, one per file
    chunks    each chunk's plaintext sealed (ciphertext and a 16-byte tag); every chunk is
              full but the last, which holds 0 to `chunk` bytes; there is always a last one

The key is derived (HKDF-SHA256, a label of its own) from the secret of the version named in the
header, so rotating `GREENROOM_SECRETS` keeps old files readable while new ones use the new
secret. Chunk i is sealed under the nonce `nonce XOR i` with, as associated data, the header, the
file's storage key and one byte that says whether it is the last chunk. So a chunk cannot be moved
within the file (the index is in its nonce), a file cannot be passed off under another key (a
student's recording as another's), and a file cut short is detected: its new last chunk was not
sealed as the last one. Opening a file checks its last chunk, so a cut file fails at once; a
chunk is checked before any of its bytes leave.

Plaintext files (stored before sealing was turned on, or with it off) have no magic and are read
as they are: recordings are remuxed containers (WebM, MP4, Ogg), none of which starts so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from greenroom.core.settings import ServerSecret

MAGIC = b"\x89GRSEAL"
FORMAT = 1
CHUNK = 64 * 1024
TAG = 16
NONCE = 12
_INFO = b"greenroom recordings at rest v1"
_CHUNK_LIMITS = (4096, 16 * 1024 * 1024)  # what a reader accepts from a header


class Unreadable(Exception):
    """A sealed file that cannot be read: changed, cut short, or sealed under a secret version
    that is no longer configured. The message names the reason, never a secret."""


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Reader(Protocol):
    """A recording's plaintext, by byte range (`stop` excluded)."""

    size: int

    def piece(self, start: int, stop: int) -> bytes:
        """Plaintext from `start`: at most to `stop`, and at most one chunk (blocking)."""
        ...

    def close(self) -> None: ...


class Keys:
    """The server secrets by version, and the recordings keys derived from them (once each)."""

    def __init__(self, server_secrets: Sequence[ServerSecret]) -> None:
        self.current = server_secrets[0] if server_secrets else None
        self._secrets = {s.version: s for s in server_secrets}
        self._derived: dict[str, bytes] = {}
        for version in self._secrets:
            if not 0 < len(version.encode()) < 256:
                raise ValueError("a secret version id must be 1 to 255 bytes long")

    def aead(self, version: str) -> AESGCM:
        key = self._derived.get(version)
        if key is None:
            secret = self._secrets.get(version)
            if secret is None:
                raise Unreadable(f"sealed under secret version {version!r}, not configured")
            kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
            key = self._derived[version] = kdf.derive(secret.value)
        return AESGCM(key)


def is_sealed(head: bytes) -> bool:
    return head[: len(MAGIC)] == MAGIC


def _nonce(base: int, index: int) -> bytes:
    return (base ^ index).to_bytes(NONCE, "big")


def _read_full(source: Readable, size: int) -> bytes:
    data = source.read(size)
    while len(data) < size:  # a pipe or a socket may answer short; a file only at its end
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data


def seal(source: Readable, out: BinaryIO, keys: Keys, key: str, *, chunk: int = CHUNK) -> None:
    """Write `source`'s bytes to `out`, sealed under the current secret for storage key `key`,
    one chunk at a time (one chunk read ahead, to know which is the last)."""
    if keys.current is None:
        raise ValueError("sealing needs a server secret")
    version = keys.current.version.encode()
    nonce = os.urandom(NONCE)
    header = (
        MAGIC + bytes([FORMAT]) + chunk.to_bytes(4, "big") + bytes([len(version)]) + version + nonce
    )
    aead = keys.aead(keys.current.version)
    base = int.from_bytes(nonce, "big")
    associated = header + key.encode()
    out.write(header)
    current, index = _read_full(source, chunk), 0
    while True:
        following = _read_full(source, chunk) if len(current) == chunk else b""
        last = not following
        out.write(aead.encrypt(_nonce(base, index), current, associated + bytes([last])))
        if last:
            return
        current, index = following, index + 1


class SealedReader:
    """A sealed file's plaintext. Opening reads the header and checks the last chunk (so the
    size is the sealed one, and a file cut short fails here); every chunk is checked before its
    bytes are returned. The last chunk read is kept, since a player asks for ranges in order."""

    def __init__(self, file: BinaryIO, keys: Keys, key: str) -> None:
        self._file = file
        fixed = _read_full(file, len(MAGIC) + 1 + 4 + 1)
        if len(fixed) < len(MAGIC) + 6 or not is_sealed(fixed):
            raise Unreadable("not a sealed recording")
        if fixed[len(MAGIC)] != FORMAT:
            raise Unreadable(f"unknown format version {fixed[len(MAGIC)]}")
        self.chunk = int.from_bytes(fixed[-5:-1], "big")
        if not _CHUNK_LIMITS[0] <= self.chunk <= _CHUNK_LIMITS[1]:
            raise Unreadable("implausible chunk size")
        rest = _read_full(file, fixed[-1] + NONCE)
        if len(rest) < fixed[-1] + NONCE:
            raise Unreadable("cut short in its header")
        self.version = rest[: fixed[-1]].decode(errors="replace")
        header = fixed + rest
        self._aead = keys.aead(self.version)
        self._base = int.from_bytes(rest[-NONCE:], "big")
        self._associated = header + key.encode()
        self._start = len(header)
        body = os.fstat(file.fileno()).st_size - self._start
        step = self.chunk + TAG
        self._count = max(1, -(-body // step))
        last_length = body - (self._count - 1) * step
        if last_length < TAG:
            raise Unreadable("cut short")
        self.size = (self._count - 1) * self.chunk + last_length - TAG
        self._cached: tuple[int, bytes] = (-1, b"")
        self._open(self._count - 1)

    def _open(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        last = index == self._count - 1
        self._file.seek(self._start + index * (self.chunk + TAG))
        sealed = _read_full(self._file, self.chunk + TAG)
        try:
            plain = self._aead.decrypt(
                _nonce(self._base, index), sealed, self._associated + bytes([last])
            )
        except InvalidTag:
            raise Unreadable(f"chunk {index} fails its check (changed or cut short)") from None
        self._cached = (index, plain)
        return plain

    def piece(self, start: int, stop: int) -> bytes:
        index, offset = divmod(start, self.chunk)
        return self._open(index)[offset : offset + min(stop - start, self.chunk - offset)]

    def close(self) -> None:
        self._file.close()


class PlainReader:
    """A plaintext file (stored before sealing was on, or with it off)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.size = os.fstat(file.fileno()).st_size

    def piece(self, start: int, stop: int) -> bytes:
        self._file.seek(start)
        return self._file.read(min(stop - start, CHUNK))

    def close(self) -> None:
        self._file.close()


def pieces(reader: Reader, start: int, stop: int) -> Iterator[bytes]:
    """The plaintext from `start` to `stop`, a piece at a time (blocking)."""
    while start < stop:
        piece = reader.piece(start, stop)
        if not piece:
            raise Unreadable("shorter than its size")
        yield piece
        start += len(piece)


class PlainStream:
    """A reader's plaintext as a file to `read` from (to seal a recording again)."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        self._position = 0

    def read(self, size: int, /) -> bytes:
        stop = min(self._position + size, self._reader.size)
        if self._position >= stop:
            return b""
        piece = self._reader.piece(self._position, stop)
        self._position += len(piece)
        return piece
