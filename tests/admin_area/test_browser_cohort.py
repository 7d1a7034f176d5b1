"""Issue 18 in a real Chromium against a live server: the dashboard with seeded data, searching
with accents, a coach's comment seen by the student, reloading after creating a key, HTML
error pages, the sample CSV and the export for Excel, hiding a question set."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.async_api import expect

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import log_in, open_page
from tests.admin_area.test_coaching import audit_events
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_org
from tests.practice.helpers import Member, make_token, make_user, signed_in

pytestmark = pytest.mark.browser


async def practise(app, client_for, org, user, *, lessons: int = 0, interview: bool = False):
    """The student signs in (and completes lessons, answers an interview) through the app."""
    client = client_for(org.slug)
    await signed_in(app, client, org, user)
    member = Member(client)
    for link in ("first-steps/lessons/why-practise", "first-steps/lessons/research")[:lessons]:
        await member.complete_lesson(f"/members/modules/{link}")
    if interview:
        started = await member.start("basics")
        await member.answer_text(started, 1, "I led a team of four.")
        await member.upload(started, 2)
        return member, started
    return member, None


async def test_dashboard_with_seeded_data(app, live_server, chromium, client_for) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    busy = await make_user(app, org, partner_id="busy")
    await practise(app, client_for, org, busy, lessons=2, interview=True)
    await practise(app, client_for, org, await make_user(app, org, partner_id="signed"))
    for partner_id in ("never1", "never2"):
        await make_user(app, org, partner_id=partner_id)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-dashboard"):
        await log_in(page, origin, admin.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        funnel = page.get_by_test_id("funnel-table")
        await expect(funnel.locator("tbody tr")).to_have_count(5)
        rows = await funnel.locator("tbody tr").all_inner_texts()
        assert [r.split("\t")[-1] for r in rows] == ["4", "2", "1", "1", "1"]
        weekly = await page.get_by_test_id("weekly-table").locator("tbody tr").last.inner_text()
        assert weekly.split("\t")[-1] == "2"
        sets = await page.get_by_test_id("sets-table").locator("tbody tr").all_inner_texts()
        assert sets == ["Interview basics\t1\t1"]
        # Each chart is drawn, and its numbers are a table a screen reader reads.
        await expect(page.locator("svg.chart")).to_have_count(4)
        await expect(page.get_by_role("table", name="Students at each step")).to_be_visible()
        # The period.
        await page.get_by_label("Period").select_option("7")
        await page.get_by_role("button", name="Show", exact=True).click()
        await page.wait_for_url(f"{origin}/admin?period=7")
        # The CSV of a chart holds the table's numbers.
        async with page.expect_download() as info:
            await page.locator("a[href='/admin/dashboard.csv?chart=funnel&period=7']").click()
        path = await (await info.value).path()
        rows_csv = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
        assert rows_csv[0] == ["step", "students"] and rows_csv[1] == ["Added", "4"]
        # "Never signed in" leads to the list of exactly them.
        await page.get_by_test_id("never-signed-in").click()
        await expect(page.get_by_test_id("total")).to_have_text("2 users")
        await expect(page.get_by_role("link", name="never1")).to_be_visible()
        await expect(page.get_by_label("Last activity")).to_have_value("never")
    await context.close()


async def test_search_with_accents_sort_and_page_jump(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    await make_user(app, org, partner_id="mg", first_name="María", last_name="García")
    await make_user(app, org, partner_id="ps", first_name="Priya", last_name="Shah")
    for i in range(55):
        await make_user(app, org, partner_id=f"z{i:02d}", first_name="Zoe", last_name=f"Z{i:02d}")
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-search"):
        await log_in(page, origin, admin.email)
        await (
            page.get_by_role("navigation", name="Admin sections")
            .get_by_role("link", name="Users")
            .click()
        )
        await page.get_by_label("Name, email or partner_id").fill("garcia")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_test_id("total")).to_have_text("1 user")
        await expect(page.locator("[data-testid=users] tbody tr")).to_contain_text("María García")
        await page.get_by_label("Name, email or partner_id").fill("SHAH")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_role("link", name="ps")).to_be_visible()
        # Sorted by name, 57 users make two pages; jump to the second.
        await page.get_by_label("Name, email or partner_id").fill("")
        await page.get_by_label("Sort by").select_option("name")
        await page.get_by_role("button", name="Search").click()
        first_rows = page.locator("[data-testid=users] tbody tr")
        await expect(first_rows.first).to_contain_text("García")
        await page.get_by_label("Go to page (1 to 2)").fill("2")
        await page.get_by_role("button", name="Go").click()
        await expect(page.get_by_text("Page 2 of 2")).to_be_visible()
        await expect(first_rows).to_have_count(7)
        await expect(first_rows.last).to_contain_text("Z54")
    await context.close()


async def test_a_coachs_comment_is_seen_by_the_student(
    app, live_server, chromium, client_for
) -> None:
    org = await make_org(app)
    coach = await make_admin(app, org, role=AdminRole.COACH)
    student = await make_user(app, org, partner_id="abc123def", first_name="Jane")
    _member, interview = await practise(app, client_for, org, student, interview=True)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-coach"):
        await log_in(page, origin, coach.email)
        await page.goto(f"{origin}/admin/users/abc123def")
        await page.get_by_role("link", name="Interview basics").click()
        await expect(page.get_by_text("I led a team of four.")).to_be_visible()
        recording = page.locator("[data-testid=recording]")
        await expect(recording).to_have_count(1)
        # Playing it fetches the file from the admin area, and the audit log has it.
        src = await recording.get_attribute("src")
        async with page.expect_response(lambda r: r.url.endswith(str(src))) as played:
            await recording.evaluate("el => { el.preload = 'auto'; el.load(); }")
        assert (await played.value).status in (200, 206)
        answer = page.locator("#answer-2")
        await answer.get_by_label("Comment for the student on this answer").fill(
            "Lovely pace. Say the result first."
        )
        await answer.get_by_role("button", name="Add comment").click()
        await expect(page.get_by_text("Comment saved")).to_be_visible()
        await expect(page.locator("#answer-2 [data-testid=comment]")).to_contain_text("Lovely pace")
        # A coach has no way into the settings.
        nav = page.get_by_role("navigation", name="Admin sections")
        await expect(nav.get_by_role("link", name="API Settings")).to_have_count(0)
    await context.close()

    student_context = await chromium.new_context()
    student_page = await student_context.new_page()
    async with screenshot_on_failure(student_page, "member-sees-comment"):
        token = await make_token(app, org, student)
        await student_page.goto(
            f"{origin}/sso/login?token={token}&redirect_to=/members/interviews/{interview}"
        )
        comment = student_page.get_by_test_id("comment")
        await expect(comment).to_contain_text("Lovely pace. Say the result first.")
        await expect(student_page.get_by_text("From your coach")).to_be_visible()
    await student_context.close()
    # The playback is audited (who, which user, which answer), the student's own is not.
    admin = await make_admin(app, org)
    context, page = await open_page(chromium)
    await log_in(page, origin, admin.email)
    await page.goto(f"{origin}/admin/audit?event=recording.played")
    row = page.locator("[data-testid=audit] tbody tr")
    events = await audit_events(app, org, "recording.played")
    assert len(events) == 1, [(e.created_at, e.actor, e.details) for e in events]
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(f"admin:{coach.email}")
    await expect(row).to_contain_text("partner_id=abc123def")
    await context.close()


async def test_reload_after_creating_a_key_and_error_pages(app, live_server, chromium) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-reload"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/api-settings")
        await page.get_by_label("Name", exact=True).fill("Portal")
        await page.get_by_role("button", name="Create key").click()
        key = (await page.get_by_test_id("new-key-value").inner_text()).strip()
        assert page.url == f"{origin}/admin/api-settings"
        await page.reload()
        await expect(page.get_by_test_id("new-key")).to_have_count(0)
        assert key not in await page.content()
        await expect(page.locator("[data-testid=keys] tbody tr")).to_have_count(1)
        # Deleting asks first, then says what happened.
        row = page.locator(f"tr[data-last4='{key[-4:]}']")
        await row.get_by_text("Delete", exact=True).click()
        await row.get_by_role("button", name='Delete key "Portal"').click()
        await expect(page.get_by_test_id("notice")).to_contain_text("is deleted")
        # Errors are pages, never problem+json.
        response = await page.goto(f"{origin}/admin/users/nobody")
        assert response is not None and response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        await expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
        await page.get_by_role("link", name="Back to the XYZ Corporation admin area").click()
        await page.get_by_role("heading", name="Dashboard").wait_for()
        response = await page.goto(f"{origin}/members/dashboard")
        assert response is not None and response.status == 401
        await expect(page.get_by_role("heading", name="Please sign in")).to_be_visible()
        # The org's root takes a signed-in admin to the dashboard; others get a page of links.
        await page.goto(f"{origin}/")
        await page.get_by_role("heading", name="Dashboard").wait_for()
        stranger_context, stranger = await open_page(chromium)
        await stranger.goto(f"{origin}/")
        await stranger.get_by_role("link", name="Admin log-in").click()
        await stranger.get_by_role("heading", name="Admin log-in").wait_for()
        await stranger_context.close()
    await context.close()


async def test_sample_csv_import_reports_unchanged_and_export_for_excel(
    app, live_server, chromium
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-sample"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/imports")
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Download a sample CSV").click()
        sample = Path(await (await info.value).path()).read_bytes()
        for expected in ("1 created", "1 failed"):
            await page.goto(f"{origin}/admin/imports")
            await page.get_by_label("CSV file").set_input_files(
                files=[{"name": "sample.csv", "mimeType": "text/csv", "buffer": sample}]
            )
            await page.get_by_role("button", name="Import into production").click()
            await expect(page.get_by_test_id("import-result")).to_contain_text(expected)
        # The second time, the first row changes nothing: unchanged, not updated.
        await expect(page.get_by_test_id("import-result")).to_contain_text(
            "0 created, 0 updated, 1 unchanged, 1 failed"
        )
        await page.goto(f"{origin}/admin/users")
        async with page.expect_download() as info:
            await page.get_by_role("link", name="CSV for Excel").click()
        exported = Path(await (await info.value).path()).read_bytes()
        assert exported.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
        assert [(r["first_name"], r["last_name"]) for r in rows] == [("María", "García")]
    await context.close()


async def test_hiding_a_default_set_takes_it_from_the_students(
    app, live_server, chromium, client_for
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    origin = live_server.origin(org.slug)
    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-hide-set"):
        await log_in(page, origin, admin.email)
        await page.goto(f"{origin}/admin/question-sets")
        await page.get_by_role("button", name='Hide "Interview basics"').click()
        await expect(page.get_by_test_id("notice")).to_contain_text("hidden from your users")
        await expect(page.locator("tr[data-slug=basics] [data-testid=hidden]")).to_be_visible()
        await page.get_by_label("New category").fill("sales-roles")
        await page.get_by_role("button", name="Add category").click()
        await expect(page.get_by_test_id("own-categories")).to_contain_text("sales-roles")
    await context.close()
    member = client_for(org.slug)
    await signed_in(app, member, org, await make_user(app, org))
    offered = (await member.get("/members/dashboard")).text
    assert "/members/practice/basics" not in offered and "/members/practice/teamwork" in offered
