"""The Privacy page (issue 20, item 1): admins set how long recordings are kept, viewers see it,
coaches do not; a bad value is an error on the page; every change is audited, and a removed
recording says so on the admin's interview page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from greenroom.admins.models import AdminRole
from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.practice import retention
from greenroom.tenancy.models import Organization
from tests.admin_area.conftest import Area, assert_error_page, logged_in
from tests.admin_area.test_coaching import practised

PATH = "/admin/privacy"


async def setting(app, org) -> tuple[int | None, bool]:
    async with app.state.sessionmaker() as session:
        found = await session.get(Organization, org.id)
        assert found is not None
        return found.recording_retention_days, found.retention_includes_transcripts


async def changes(app, org) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.org_id == org.id, AuditEvent.event == "org.retention_changed")
            .order_by(AuditEvent.created_at)
        )
        return list(rows)


async def test_an_admin_sets_retention_and_the_change_is_audited(app, area: Area) -> None:
    page = await area.browser.get(PATH)
    assert page.status_code == 200
    assert "Recordings are kept until the student or an admin deletes them." in page.text
    assert 'href="/admin/privacy" aria-current="page"' in page.text
    saved = await area.browser.submit(
        PATH,
        PATH,
        {"recording_retention_days": " 90 ", "retention_includes_transcripts": "true"},
    )
    shown = await area.browser.follow(saved)
    assert "Recording retention is now 90 days with transcripts." in shown.text
    assert "Recordings are removed 90 days after they were made, with their transcripts." in (
        shown.text
    )
    assert 'value="90"' in shown.text and "checked" in shown.text
    assert await setting(app, area.org) == (90, True)
    [entry] = await changes(app, area.org)
    assert entry.actor == f"admin:{area.admin.email}" and entry.admin_id == area.admin.id
    assert entry.details == {
        "recording_retention_days": 90,
        "retention_includes_transcripts": True,
        "before": {"recording_retention_days": None, "retention_includes_transcripts": False},
    }
    # The same again changes nothing and audits nothing; "off" turns it off.
    await area.browser.submit(
        PATH, PATH, {"recording_retention_days": "90", "retention_includes_transcripts": "true"}
    )
    assert len(await changes(app, area.org)) == 1
    off = await area.browser.follow(
        await area.browser.submit(PATH, PATH, {"recording_retention_days": "off"})
    )
    assert "Recording retention is now off." in off.text
    assert await setting(app, area.org) == (None, False)
    assert len(await changes(app, area.org)) == 2
    # The audit page lists and filters the event.
    log = await area.browser.get("/admin/audit", params={"event": "org.retention_changed"})
    assert log.text.split("<tbody>", 1)[1].count("<td>org.retention_changed</td>") == 2
    assert '<option value="recordings.expired"' in log.text


@pytest.mark.parametrize("value", ["0", "3651", "-5", "thirty", "1.5", "9" * 20])
async def test_a_bad_value_is_an_error_on_the_page_and_changes_nothing(
    app, area: Area, value: str
) -> None:
    await area.browser.submit(PATH, PATH, {"recording_retention_days": "30"})
    refused = await area.browser.submit(
        PATH, PATH, {"recording_retention_days": value, "retention_includes_transcripts": "true"}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert 'data-testid="form-error"' in refused.text
    assert "a whole number of days from 1 to 3650, or off" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert await setting(app, area.org) == (30, False)
    assert len(await changes(app, area.org)) == 1


async def test_viewers_see_it_coaches_do_not_and_only_admins_change_it(
    app, area: Area, browser_for
) -> None:
    _viewer, viewer = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await viewer.get(PATH)
    assert page.status_code == 200 and "Only admins can change it." in page.text
    assert 'name="recording_retention_days"' not in page.text
    # The layout's forms give the page a CSRF token: the refusal is the role's, not the token's.
    refused = await viewer.submit(PATH, PATH, {"recording_retention_days": "30"})
    assert_error_page(refused, 403, "read_only")
    _coach, coach = await logged_in(app, browser_for, area.org, AdminRole.COACH)
    assert_error_page(await coach.get(PATH), 403, "not_for_coaches")
    assert 'href="/admin/privacy"' not in (await coach.get("/admin")).text
    assert await setting(app, area.org) == (None, False)


async def test_the_interview_page_says_when_a_recording_was_removed(
    app, area: Area, browser_for, client_for
) -> None:
    _member, interview, answer_id = await practised(app, client_for, area.org)
    await area.browser.submit(
        PATH, PATH, {"recording_retention_days": "1", "retention_includes_transcripts": "true"}
    )
    clock.advance(timedelta(days=1, minutes=1))
    removed = await retention.sweep(
        app.state.sessionmaker, app.state.storage, org_ids=[area.org.id]
    )
    assert removed == {area.org.id: 1}
    _admin, browser = await logged_in(app, browser_for, area.org)
    page = await browser.get(f"/admin/users/abc123def/interviews/{interview}")
    assert page.status_code == 200
    assert 'data-testid="recording-removed">Recording removed after 1 day (' in page.text
    assert 'data-testid="transcript-removed">Transcript removed after 1 day.' in page.text
    assert f"/admin/recordings/{answer_id}" not in page.text
    assert "I led a small team." in page.text
    assert_error_page(
        await browser.get(f"/admin/recordings/{answer_id}"), 404, "recording_not_found"
    )
    log = await browser.get("/admin/audit", params={"event": "recordings.expired"})
    row = log.text.split("<tbody>", 1)[1]
    assert "<td>recordings.expired</td>" in row and "count=1" in row
