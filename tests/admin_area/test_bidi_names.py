"""Names typed into the admin area refuse bidirectional control characters (422, naming the
field), as the API's names do."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from greenroom.admins.models import Admin
from greenroom.keys.models import ApiKey

SPOOF = "Pat\u202eresu.exe"


async def test_admin_name(app, area) -> None:
    response = await area.browser.submit(
        "/admin/admins", "/admin/admins", {"email": "sam@xyz.example.com", "name": SPOOF}
    )
    assert response.status_code == 422
    assert "name may not contain bidirectional control characters" in html.unescape(response.text)
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Admin).where(Admin.org_id == area.org.id)
        )
    assert count == 1


async def test_key_name(app, area) -> None:
    response = await area.browser.submit(
        "/admin/api-settings",
        "/admin/api-settings",
        {"name": SPOOF, "environment": "production", "scopes": ["users:read"]},
    )
    assert response.status_code == 422
    assert "key name may not contain bidirectional" in html.unescape(response.text)
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.org_id == area.org.id)
        )
    assert count == 0


async def test_question_set_title_and_interviewer(area) -> None:
    form = {
        "slug": "spoofed",
        "title": SPOOF,
        "category": "behavioural",
        "interviewer_name": "Mor\u2066gan",
        "questions": "Why?",
    }
    response = await area.browser.submit("/admin/question-sets/new", "/admin/question-sets", form)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "title: bidirectional control characters" in text
    assert "interviewer_name: bidirectional control characters" in text
