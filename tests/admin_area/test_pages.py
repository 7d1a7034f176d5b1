"""Forms and pages (issue 18, item 6): HTML error pages on every browser route (problem+json on
the API), the org's root, the favicon and the log-in page, one-time messages sealed at rest."""

from __future__ import annotations

from sqlalchemy import select

from greenroom.websessions.models import WebSession
from tests.admin_area.conftest import Area, assert_error_page
from tests.factories import make_org
from tests.helpers import group_of
from tests.practice.helpers import make_user, signed_in


async def test_browser_routes_answer_errors_with_pages(app, area: Area, client_for) -> None:
    # Admin area: an unknown user, a bad query, an unknown page under /admin.
    assert_error_page(await area.browser.get("/admin/users/nobody"), 404, "user_not_found")
    assert_error_page(await area.browser.get("/admin/users?page=0"), 422, "validation_error")
    assert_error_page(await area.browser.get("/admin/no-such-page"), 404, "not_found")
    unknown = await area.browser.get("/admin/users/nobody")
    assert "Back to the XYZ Corporation admin area" in unknown.text
    # The members' app and the org's other paths, signed in or not.
    client = client_for(area.org.slug)
    assert_error_page(await client.get("/members/dashboard"), 401, "not_signed_in")
    await signed_in(app, client, area.org, await make_user(app, area.org))
    assert_error_page(await client.get("/members/interviews/not-an-id"), 404, "interview_not_found")
    assert_error_page(await client.get("/nothing/here"), 404, "not_found")
    assert_error_page(await client.post("/members/dashboard", data={}), 403, "csrf_failed")
    # The API keeps problem+json, with or without a browser's Accept header.
    api = await client.get("/api/users/nobody", headers={"accept": "text/html"})
    assert api.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/nothing")).headers["content-type"] == "application/problem+json"


async def test_the_org_root_leads_somewhere_useful(app, client_for) -> None:
    org = await make_org(app, name="Northgate College")
    client = client_for(org.slug)
    home = await client.get("/")
    assert home.status_code == 200
    assert "Northgate College" in home.text and "/login/admin" in home.text
    assert 'href="/members/dashboard"' in home.text
    sandbox = await client_for(org.slug, "sandbox").get("/")
    assert sandbox.status_code == 200 and "sandbox" in sandbox.text
    # Signed in as a student: straight to the practice dashboard.
    await signed_in(app, client, org, await make_user(app, org))
    assert (await client.get("/")).headers["location"] == "/members/dashboard"


async def test_favicon_and_the_orgs_name_on_the_log_in_page(app, client_for) -> None:
    org = await make_org(app, name="Northgate College")
    client = client_for(org.slug)
    login = await client.get("/login/admin")
    assert 'data-testid="org-name">Northgate College<' in login.text
    assert "<title>Admin log-in · Northgate College · Greenroom</title>" in login.text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login.text
    favicon = await client.get("/favicon.ico")
    assert favicon.status_code == 301 and favicon.headers["location"] == "/static/favicon.svg"
    svg = await client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


async def test_the_created_key_waits_for_its_page_sealed_and_is_shown_once(app, area: Area) -> None:
    created = await area.browser.submit(
        "/admin/api-settings",
        "/admin/api-settings",
        {"name": "Sealed", "environment": "production", "scopes": ["users:read"]},
    )
    assert created.status_code == 303
    # Between the form and the page, the key is in the session row, but sealed: the database
    # never holds it in the clear.
    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                select(WebSession.data).where(WebSession.subject_id == area.admin.id)
            )
        ).scalars()
        stored = " ".join(str(data) for data in rows)
    assert "flash" in stored
    page = await area.browser.follow(created)
    key = group_of(r'data-testid="new-key-value">([0-9a-f]{32})<', page.text)
    assert key not in stored and key[-8:] not in stored
    # Gone from the session once shown.
    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                select(WebSession.data).where(WebSession.subject_id == area.admin.id)
            )
        ).scalars()
        assert all("flash" not in (data or {}) for data in rows)
