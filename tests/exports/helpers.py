"""Arranging export tests: a student with a typed and a recorded answer and a coach's comment,
the ZIP read back, and a runner of the export kinds alone."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from greenroom.content.loader import get_pack
from greenroom.exports import tasks
from greenroom.exports.models import UserExport
from greenroom.jobs import Registry, Runner, RunnerSettings
from greenroom.practice.models import Answer
from greenroom.tenancy.models import Organization
from tests.admin_area.conftest import Area
from tests.practice.helpers import Member, make_user, signed_in

SETTINGS = RunnerSettings(concurrency=2, poll_seconds=0.01, lease_seconds=60)
COMMENT = "Good pace. Say the result first."


@dataclass
class Student:
    partner_id: str
    interview: str
    answer_id: str
    recording: bytes


async def practised(
    app: FastAPI, client_for: Any, area: Area, partner_id: str = "abc123def"
) -> Student:
    """A student who answered question 1 of "basics" in text and question 2 with a recording,
    which a coach commented on."""
    user = await make_user(app, area.org, partner_id=partner_id, first_name="Jane")
    client = client_for(area.org.slug)
    await signed_in(app, client, area.org, user)
    member = Member(client)
    interview = await member.start("basics")
    assert (await member.answer_text(interview, 1, "I led a small team.")).status_code == 303
    assert (await member.upload(interview, 2)).status_code == 303
    async with app.state.sessionmaker() as session:
        answer = (
            await session.execute(
                select(Answer).where(
                    Answer.interview_id == uuid.UUID(interview), Answer.kind == "recording"
                )
            )
        ).scalar_one()
        assert answer.media_key is not None
        stored = app.state.storage.path(answer.media_key).read_bytes()
    page = f"/admin/users/{partner_id}/interviews/{interview}"
    saved = await area.browser.submit(
        page, f"{page}/answers/{answer.id}/comments", {"body": COMMENT}
    )
    assert saved.status_code == 303, saved.text
    return Student(partner_id, interview, str(answer.id), stored)


def read_zip(content: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """`user.json` parsed, and every file of the ZIP by name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["user.json"]), files


def check_contents(content: bytes, student: Student) -> dict[str, Any]:
    """The ZIP holds the student, their interview, both answers, the comment and the recording
    (byte for byte the stored file)."""
    document, files = read_zip(content)
    assert document["user"]["partner_id"] == student.partner_id
    assert document["user"]["first_name"] == "Jane"
    assert "percent_complete" in document["progress"]
    (interview,) = document["interviews"]
    assert [q["number"] for q in interview["questions"]][:2] == [1, 2]
    typed, recorded = interview["answers"]
    assert typed["type"] == "text" and typed["text"] == "I led a small team."
    assert typed["feedback"] is not None and typed["comments"] == []
    assert recorded["type"] == "recording" and recorded["analysis_status"] == "done"
    assert recorded["transcript"] is not None and recorded["feedback"] is not None
    assert [c["body"] for c in recorded["comments"]] == [COMMENT]
    name = recorded["recording"]["file"]
    assert name.startswith(f"recordings/interview-{interview['id']}-question-2.")
    assert files[name] == student.recording
    assert document["export"]["recordings_missing"] == []
    assert "README.txt" in files
    return document


def runner(app: FastAPI, org: Organization) -> Runner:
    """A runner of the export kinds alone, for this test's org."""
    settings = app.state.settings
    registry = Registry()
    tasks.register(
        registry,
        settings,
        recordings=app.state.storage,
        exports=app.state.exports,
        pack=get_pack(settings.content_dir),
    )
    return Runner(app.state.sessionmaker, registry, SETTINGS, org_ids=[org.id])


def sweeper(app: FastAPI) -> Runner:
    """A runner of the expiry sweep alone (periodic jobs belong to no org)."""
    settings = app.state.settings
    registry = Registry()
    tasks.register(
        registry,
        settings,
        recordings=app.state.storage,
        exports=app.state.exports,
        pack=get_pack(settings.content_dir),
    )
    return Runner(app.state.sessionmaker, registry, SETTINGS, kinds=[tasks.SWEEP_KIND])


async def export_row(app: FastAPI, export_id: str) -> UserExport:
    async with app.state.sessionmaker() as session:
        found: UserExport | None = await session.get(UserExport, uuid.UUID(export_id))
        assert found is not None
        return found
