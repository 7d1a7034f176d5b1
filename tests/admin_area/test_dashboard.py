"""The dashboard (issue 18, item 1): the landing page's figures from seeded activity, the
period, the numbers as tables and as CSV, the links to the filtered user lists."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx

from greenroom.admin_area.students import week_of
from greenroom.core import clock
from tests.admin_area.conftest import Area
from tests.practice.helpers import Member, make_user, signed_in


async def member_of(app, client_for, org, user) -> Member:
    client = client_for(org.slug)
    await signed_in(app, client, org, user)
    return Member(client)


async def seed(app, client_for, area: Area) -> None:
    """Six students: one added 40 days ago who signed in then and never since; then A (every
    lesson, one interview completed), B (a lesson, an interview started), C (signed in only),
    D and E (never signed in)."""
    old = await make_user(app, area.org, partner_id="f-old")
    await member_of(app, client_for, area.org, old)
    clock.advance(timedelta(days=40))
    a, b, c = [await make_user(app, area.org, partner_id=p) for p in ("a", "b", "c")]
    for partner_id in ("d", "e"):
        await make_user(app, area.org, partner_id=partner_id)
    member = await member_of(app, client_for, area.org, a)
    for lesson in (
        "first-steps/why-practise", "first-steps/research", "first-steps/dress",
        "stories/star", "stories/results",
    ):  # fmt: skip
        module, slug = lesson.split("/")
        await member.complete_lesson(f"/members/modules/{module}/lessons/{slug}")
    interview = await member.start("basics")
    assert (await member.answer_text(interview, 1, "I lead a team.")).status_code == 303
    assert (await member.answer_text(interview, 2, "We shipped it.")).status_code == 303
    member = await member_of(app, client_for, area.org, b)
    await member.complete_lesson("/members/modules/first-steps/lessons/why-practise")
    interview = await member.start("teamwork")
    await member.answer_text(interview, 1, "A disagreement, resolved.")
    await member_of(app, client_for, area.org, c)
    # Another org's and the sandbox's students count nowhere here.
    await make_user(app, area.org, partner_id="sbx", environment="sandbox")
    await area.browser.log_in(area.admin.email)  # the session went idle in the 40 days


def table(page: httpx.Response, name: str) -> list[list[str]]:
    """The rows (cells as text) of the table `data-testid="{name}-table"`."""
    html = page.text.split(f'data-testid="{name}-table"', 1)[1].split("</table>", 1)[0]
    body = html.split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_dashboard_is_the_landing_page_with_the_cohorts_figures(
    app, area, client_for
) -> None:
    await seed(app, client_for, area)
    page = await area.browser.get("/admin")
    assert page.status_code == 200
    assert table(page, "funnel") == [
        ["Added", "5"],
        ["Signed in", "3"],
        ["Completed a lesson", "2"],
        ["Started an interview", "2"],
        ["Completed an interview", "1"],
    ]
    assert table(page, "progress") == [
        ["0%", "3"], ["1-24%", "1"], ["25-49%", "0"], ["50-74%", "0"], ["75-99%", "0"],
        ["100%", "1"],
    ]  # fmt: skip
    sets = table(page, "sets")
    assert sorted(sets) == [["Interview basics", "1", "1"], ["Teamwork", "1", "1"]]
    weekly = table(page, "weekly")
    assert weekly[-1] == [week_of(clock.now()).isoformat(), "3"]
    assert all(n == "0" for _week, n in weekly[:-1])
    # Attention: of all students (the old one too), each a link to the filtered list.
    assert (
        'href="/admin/users?activity=never" data-testid="never-signed-in"><strong>2</strong>'
        in page.text
    )
    assert (
        'href="/admin/users?activity=inactive14" data-testid="inactive"><strong>1</strong>'
        in page.text
    )
    never = await area.browser.get("/admin/users?activity=never")
    assert ">2 users<" in never.text and "/admin/users/d" in never.text
    inactive = await area.browser.get("/admin/users?activity=inactive14")
    assert ">1 user<" in inactive.text and "/admin/users/f-old" in inactive.text
    # Every chart is an SVG kept from screen readers, which read the table instead.
    assert page.text.count('<svg class="chart') == 4
    assert page.text.count('aria-hidden="true" focusable="false"') >= 4


async def test_the_period_chooses_the_cohort_and_the_activity(app, area, client_for) -> None:
    await seed(app, client_for, area)
    everyone = await area.browser.get("/admin", params={"period": "all"})
    assert table(everyone, "funnel")[:2] == [["Added", "6"], ["Signed in", "4"]]
    weekly = {week: count for week, count in table(everyone, "weekly")}
    assert weekly[week_of(clock.now() - timedelta(days=40)).isoformat()] == "1"
    week = await area.browser.get("/admin", params={"period": "7"})
    assert len(table(week, "weekly")) in (2, 3)  # the weeks the last 7 days touch
    assert (await area.browser.get("/admin", params={"period": "365"})).status_code == 422


async def test_each_chart_downloads_as_the_same_numbers_in_csv(app, area, client_for) -> None:
    await seed(app, client_for, area)
    page = await area.browser.get("/admin", params={"period": "90"})
    for chart, name in (("funnel", "funnel"), ("progress", "progress"), ("weekly", "weekly")):
        assert f'href="/admin/dashboard.csv?chart={chart}&amp;period=90"' in page.text
        response = await area.browser.get(
            "/admin/dashboard.csv", params={"chart": chart, "period": "90"}
        )
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[1:] == table(page, name)
    excel = await area.browser.get(
        "/admin/dashboard.csv", params={"chart": "question-sets", "bom": "true"}
    )
    assert excel.content.startswith(b"\xef\xbb\xbf")
    attention = await area.browser.get("/admin/dashboard.csv", params={"chart": "attention"})
    assert list(csv.reader(io.StringIO(attention.text)))[1:] == [
        ["never signed in", "2"], ["inactive for 14 days or more", "1"],
    ]  # fmt: skip
    assert (await area.browser.get("/admin/dashboard.csv?chart=nope")).status_code == 404


async def test_the_sandbox_view_has_its_own_dashboard(app, area, client_for) -> None:
    await seed(app, client_for, area)
    await area.browser.submit("/admin", "/admin/view", {"view": "sandbox", "next": "/admin"})
    page = await area.browser.get("/admin", params={"period": "all"})
    assert table(page, "funnel")[0] == ["Added", "1"]
    assert table(page, "sets") == [["Nothing in this period."]]
