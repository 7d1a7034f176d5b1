"""Erasure proven (issue 20, item 3): a student with everything a student can have, erased by
each of the three paths (the API's delete, the purge of expired anonymous users, the sandbox
reset), and then every table and every file of the data folder searched for them.

The search reads every row of every table of `greenroom.models` (all columns, JSON as its text,
UUIDs in both spellings) for the user's id, partner_id, email and recordings folder name. What
may remain is listed in `KEPT`, each with the reason it is a deliberate record; anything else
found fails the test with the table, the column and the row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from greenroom import models
from greenroom.admins.models import AdminRole
from greenroom.core import clock
from greenroom.idempotency.models import IdempotencyRecord
from greenroom.practice.models import Answer
from greenroom.practice.storage import user_folder
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from greenroom.users.tasks import purge_once
from tests.admin_area.conftest import Browser, logged_in
from tests.factories import make_key, make_org
from tests.practice.helpers import Member
from tests.practice.media import SHORT_PIECES, spoken_answer
from tests.webhooks.conftest import Receiver, make_worker

# What may outlive the user, by table: (which rows, why they are kept).
KEPT: dict[str, tuple[str, str]] = {
    "audit_events": (
        "every event",
        "the org's record of who did what: an admin's playback, download and comment name the "
        "student they were about (issue 20, item 4); the log is the accountability the erasure "
        "itself needs",
    ),
    "webhook_messages": (
        "user.deleted",
        "the announcement of the erasure, as sent to the partner (kept for the delivery log's "
        "retention, webhooks_log_retention_days)",
    ),
    "webhook_deliveries": ("user.deleted", "the log of that announcement, per endpoint"),
}

DISTINCT = "zq7erasure"  # in no fixture, page or content pack: a hit is this user's


@dataclass
class Student:
    org: Organization
    environment: str
    partner_id: str
    email: str | None
    user_id: uuid.UUID
    api_key: str
    idempotency_keys: list[str]
    recordings: list[Path] = field(default_factory=list)
    member: Member | None = None  # their browser, signed in
    interview: str = ""  # the practice app's id of their interview
    answer_id: str = ""  # their spoken answer's

    def needles(self) -> list[str]:
        """The user as any table or file could hold them (lower case)."""
        found = [str(self.user_id), self.user_id.hex, self.partner_id.lower()]
        found.append(user_folder(self.org.id, self.environment, self.partner_id))
        if self.email:
            found.append(self.email.lower())
        try:  # an anonymous user's partner_id is a UUID: stored with or without dashes
            found.append(uuid.UUID(self.partner_id).hex)
        except ValueError:
            pass
        return found


async def _practise(app: FastAPI, client_for, student: Student, token_url: str) -> None:
    """Signed in through the API's sign-in link: a typed answer, then a spoken one whose
    analysis (the transcription job, in the speech workers) writes its transcript."""
    member = Member(client_for(student.org.slug, student.environment))
    link = httpx.URL(token_url)
    signed = await member.client.get(link.path, params=link.params)
    assert signed.status_code == 303, signed.text
    interview = await member.start("basics")
    assert (await member.answer_text(interview, 1, f"I led {DISTINCT} a team.")).status_code == 303
    uploaded = await member.upload(interview, 2, spoken_answer(SHORT_PIECES).webm, rating=4)
    assert uploaded.status_code == 303, uploaded.text
    async with app.state.sessionmaker() as session:
        answers = (
            (await session.execute(select(Answer).where(Answer.user_id == student.user_id)))
            .scalars()
            .all()
        )
    [recorded] = [a for a in answers if a.kind == "recording"]
    assert recorded.analysis_status == "done" and recorded.transcript, recorded.analysis_error
    assert recorded.media_key is not None
    student.recordings.append(app.state.storage.path(recorded.media_key))
    assert student.recordings[-1].exists()
    student.member, student.interview, student.answer_id = member, interview, str(recorded.id)


async def _coach(app: FastAPI, browser_for, student: Student) -> Browser:
    """An admin of the org plays and downloads the recording and comments on it (audited)."""
    admin: Browser
    _admin, admin = await logged_in(app, browser_for, student.org, AdminRole.ADMIN)
    if student.environment == "sandbox":
        await admin.submit("/admin", "/admin/view", {"view": "sandbox"})
    users = await admin.get("/admin/users", params={"q": student.partner_id})
    assert users.status_code == 200
    assert student.partner_id in users.text  # the read model (admin_students) knows them
    page = f"/admin/users/{student.partner_id}/interviews/{student.interview}"
    answer_id = student.answer_id
    played = await admin.get(f"/admin/recordings/{answer_id}")
    assert played.status_code == 200
    downloaded = await admin.get(f"/admin/recordings/{answer_id}", params={"download": "true"})
    assert downloaded.status_code == 200
    comment = f"Good pace, {DISTINCT}. Say the result first."
    saved = await admin.submit(page, f"{page}/answers/{answer_id}/comments", {"body": comment})
    assert saved.status_code == 303, saved.text
    return admin


async def _everything(
    app: FastAPI, client_for, browser_for, receiver: Receiver, environment: str, anonymous: bool
) -> tuple[Student, Browser]:
    """A student with recordings, a transcript, a coach's comment, sign-in tokens, a browser
    session, idempotency records, webhook deliveries (sent), progress and the admin area's
    read model, and audit entries about them."""
    org = await make_org(app, anonymous=anonymous)
    key = await make_key(app, org, environment=environment)
    api = client_for(org.slug, environment, headers={"Authorization": key})
    hook = await api.post("/api/webhooks", json={"url": receiver.url(f"/{org.slug}")})
    assert hook.status_code == 201, hook.text
    keys = [f"create-{uuid.uuid4().hex}", f"sso-{uuid.uuid4().hex}"]
    if anonymous:
        created = await api.post("/api/users/anonymous", headers={"Idempotency-Key": keys[0]})
    else:
        partner_id = f"{DISTINCT}-{uuid.uuid4().hex[:10]}"
        email = f"{DISTINCT}.{uuid.uuid4().hex[:8]}@erasure.example.com"
        created = await api.post(
            f"/api/users/{partner_id}",
            json={"email": email, "first_name": "Zephyrine", "last_name": "Quillfeather"},
            headers={"Idempotency-Key": keys[0]},
        )
    assert created.status_code == 201, created.text
    user = created.json()["user"]
    async with app.state.sessionmaker() as session:
        user_id = await session.scalar(
            select(User.id).where(User.org_id == org.id, User.partner_id == user["partner_id"])
        )
    assert user_id is not None
    student = Student(org, environment, user["partner_id"], user["email"], user_id, key, keys)
    sso = await api.post(
        f"/api/users/{student.partner_id}/sso",
        json={"redirect_to": "/members/dashboard"},
        headers={"Idempotency-Key": keys[1]},
    )
    assert sso.status_code == 201, sso.text
    await _practise(app, client_for, student, sso.json()["url"])
    # A second sign-in link, left unused: a token row that only the erasure removes.
    assert (await api.post(f"/api/users/{student.partner_id}/sso")).status_code == 201
    admin = await _coach(app, browser_for, student)
    progress = await api.get(f"/api/users/{student.partner_id}/progress")
    assert progress.status_code == 200, progress.text
    await make_worker(app, org).run_until_idle()
    sent = {json.loads(r.body)["type"] for r in receiver.at(f"/{org.slug}")}
    assert {"user.created", "interview.created", "progress.updated"} <= sent, sent
    await _assert_found(app, student)  # the search finds them before the erasure
    # One more answer whose events are still pending when the erasure comes: they go out
    # first, in order, and then the `user.deleted` delivery clears them from the log.
    assert student.member is not None
    typed = await student.member.answer_again(student.interview, 1, f"Again {DISTINCT}.")
    assert typed.status_code == 303, typed.text
    return student, admin


async def _assert_found(app: FastAPI, student: Student) -> None:
    tables = {hit.table for hit in await _search(app, student)}
    for table in (
        "users",
        "sso_tokens",
        "web_sessions",
        "practice_interviews",
        "practice_answers",
        "practice_answer_comments",
        "user_progress",
        "admin_students",
        "webhook_messages",
        "webhook_deliveries",
        "audit_events",
    ):
        assert table in tables, f"the search does not see the user in {table}"
    async with app.state.sessionmaker() as session:
        records = (
            await session.execute(
                select(IdempotencyRecord).where(IdempotencyRecord.key.in_(student.idempotency_keys))
            )
        ).scalars()
        assert len(list(records)) == 2


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    row: dict[str, Any]


def _texts(value: Any) -> Iterator[str]:
    """A stored value as text, the ways a search of the database could read it."""
    if value is None:
        return
    if isinstance(value, uuid.UUID):
        yield str(value)
        yield value.hex
    elif isinstance(value, bytes | bytearray | memoryview):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, dict | list):
        yield json.dumps(value)
        yield json.dumps(value, ensure_ascii=False)
    else:
        yield str(value)


async def _search(app: FastAPI, student: Student) -> list[Hit]:
    """Every row of every table holding the user's id, partner_id, email or folder."""
    needles = student.needles()
    hits: list[Hit] = []
    async with app.state.sessionmaker() as session:
        for table in models.Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for row in rows:
                for column, value in row.items():
                    if any(n in text.lower() for text in _texts(value) for n in needles):
                        hits.append(Hit(table.name, column, dict(row)))
    return hits


def _kept(hit: Hit) -> bool:
    rule = KEPT.get(hit.table)
    if rule is None:
        return False
    which, _why = rule
    return which == "every event" or hit.row.get("event_type") == which


def _files_about(root: Path, student: Student) -> list[str]:
    """Files and folders under the data folder whose name or content holds the user."""
    needles = [n.encode() for n in student.needles()]
    found = []
    for path in root.rglob("*"):
        if any(n.decode() in path.name.lower() for n in needles):
            found.append(str(path))
        elif path.is_file() and any(n in path.read_bytes().lower() for n in needles):
            found.append(str(path))
    return found


async def _erase(path: str, app: FastAPI, client_for, student: Student, admin: Browser) -> None:
    if path == "api":
        api = client_for(student.org.slug, headers={"Authorization": student.api_key})
        deleted = await api.delete(f"/api/users/{student.partner_id}")
        assert deleted.status_code == 204, deleted.text
    elif path == "purge":
        clock.advance(timedelta(hours=25))  # past the anonymous user's 24 hours
        assert await purge_once(app.state.sessionmaker) >= 1
    else:
        done = await admin.submit("/admin/sandbox", "/admin/sandbox/reset", {"confirm": "yes"})
        assert done.status_code == 303, done.text
        assert "1 user deleted" in (await admin.follow(done)).text


PATHS = {
    "api": ("production", False),
    "purge": ("production", True),
    "sandbox_reset": ("sandbox", False),
}


@pytest.mark.parametrize("path", list(PATHS))
async def test_an_erased_student_leaves_only_the_audit_and_the_user_deleted_delivery(
    app, client_for, browser_for, receiver, settings, path: str
) -> None:
    environment, anonymous = PATHS[path]
    student, admin = await _everything(
        app, client_for, browser_for, receiver, environment, anonymous
    )
    await _erase(path, app, client_for, student, admin)
    # The worker sends `user.deleted` (after what was still pending about the user).
    await make_worker(app, student.org).run_until_idle()
    [deleted] = [
        r for r in receiver.at(f"/{student.org.slug}") if r.body_json["type"] == "user.deleted"
    ]
    assert deleted.body_json["data"]["user"]["partner_id"] == student.partner_id
    sent = [r.body_json["type"] for r in receiver.at(f"/{student.org.slug}")]
    assert sent[-1] == "user.deleted" and "interview.updated" in sent[sent.index("user.created") :]
    assert sent.count("interview.updated") >= 2  # the last answer's, pending at the erasure

    hits = await _search(app, student)
    left = [hit for hit in hits if not _kept(hit)]
    assert left == [], "\n".join(f"{h.table}.{h.column}: {h.row}" for h in left)
    kept = {(h.table, h.row.get("event_type") or h.row.get("event")) for h in hits}
    assert ("webhook_deliveries", "user.deleted") in kept
    assert ("webhook_messages", "user.deleted") in kept
    assert {e for t, e in kept if t == "audit_events"} >= {
        "recording.played",
        "recording.downloaded",
        "answer.commented",
    }
    # Idempotency records: sealed under the partner's own key (none of the user's text can be
    # read in them: the search above), and gone with the purge once past their 24 hours.
    # The recordings: the files, the user's folder, and any file naming or holding the user.
    assert not any(p.exists() for p in student.recordings)
    folder = app.state.storage.root
    assert not (folder / user_folder(student.org.id, environment, student.partner_id)).exists()
    assert _files_about(settings.data_dir, student) == []
