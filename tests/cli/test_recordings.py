"""`greenroom recordings status` and `reseal`: after rotating the server secret, files sealed
under the old one (and plaintext files from before sealing) are sealed under the new one, so the
old secret can be dropped and every recording still reads back the same."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from greenroom.core.settings import Settings
from greenroom.practice.storage import LocalStorage, recordings_storage, user_folder


def read_all(storage: LocalStorage, key: str) -> bytes:
    with storage.plain_copy(key) as path:
        return path.read_bytes()


async def test_resealing_moves_every_recording_to_the_current_secret(cli, tmp_path: Path) -> None:
    old = "r1:" + "o" * 40
    new = "r2:" + "n" * 40
    data_dir = tmp_path / "data"
    before = recordings_storage(Settings(data_dir=data_dir, secrets=old, encrypt_recordings=True))
    folder = user_folder(uuid.uuid4(), "production", "u1")
    plain = os.urandom(200_000)
    keys = [
        before.save(folder, "webm", plain),
        LocalStorage(before.root).save(folder, "webm", plain),  # from before sealing
    ]
    env = {"GREENROOM_DATA_DIR": str(data_dir), "GREENROOM_ENCRYPT_RECORDINGS": "true"}

    result = await cli("recordings", "status", env={**env, "GREENROOM_SECRETS": f"{new},{old}"})
    assert result.exit_code == 0, result.output
    assert "plaintext\t1" in result.output and "r1\t1" in result.output

    resealed = await cli("recordings", "reseal", env={**env, "GREENROOM_SECRETS": f"{new},{old}"})
    assert resealed.exit_code == 0, resealed.output
    assert "sealed 2 file(s) again; 0 unreadable" in resealed.output
    again = await cli("recordings", "reseal", env={**env, "GREENROOM_SECRETS": f"{new},{old}"})
    assert "sealed 0 file(s) again" in again.output

    after = recordings_storage(Settings(data_dir=data_dir, secrets=new, encrypt_recordings=True))
    assert [after.sealed_under(key) for key in keys] == ["r2", "r2"]
    assert [read_all(after, key) for key in keys] == [plain, plain]  # r1 no longer needed
    assert not [p for p in after.root.rglob("*") if p.name.endswith(".reseal")]

    off = await cli("recordings", "reseal", env={"GREENROOM_DATA_DIR": str(data_dir)})
    assert off.exit_code == 1 and "sealing is off" in off.output
