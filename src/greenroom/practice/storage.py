"""Where recordings live: a small interface, with a local-folder implementation.

Keys are made here (`<user folder>/<uuid4>.<ext>`), never from user input, and every path is
resolved and checked to stay inside the root, so nothing can be written or read elsewhere. An
object store can implement the same four methods later.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from pathlib import Path
from typing import Protocol

_KEY_RE = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class Storage(Protocol):
    def save(self, folder: str, extension: str, data: bytes) -> str: ...
    def path(self, key: str) -> Path: ...
    def delete(self, key: str) -> None: ...
    def delete_folder(self, folder: str) -> None: ...


def user_folder(org_id: uuid.UUID, environment: str, partner_id: str) -> str:
    """A user's folder name: a digest, so it needs no user input on disk and can be found again
    from the `user.deleted` event (which names the user by partner_id)."""
    raw = f"{org_id}:{environment}:{partner_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _inside(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise ValueError("storage path escapes the storage folder")
        return target

    def save(self, folder: str, extension: str, data: bytes) -> str:
        key = f"{folder}/{uuid.uuid4().hex}.{extension}"
        if not _KEY_RE.fullmatch(key):
            raise ValueError("invalid storage key")
        target = self._inside(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return key

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


def recordings_storage(data_dir: Path) -> LocalStorage:
    """Where a deployment keeps its recordings: `{data_dir}/recordings`."""
    return LocalStorage(data_dir / "recordings")
