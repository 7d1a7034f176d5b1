"""Recordings sealed at rest (issue 20, item 6): what the disk holds reveals nothing, playback and
its ranges give back exactly the recording, a changed or cut file fails closed, rotating the
server secret keeps old files playing, plaintext files from before still play, and transcription
works on a sealed recording."""

from __future__ import annotations

import errno
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from greenroom.core.settings import ServerSecret, Settings
from greenroom.practice import sealed
from greenroom.practice.models import Answer
from greenroom.practice.storage import LocalStorage, recordings_storage, user_folder
from tests.admin_area.conftest import assert_error_page
from tests.factories import make_key, make_org
from tests.practice.helpers import WEBM, Member, make_user, signed_in
from tests.practice.media import recording, spoken_answer

EBML = WEBM[:4]  # the first bytes of every WebM
SIZE = 3 * sealed.CHUNK + 1234  # four chunks, the last one short


@pytest.fixture
def use_storage(app: FastAPI) -> Iterator[Callable[[LocalStorage], None]]:
    """`use_storage(storage)` puts a storage of the test's making in the app; the app's own is
    put back afterwards."""
    real = app.state.storage

    def use(storage: LocalStorage) -> None:
        app.state.storage = storage

    try:
        yield use
    finally:
        app.state.storage = real


def sealing(app: FastAPI, secrets: list[ServerSecret]) -> LocalStorage:
    return LocalStorage(app.state.storage.root, secrets=secrets, encrypt=True)


async def member_with_recording(app: FastAPI, client_for) -> tuple[Member, str, str, str]:
    """A member who uploaded a recording to question 1: (member, interview id, answer id,
    the user's storage folder)."""
    org = await make_org(app)
    user = await make_user(app, org)
    member = Member(client_for(org.slug))
    await signed_in(app, member.client, org, user)
    interview = await member.start("basics")
    assert (await member.upload(interview, 1)).status_code == 303
    review = (await member.client.get(f"/members/interviews/{interview}")).text
    answer_id = review.split("/members/recordings/")[1].split('"')[0]
    return member, interview, answer_id, user_folder(org.id, "production", user.partner_id)


async def point_answer_at(app: FastAPI, answer_id: str, key: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Answer).where(Answer.id == uuid.UUID(answer_id)).values(media_key=key)
        )


def content_of(size: int = SIZE) -> bytes:
    return (EBML + os.urandom(size))[:size]


def assert_hidden(path: Path, plain: bytes) -> None:
    raw = path.read_bytes()
    assert raw.startswith(sealed.MAGIC) and EBML not in raw
    for offset in range(0, len(plain) - 32, 9_973):
        assert plain[offset : offset + 32] not in raw


async def test_a_sealed_upload_hides_its_bytes_and_plays_back_as_a_recording(
    app, client_for, use_storage, settings, tmp_path
) -> None:
    import av

    use_storage(sealing(app, settings.server_secrets))
    member, _interview, answer_id, folder = await member_with_recording(app, client_for)
    [stored] = list((app.state.storage.root / folder).iterdir())
    played = await member.client.get(f"/members/recordings/{answer_id}")
    assert played.status_code == 200 and played.content.startswith(EBML)
    assert played.headers["content-length"] == str(len(played.content))
    assert played.headers["accept-ranges"] == "bytes"
    assert_hidden(stored, played.content)
    copy = tmp_path / "played.webm"
    copy.write_bytes(played.content)
    with av.open(str(copy)) as container:  # the remuxed recording, whole
        assert container.duration is not None
    assert not list((app.state.storage.root / ".incoming").iterdir())  # no plaintext left


@pytest.mark.parametrize("size", [SIZE, 0, 2 * sealed.CHUNK, 100])
async def test_a_sealed_recording_plays_exactly_in_every_range(
    app, client_for, use_storage, settings, size
) -> None:
    use_storage(sealing(app, settings.server_secrets))
    member, _interview, answer_id, folder = await member_with_recording(app, client_for)
    plain = content_of(size)
    key = app.state.storage.save(folder, "webm", plain)
    await point_answer_at(app, answer_id, key)
    if size:
        assert_hidden(app.state.storage.path(key), plain)
    url = f"/members/recordings/{answer_id}"
    whole = await member.client.get(url)
    assert whole.status_code == 200 and whole.content == plain
    if size < 200:
        return
    last = size - 1
    for asked, start, stop in [
        ("bytes=0-99", 0, 100),
        ("bytes=65500-65600", 65500, 65601),  # across a chunk's end
        (f"bytes={size - 5000}-", size - 5000, size),
        ("bytes=-100", size - 100, size),
        (f"bytes=-{size + 10}", 0, size),  # a suffix longer than the file: all of it
        (f"bytes={last - 9}-{last + 1000}", last - 9, size),  # an end past the end is cut
    ]:
        part = await member.client.get(url, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.content == plain[start:stop], asked
        assert part.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}"
        assert part.headers["content-length"] == str(stop - start)
    for past in [f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=-0"]:
        refused = await member.client.get(url, headers={"Range": past})
        assert_error_page(refused, 416, "range_not_satisfiable")
        assert refused.headers["content-range"] == f"bytes */{size}"
    # Several ranges, another unit, nonsense, an If-Range: the whole recording, 200.
    for headers in [
        {"Range": "bytes=0-1,5-6"},
        {"Range": "items=0-1"},
        {"Range": "bytes=9-2"},
        {"Range": "bytes=0-1", "If-Range": '"x"'},
        # Numbers longer than any position (over 4,300 digits Python cannot read: a 500).
        {"Range": "bytes=0-" + "9" * 4301},
        {"Range": "bytes=" + "9" * 4301 + "-"},
        {"Range": "bytes=-" + "9" * 4301},
        {"Range": "bytes=0-" + "9" * 19},
    ]:
        again = await member.client.get(url, headers=headers)
        assert again.status_code == 200 and again.content == plain, headers


def flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


def header_length(secret: ServerSecret) -> int:
    return len(sealed.MAGIC) + 1 + 4 + 1 + len(secret.version) + sealed.NONCE


async def test_a_changed_or_cut_file_fails_closed_and_is_logged(
    app, client_for, use_storage, settings, caplog
) -> None:
    [secret] = settings.server_secrets
    use_storage(sealing(app, [secret]))
    storage = app.state.storage
    member, _interview, answer_id, folder = await member_with_recording(app, client_for)
    plain = content_of()
    url = f"/members/recordings/{answer_id}"
    caplog.set_level(logging.ERROR, logger="greenroom.practice.playback")
    start = header_length(secret)
    step = sealed.CHUNK + sealed.TAG
    for change in ["header", "first chunk", "last chunk", "cut at a chunk", "cut by a byte"]:
        key = storage.save(folder, "webm", plain)
        await point_answer_at(app, answer_id, key)
        path = storage.path(key)
        if change == "header":
            flip(path, len(sealed.MAGIC) + 6)  # the secret's version
        elif change == "first chunk":
            flip(path, start + 10)
        elif change == "last chunk":
            flip(path, path.stat().st_size - 1)
        else:
            cut = step if change == "cut at a chunk" else 1
            os.truncate(path, path.stat().st_size - cut)
        caplog.clear()
        asked = [{}, {"Range": "bytes=0-99"}]
        if change != "first chunk":  # the last chunk is checked at every opening
            asked.append({"Range": "bytes=-100"})
        else:  # the chunks a range does not touch are not the question
            tail = await member.client.get(url, headers={"Range": "bytes=-100"})
            assert tail.status_code == 206 and tail.content == plain[-100:]
        for headers in asked:
            refused = await member.client.get(url, headers=headers)
            assert_error_page(refused, 500, "recording_unreadable")
            assert plain[:16] not in refused.content, change
        [logged, *_] = [r for r in caplog.records if r.getMessage() == "recording unreadable"]
        assert logged.storage_key == key, change
        assert secret.value.decode() not in caplog.text

    # A chunk changed further on: the ranges before it still play (they are checked on their
    # own); the whole file stops before the changed chunk, and nothing of it is sent.
    key = storage.save(folder, "webm", plain)
    await point_answer_at(app, answer_id, key)
    flip(storage.path(key), start + 2 * step + 5)
    part = await member.client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == plain[:100]
    received = bytearray()
    caplog.clear()
    with pytest.raises(sealed.Unreadable):
        async with member.client.stream("GET", url) as streamed:
            assert streamed.status_code == 200
            async for piece in streamed.aiter_raw():
                received += piece
    assert plain.startswith(bytes(received)) and len(received) <= 2 * sealed.CHUNK
    assert "recording unreadable part-way: response cut short" in caplog.text


async def test_rotating_the_secret_keeps_old_recordings_playing(
    app, client_for, use_storage, settings
) -> None:
    old = ServerSecret("r1", os.urandom(32))
    new = ServerSecret("r2", os.urandom(32))
    use_storage(sealing(app, [old]))
    member, _interview, answer_id, folder = await member_with_recording(app, client_for)
    plain = content_of()
    before = app.state.storage.save(folder, "webm", plain)
    await point_answer_at(app, answer_id, before)
    url = f"/members/recordings/{answer_id}"
    assert (await member.client.get(url)).content == plain

    use_storage(sealing(app, [new, old]))  # GREENROOM_SECRETS="r2:NEW,r1:OLD"
    assert (await member.client.get(url)).content == plain
    part = await member.client.get(url, headers={"Range": "bytes=70000-70099"})
    assert part.content == plain[70000:70100]
    after = app.state.storage.save(folder, "webm", plain)
    head = app.state.storage.path(after).read_bytes()[:64]
    assert b"\x02r2" in head and b"\x02r1" not in head  # new files: the new secret

    use_storage(sealing(app, [new]))  # r1 dropped before its files were resealed
    assert_error_page(await member.client.get(url), 500, "recording_unreadable")
    await point_answer_at(app, answer_id, after)
    assert (await member.client.get(url)).content == plain


async def test_a_plaintext_recording_from_before_still_plays_and_seeks(
    app, client_for, use_storage, settings
) -> None:
    member, _interview, answer_id, folder = await member_with_recording(app, client_for)
    plain = content_of()
    key = LocalStorage(app.state.storage.root).save(folder, "webm", plain)
    await point_answer_at(app, answer_id, key)
    use_storage(sealing(app, settings.server_secrets))
    url = f"/members/recordings/{answer_id}"
    assert (await member.client.get(url)).content == plain
    part = await member.client.get(url, headers={"Range": "bytes=-100"})
    assert part.status_code == 206 and part.content == plain[-100:]
    assert app.state.storage.path(key).read_bytes() == plain  # left as it was


async def test_a_sealed_recording_is_transcribed(app, client_for, use_storage, settings) -> None:
    """The job (in the app's process, after the upload) reads a plaintext copy in a scratch
    folder, removed when the analysis ends."""
    spoken = spoken_answer()
    use_storage(sealing(app, settings.server_secrets))
    org = await make_org(app)
    user = await make_user(app, org)
    member = Member(client_for(org.slug))
    await signed_in(app, member.client, org, user)
    interview = await member.start("basics")
    assert (await member.upload(interview, 2, spoken.webm)).status_code == 303
    folder = app.state.storage.root / user_folder(org.id, "production", user.partner_id)
    [stored] = list(folder.iterdir())
    assert stored.read_bytes().startswith(sealed.MAGIC)
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    detail = await api.get(f"/api/users/{user.partner_id}/interviews/{interview}")
    [answer] = detail.json()["interview"]["answers"]
    assert answer["analysis_status"] == "done", answer
    assert "bakery" in answer["transcript"]["text"]
    assert not list((app.state.storage.root / ".incoming").iterdir())


def test_sealing_is_on_in_production_unless_turned_off(tmp_path: Path) -> None:
    strong = "v1:" + "k" * 40
    production = Settings(environment="production", secrets=strong, data_dir=tmp_path)
    assert production.recordings_encrypted and recordings_storage(production).encrypts
    assert not Settings(data_dir=tmp_path).recordings_encrypted
    off = Settings(
        environment="production", secrets=strong, data_dir=tmp_path, encrypt_recordings=False
    )
    assert not recordings_storage(off).encrypts
    assert Settings(data_dir=tmp_path, encrypt_recordings=True).recordings_encrypted


async def test_a_full_disk_while_sealing_leaves_nothing(
    app, client_for, use_storage, settings
) -> None:
    class FullWhileSealing(LocalStorage):
        def _seal(self, source, target, key) -> None:
            target.write_bytes(b"half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    use_storage(
        FullWhileSealing(app.state.storage.root, secrets=settings.server_secrets, encrypt=True)
    )
    org = await make_org(app)
    user = await make_user(app, org)
    member = Member(client_for(org.slug))
    await signed_in(app, member.client, org, user)
    interview = await member.start("basics")
    refused = await member.upload(interview, 1, recording())
    assert refused.status_code == 503
    folder = app.state.storage.root / user_folder(org.id, "production", user.partner_id)
    assert not folder.exists() or not list(folder.iterdir())
