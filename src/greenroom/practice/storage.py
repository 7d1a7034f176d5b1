"""Where recordings live: a small interface, with a local-folder implementation.

Keys are made here (`<user folder>/<uuid4>.<ext>`), never from user input, and every path is
resolved and checked to stay inside the root, so nothing can be written or read elsewhere. An
object store can implement the same methods later.

An upload is first written to a scratch folder (`scratch`), checked and remuxed there
(`speech.media`), and the result moved in under a new key (`import_file`). A write that fails
(the disk is full: `OSError` with `ENOSPC`, or a quota: `EDQUOT`) leaves no partial file behind
and raises to the caller, which answers it (`is_disk_full`).

With `encrypt` on, files are sealed as they are written (`import_file`, `save`: the chunked
AES-GCM format of `sealed`, a chunk at a time, never the whole file in memory) under the first
server secret; files sealed under an older secret, and plaintext files stored before, stay
readable. Read a recording through `open` (a `sealed.Reader`: its size and plaintext ranges) or
`plain_copy` (a plaintext file for tools that need a path); `path` is for existence checks and
deletion only, since the file there may be sealed.
"""

from __future__ import annotations

import errno
import hashlib
import io
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from greenroom.core.settings import ServerSecret, Settings
from greenroom.practice import sealed

_KEY_RE = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException) -> bool:
    """Whether a storage error means "no space left" (the disk, or the user's quota)."""
    return isinstance(exc, OSError) and exc.errno in _FULL


_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,8}$")
_SCRATCH = ".incoming"  # not a user folder's name (those are 32 hex digits)


class Storage(Protocol):
    def save(self, folder: str, extension: str, data: bytes) -> str: ...
    def path(self, key: str) -> Path: ...
    def delete(self, key: str) -> None: ...
    def delete_folder(self, folder: str) -> None: ...
    def scratch(self) -> AbstractContextManager[Path]: ...
    def write(self, target: Path, data: bytes) -> None: ...
    def import_file(self, folder: str, source: Path) -> str: ...
    def open(self, key: str) -> sealed.Reader: ...
    def plain_copy(self, key: str) -> AbstractContextManager[Path]: ...


def user_folder(org_id: uuid.UUID, environment: str, partner_id: str) -> str:
    """A user's folder name: a digest, so it needs no user input on disk and can be found again
    from the `user.deleted` event (which names the user by partner_id)."""
    raw = f"{org_id}:{environment}:{partner_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


class LocalStorage:
    def __init__(
        self, root: Path, *, secrets: Sequence[ServerSecret] = (), encrypt: bool = False
    ) -> None:
        self.root = root.resolve()
        self.sealing_keys = sealed.Keys(secrets)
        if encrypt and self.sealing_keys.current is None:
            raise ValueError("sealing recordings needs a server secret")
        self.encrypts = encrypt

    def _inside(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise ValueError("storage path escapes the storage folder")
        return target

    def _new_key(self, folder: str, extension: str) -> str:
        key = f"{folder}/{uuid.uuid4().hex}.{extension}"
        if not _KEY_RE.fullmatch(key):
            raise ValueError("invalid storage key")
        return key

    def save(self, folder: str, extension: str, data: bytes) -> str:
        key = self._new_key(folder, extension)
        target = self._inside(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if self.encrypts:
                self._seal(io.BytesIO(data), target, key)
            else:
                self._write(target, data)
        except OSError:
            target.unlink(missing_ok=True)  # no partial recording left to fill the disk
            raise
        return key

    def write(self, target: Path, data: bytes) -> None:
        """Write `data` to a file of a `scratch` folder (an upload before it is checked); on an
        error (a full disk) nothing of it is left."""
        try:
            self._write(target, data)
        except OSError:
            target.unlink(missing_ok=True)
            raise

    def _write(self, target: Path, data: bytes) -> None:
        target.write_bytes(data)

    def _seal(self, source: sealed.Readable, target: Path, key: str) -> None:
        with target.open("wb") as out:
            sealed.seal(source, out, self.sealing_keys, key)

    def path(self, key: str) -> Path:
        if not _KEY_RE.fullmatch(key):
            raise ValueError("invalid storage key")
        return self._inside(key)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_folder(self, folder: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{32}", folder):
            raise ValueError("invalid storage folder")
        target = self._inside(folder)
        if target.exists():  # errors reach the caller, which logs the files left behind
            shutil.rmtree(target)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A new empty folder on the storage's own disk (so `import_file` is a rename), removed
        with whatever is left in it when the block ends."""
        parent = self.root / _SCRATCH
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=parent) as folder:
            yield Path(folder)

    def import_file(self, folder: str, source: Path) -> str:
        """Move `source` in under a new key of `folder`, keeping its extension; the key."""
        extension = source.suffix.removeprefix(".").lower()
        if not _EXTENSION_RE.fullmatch(extension):
            raise ValueError("invalid file extension")
        key = self._new_key(folder, extension)
        target = self._inside(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.encrypts:
            shutil.move(source, target)
            return key
        try:
            with source.open("rb") as plain:
                self._seal(plain, target, key)
        except OSError:
            target.unlink(missing_ok=True)  # no partial recording left to fill the disk
            raise
        source.unlink()
        return key

    def open(self, key: str) -> sealed.Reader:
        """The recording's plaintext by range, sealed or not (blocking: the file is opened and,
        when sealed, its header and last chunk checked). Raises `FileNotFoundError` when the
        file is gone and `sealed.Unreadable` when it cannot be read."""
        file = self.path(key).open("rb")
        try:
            if sealed.is_sealed(file.read(len(sealed.MAGIC))):
                file.seek(0)
                return sealed.SealedReader(file, self.sealing_keys, key)
            return sealed.PlainReader(file)
        except BaseException:
            file.close()
            raise

    def keys(self) -> Iterator[str]:
        """The key of every recording file (the scratch folder's files are none)."""
        for path in sorted(self.root.glob("*/*")):
            key = path.relative_to(self.root).as_posix()
            if _KEY_RE.fullmatch(key) and path.is_file():
                yield key

    def sealed_under(self, key: str) -> str | None:
        """The secret version a file is sealed under; None when it is plaintext (blocking).
        Raises `sealed.Unreadable` when it fails its check."""
        reader = self.open(key)
        reader.close()
        return reader.version if isinstance(reader, sealed.SealedReader) else None

    def reseal(self, key: str) -> bool:
        """Seal a file again under the current secret when sealing is on and it is plaintext or
        sealed under an older secret; whether it was rewritten (blocking). The new file is
        written beside it and renamed over it, so a player reading the old one keeps reading."""
        current = self.sealing_keys.current
        if not self.encrypts or current is None:
            return False
        reader = self.open(key)
        try:
            if isinstance(reader, sealed.SealedReader) and reader.version == current.version:
                return False
            target = self.path(key)
            fresh = target.with_name(f".{target.name}.reseal")  # not a key: never listed
            try:
                self._seal(sealed.PlainStream(reader), fresh, key)
                if not target.exists():  # deleted meanwhile: do not bring it back
                    fresh.unlink()
                    return False
                fresh.replace(target)
            except BaseException:
                fresh.unlink(missing_ok=True)
                raise
            return True
        finally:
            reader.close()

    @contextmanager
    def plain_copy(self, key: str) -> Iterator[Path]:
        """A plaintext file of the recording for the block (blocking): the file itself when it is
        not sealed, otherwise a copy in a `scratch` folder, removed when the block ends."""
        reader = self.open(key)
        if isinstance(reader, sealed.PlainReader):
            reader.close()
            yield self.path(key)
            return
        try:
            with self.scratch() as work:
                copy = work / f"recording.{key.rsplit('.', 1)[-1]}"
                with copy.open("wb") as out:
                    for piece in sealed.pieces(reader, 0, reader.size):
                        out.write(piece)
                reader.close()
                yield copy
        finally:
            reader.close()


def recordings_storage(settings: Settings) -> LocalStorage:
    """Where a deployment keeps its recordings: `{data_dir}/recordings`, sealed at rest when
    `settings.recordings_encrypted`."""
    return LocalStorage(
        settings.data_dir / "recordings",
        secrets=settings.server_secrets,
        encrypt=settings.recordings_encrypted,
    )
