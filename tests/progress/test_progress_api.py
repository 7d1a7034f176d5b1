"""Progress, tracks and interviews as a partner reads them, checked against a scripted activity.

`Script` keeps its own tally of what the user did and derives the expected progress from it
and from the pack, independently of the service, so each field is checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from greenroom.content.loader import get_pack
from greenroom.core import clock
from greenroom.keys.scopes import ALL_SCOPES, Scope
from tests.factories import make_key, make_org
from tests.practice.helpers import Member, make_user, recorded_events, signed_in
from tests.practice.media import recording


@dataclass
class Script:
    lessons: set[tuple[str, str]] = field(default_factory=set)
    started: int = 0
    completed: int = 0
    ratings: list[int] = field(default_factory=list)
    answers: int = 0
    recorded_seconds: float = 0.0

    def expected(self, settings: Any, partner_id: str) -> dict[str, Any]:
        pack = get_pack(settings.content_dir)
        modules = []
        for m in pack.modules:
            done = sum(1 for lesson in m.lessons if (m.slug, lesson.slug) in self.lessons)
            modules.append(
                {
                    "slug": m.slug,
                    "title": m.title,
                    "lessons_completed": done,
                    "lessons_total": len(m.lessons),
                    "percent_complete": round(100 * done / len(m.lessons)),
                    "link": f"/members/modules/{m.slug}",
                }
            )
        total = sum(len(m.lessons) for m in pack.modules)
        return {
            "partner_id": partner_id,
            "percent_complete": round(100 * len(self.lessons) / total),
            "lessons": {"completed": len(self.lessons), "total": total},
            "practice_interviews": {"started": self.started, "completed": self.completed},
            "answers_recorded": self.answers,
            "average_rating": round(sum(self.ratings) / len(self.ratings), 2)
            if self.ratings
            else None,
            "minutes_practised": round(self.recorded_seconds / 60, 1),
            "average_words_per_minute": None,  # recordings of a tone: no words heard
            "modules": modules,
        }


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": key}


def _compare(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert actual[name] == value, name


async def _activity(app: FastAPI, client_for: Any, org: Any, user: Any) -> Script:
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    member, script = Member(browser), Script()
    for module, lesson in [("first-steps", "why-practise"), ("stories", "star")]:
        await member.complete_lesson(f"/members/modules/{module}/lessons/{lesson}")
        script.lessons.add((module, lesson))
    await member.complete_lesson("/members/modules/first-steps/lessons/why-practise")  # again
    first = await member.start("basics")
    script.started += 1
    await member.answer_text(first, 1, "I led the move to a new system.", rating=4)
    await member.answer_text(first, 2, "At my last job we were late, so I planned.", rating=2)
    script.answers += 2
    script.ratings += [4, 2]
    script.completed += 1
    second = await member.start("teamwork")
    script.started += 1
    response = await member.upload(second, 1, recording(seconds=12.0), rating=5)
    assert response.status_code == 303, response.text
    script.answers += 1
    script.recorded_seconds += 12.0
    script.ratings.append(5)
    return script


async def test_progress_matches_the_scripted_activity_field_by_field(
    app, settings, client_for
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org, partner_id="abc123def")
    api = client_for(org.slug)
    before = await api.get("/api/users/abc123def/progress", headers=_auth(key))
    _compare(before.json()["progress"], Script().expected(settings, "abc123def"))
    assert before.json()["progress"]["last_activity_at"] is None

    script = await _activity(app, client_for, org, user)
    response = await api.get("/api/users/abc123def/progress", headers=_auth(key))
    assert response.status_code == 200
    progress = response.json()["progress"]
    _compare(progress, script.expected(settings, "abc123def"))
    assert progress["last_activity_at"] == progress["updated_at"]

    bulk = await api.get("/api/progress", headers=_auth(key))
    assert bulk.json() == {"progress": [progress], "next_cursor": None}


async def test_tracks_show_modules_as_tracks_and_lessons_as_steps(
    app, settings, client_for
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org)
    await _activity(app, client_for, org, user)
    response = await client_for(org.slug).get(
        f"/api/users/{user.partner_id}/tracks", headers=_auth(key)
    )
    tracks = response.json()["tracks"]
    pack = get_pack(settings.content_dir)
    assert [t["title"] for t in tracks] == [m.title for m in pack.modules]
    assert tracks[0]["progress"] == round(1 / 3, 2) and tracks[1]["progress"] == 0.5
    assert tracks[0]["tracks"][0] == {
        "step": 1,
        "title": "Why practise",
        "link": "/members/modules/first-steps/lessons/why-practise",
        "completed": True,
    }
    assert [s["completed"] for s in tracks[0]["tracks"]] == [True, False, False]


async def test_interviews_list_newest_first_with_working_links(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org)
    await _activity(app, client_for, org, user)
    api = client_for(org.slug)
    page1 = (
        await api.get(f"/api/users/{user.partner_id}/interviews?limit=1", headers=_auth(key))
    ).json()
    page2 = (
        await api.get(
            f"/api/users/{user.partner_id}/interviews",
            params={"limit": 1, "cursor": page1["next_cursor"]},
            headers=_auth(key),
        )
    ).json()
    assert page2["next_cursor"] is None
    newest, oldest = page1["interviews"][0], page2["interviews"][0]
    assert (newest["title"], newest["completed"]) == ("Teamwork", False)
    assert (oldest["title"], oldest["completed"], oldest["interviewer_name"]) == (
        "Interview basics",
        True,
        "Alex",
    )
    assert oldest["category"] == "general"
    assert oldest["links"] == {
        "review": f"/members/interviews/{oldest['id']}",
        "retake": f"/members/interviews/{oldest['id']}/retake",
    }
    browser = client_for(org.slug)
    for link in oldest["links"].values():
        landed = await signed_in(app, browser, org, user, redirect_to=link)
        assert landed.headers["location"] == link
        assert (await browser.get(link)).status_code == 200


async def test_bulk_progress_filters_by_updated_since_and_pages(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    users = [await make_user(app, org) for _ in range(3)]
    stamps = []
    for user in users:
        browser = client_for(org.slug)
        await signed_in(app, browser, org, user)
        stamps.append(clock.now())
        await Member(browser).complete_lesson("/members/modules/stories/lessons/star")
        clock.advance(timedelta(minutes=1))
    api = client_for(org.slug)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/api/progress", params=params, headers=_auth(key))).json()
        seen += [p["partner_id"] for p in body["progress"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [u.partner_id for u in users]
    since = stamps[1].isoformat()
    body = (
        await api.get("/api/progress", params={"updated_since": since}, headers=_auth(key))
    ).json()
    assert [p["partner_id"] for p in body["progress"]] == [u.partner_id for u in users[1:]]


async def test_unknown_foreign_and_expired_users_are_404(app, client_for) -> None:
    org, other = await make_org(app, anonymous=True), await make_org(app)
    key = await make_key(app, org)
    sandbox_key = await make_key(app, org, environment="sandbox")
    foreign = await make_user(app, other, partner_id="abc123def")
    sandboxed = await make_user(app, org, environment="sandbox")
    anon = await make_user(app, org, anonymous=True, expires_at=clock.now() + timedelta(hours=24))
    api = client_for(org.slug)
    ok = await api.get(f"/api/users/{anon.partner_id}/progress", headers=_auth(key))
    assert ok.status_code == 200
    clock.advance(timedelta(hours=25))
    for partner_id in ["nobody", foreign.partner_id, sandboxed.partner_id, anon.partner_id]:
        for suffix in ["progress", "tracks", "interviews"]:
            response = await api.get(f"/api/users/{partner_id}/{suffix}", headers=_auth(key))
            assert response.status_code == 404, (partner_id, suffix)
    sandbox = client_for(org.slug, "sandbox")
    found = await sandbox.get(
        f"/api/users/{sandboxed.partner_id}/progress", headers=_auth(sandbox_key)
    )
    assert found.status_code == 200


async def test_progress_endpoints_need_the_progress_read_scope(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org, scopes=ALL_SCOPES - {Scope.PROGRESS_READ})
    user = await make_user(app, org)
    api = client_for(org.slug)
    for path in [
        f"/api/users/{user.partner_id}/progress",
        f"/api/users/{user.partner_id}/tracks",
        f"/api/users/{user.partner_id}/interviews",
        "/api/progress",
    ]:
        response = await api.get(path, headers=_auth(key))
        assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


async def test_activity_publishes_progress_and_interview_events(app, client_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    with recorded_events(user.partner_id) as seen:
        await _activity(app, client_for, org, user)
    kinds = [kind for kind, _ in seen]
    assert kinds.count("interview.created") == 2
    # three answers, and the recorded one's analysis when it is ready
    assert kinds.count("interview.updated") == 4
    # two lessons, two starts, three answers; the repeated lesson changed nothing
    assert kinds.count("progress.updated") == 7
    last = next(data for kind, data in reversed(seen) if kind == "progress.updated")
    assert last["progress"]["answers_recorded"] == 3
    completed = [d for k, d in seen if k == "interview.updated" and d["interview"]["completed"]]
    assert len(completed) == 1 and completed[0]["interview"]["partner_id"] == user.partner_id
