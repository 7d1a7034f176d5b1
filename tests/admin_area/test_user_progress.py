"""Progress in the admin's Users pages: table column, per-module chart, recent practice, export."""

from __future__ import annotations

import csv
import io

from greenroom.content.loader import get_pack
from greenroom.progress import service as progress
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from tests.practice.helpers import make_user


async def complete_lessons(app, org, user, count: int) -> None:
    pack = get_pack(app.state.settings.content_dir)
    tenant = Tenant(OrgSnapshot.of(org), Environment(user.environment))
    first_module = pack.modules[0]
    async with app.state.sessionmaker() as session, session.begin():
        merged = await session.merge(user)
        for lesson in first_module.lessons[:count]:
            await progress.lesson_completed(session, tenant, merged, pack, lesson.key)


async def test_table_user_page_and_export_show_progress(app, area) -> None:
    pack = get_pack(app.state.settings.content_dir)
    user = await make_user(app, area.org, partner_id="abc123def")
    await make_user(app, area.org, partner_id="idle1")
    await complete_lessons(app, area.org, user, 2)
    percent = round(100 * 2 / pack.lessons_total)
    module = pack.modules[0]
    module_percent = round(100 * 2 / len(module.lessons))

    table = (await area.browser.get("/admin/users")).text
    assert f"{percent}%" in table and f"2/{pack.lessons_total} lessons" in table

    page = await area.browser.get("/admin/users/abc123def")
    assert f'data-testid="percent">{percent}%<' in page.text
    assert "<svg" in page.text and f">{module_percent}%<" in page.text
    assert module.title in page.text and "No practice interviews yet." in page.text

    rows = {
        r["partner_id"]: r
        for r in csv.DictReader(
            io.StringIO((await area.browser.get("/admin/users/export.csv")).text)
        )
    }
    assert rows["abc123def"]["percent_complete"] == str(percent)
    assert rows["abc123def"]["lessons_completed"] == "2"
    assert rows["abc123def"]["last_activity_at"]
    assert rows["idle1"]["percent_complete"] == "0" and rows["idle1"]["last_activity_at"] == ""
