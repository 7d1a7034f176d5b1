"""Writing an export's ZIP: streamed to a file, never held in memory.

`write_zip` runs in a thread (`asyncio.to_thread`): each recording copied a piece (64 KiB) at a
time, stored as it is (recordings are compressed already), then the JSON documents. The
file is written under a temporary name beside its target and renamed when complete, so a
reader never sees half a ZIP and a crash leaves only a `.part` file (removed on the way out,
or replaced by the next attempt).
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from greenroom.practice import sealed
from greenroom.practice.storage import LocalStorage, Storage


def media_chunks(storage: Storage, key: str) -> Iterator[bytes]:
    """The plaintext of the recording `key`, a piece at a time (sealed at rest or not: the
    storage's reader, through `sealed.pieces`). The one place an export reads media."""
    reader = storage.open(key)
    try:
        yield from sealed.pieces(reader, 0, reader.size)
    finally:
        reader.close()


def write_zip(
    target: Path,
    media: Sequence[tuple[str, str]],
    documents: Callable[[list[str]], Mapping[str, Any]],
    storage: Storage,
    *,
    when: datetime,
) -> int:
    """Write `media` ((name in the ZIP, storage key)), then `documents(missing)` (name -> JSON
    value; `missing` names the recordings whose file was gone, left out) to `target`; its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.part")
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    missing: list[str] = []
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, key in media:
                chunks = media_chunks(storage, key)
                try:
                    first = next(chunks, b"")
                except FileNotFoundError:
                    missing.append(name)
                    continue
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as out:
                    out.write(first)
                    for chunk in chunks:
                        out.write(chunk)
            for name, value in documents(missing).items():
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                text = value if isinstance(value, str) else json.dumps(value, indent=2)
                archive.writestr(info, text)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target.stat().st_size


def exports_storage(data_dir: Path) -> LocalStorage:
    """Where a deployment keeps its exports' ZIP files: `{data_dir}/exports`, one folder per
    user (`practice.storage.user_folder`, so erasing the user deletes the folder)."""
    return LocalStorage(data_dir / "exports")
