from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from greenroom.practice.storage import LocalStorage, user_folder


def test_keys_are_generated_and_stay_inside_the_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "recordings")
    folder = user_folder(uuid.uuid4(), "production", "abc123def")
    key = storage.save(folder, "webm", b"data")
    assert storage.path(key).read_bytes() == b"data"
    assert storage.path(key).is_relative_to(tmp_path / "recordings")
    for bad in [
        "../escape.webm",
        f"{folder}/../../escape.webm",
        "/etc/passwd",
        f"{folder}/x.webm/../../y",
        f"{folder}/{'a' * 32}.we/bm",
    ]:
        with pytest.raises(ValueError):
            storage.path(bad)
    with pytest.raises(ValueError):
        storage.save("../outside", "webm", b"x")
    with pytest.raises(ValueError):
        storage.save(folder, "../sh", b"x")
    with pytest.raises(ValueError):
        storage.delete_folder("..")


def test_user_folders_differ_by_org_environment_and_user() -> None:
    org = uuid.uuid4()
    folders = {
        user_folder(org, "production", "abc123def"),
        user_folder(org, "sandbox", "abc123def"),
        user_folder(uuid.uuid4(), "production", "abc123def"),
        user_folder(org, "production", "other"),
    }
    assert len(folders) == 4


def test_deleting_a_folder_removes_only_that_users_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    mine, theirs = "a" * 32, "b" * 32
    kept = storage.save(theirs, "webm", b"keep")
    storage.save(mine, "webm", b"drop")
    storage.delete_folder(mine)
    assert not (tmp_path / mine).exists()
    assert storage.path(kept).read_bytes() == b"keep"
