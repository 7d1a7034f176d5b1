"""When the disk holding recordings is full (docs/operations.md, When the disk for recordings is
full): the upload is answered 503 `insufficient_storage` with `Retry-After`, no partial file and
no answer are left, the log says so, and the same upload succeeds once there is room again.

The full disk is the app's own `LocalStorage` whose write runs out of space half-way (a tmpfs
cannot be mounted here); everything else (the app, the database, the files) is real."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from greenroom.practice.models import Answer
from greenroom.practice.storage import LocalStorage
from tests.factories import make_org
from tests.practice.helpers import WEBM, Member, make_user, signed_in


class FullDisk(LocalStorage):
    """The recordings folder on a disk that fills up during the write."""

    def _write(self, target: Path, data: bytes) -> None:
        target.write_bytes(data[: len(data) // 2])  # what fitted
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))


@pytest.fixture
def full_disk(app: FastAPI) -> Iterator[FullDisk]:
    real = app.state.storage
    full = FullDisk(real.root)
    app.state.storage = full
    try:
        yield full
    finally:
        app.state.storage = real


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_an_upload_to_a_full_disk_is_503_and_leaves_nothing(
    app, client_for, full_disk, db, caplog
) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    member = Member(browser)
    interview = await member.start("basics")
    before = set(files_under(full_disk.root))
    caplog.set_level(logging.ERROR, logger="greenroom.practice")

    refused = await member.upload(interview, 1, rating=4)

    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "300"
    # The practice app is a browser's: the answer is the HTML error page, with the reason.
    assert refused.headers["content-type"].startswith("text/html")
    assert 'data-code="insufficient_storage"' in refused.text
    assert "could not be saved" in refused.text
    assert set(files_under(full_disk.root)) == before  # the half-written file is gone
    answers = await db.scalar(
        select(func.count()).select_from(Answer).where(Answer.user_id == user.id)
    )
    assert answers == 0  # no answer without its recording
    await db.rollback()
    [record] = [r for r in caplog.records if r.getMessage().startswith("recordings storage full")]
    assert record.errno == errno.ENOSPC and record.storage == str(full_disk.root)

    # Room again: the same upload goes through.
    app.state.storage = LocalStorage(full_disk.root)
    assert (await member.upload(interview, 1, rating=4)).status_code == 303
    review = (await browser.get(f"/members/interviews/{interview}")).text
    answer_id = review.split("/members/recordings/")[1].split('"')[0]
    played = (await browser.get(f"/members/recordings/{answer_id}")).content
    assert played[:4] == WEBM[:4] and len(played) > len(WEBM)  # the remuxed recording (WebM)
