"""Users pages: search, filter, pagination, one user's page, the streamed CSV export."""

from __future__ import annotations

import csv
import io

from greenroom.admins.models import AdminRole
from greenroom.core import events
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.users.models import User
from greenroom.users.service import public_user
from tests.admin_area.conftest import assert_error_page, logged_in
from tests.factories import make_org


async def add_users(
    app,
    org,
    count: int,
    *,
    environment: str = "production",
    prefix: str = "u",
    anonymous: bool = False,
) -> None:
    """`count` users as rows, each with the `user.created` event the users service publishes
    (which the admin area's read model of students follows)."""
    tenant = Tenant(OrgSnapshot.of(org), Environment(environment))
    async with app.state.sessionmaker() as session, session.begin():
        made = [
            User(
                org_id=org.id,
                environment=environment,
                partner_id=f"{prefix}{i:05d}",
                email=None if anonymous else f"{prefix}{i:05d}@xyz.example.com",
                first_name="Ada" if not anonymous else None,
                last_name=f"Number{i}",
                anonymous=anonymous,
            )
            for i in range(count)
        ]
        session.add_all(made)
        await session.flush()
        for user in made:
            await events.publish(
                session, tenant, "user.created", {"user": public_user(user)}, user_id=user.id
            )


async def test_search_by_partner_id_or_email_and_filter_anonymous(app, area) -> None:
    await add_users(app, area.org, 3, prefix="abc")
    await add_users(app, area.org, 2, prefix="anon", anonymous=True)
    by_id = await area.browser.get("/admin/users", params={"q": "abc00001"})
    assert "abc00001" in by_id.text and "abc00002" not in by_id.text
    by_email = await area.browser.get("/admin/users", params={"q": "ABC00002@xyz"})
    assert "abc00002" in by_email.text and "abc00001" not in by_email.text
    anonymous = await area.browser.get("/admin/users", params={"anonymous": "yes"})
    assert "anon00000" in anonymous.text and "abc00000" not in anonymous.text
    assert ">2 users<" in anonymous.text
    named = await area.browser.get("/admin/users", params={"anonymous": "no"})
    assert ">3 users<" in named.text


async def test_table_is_paginated(app, area) -> None:
    await add_users(app, area.org, 60)
    first = await area.browser.get("/admin/users")
    assert "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = await area.browser.get("/admin/users", params={"page": 2})
    assert "Page 2 of 2" in second.text
    assert second.text.count('href="/admin/users/u') == 10


async def test_sandbox_view_shows_only_sandbox_users(app, area) -> None:
    await add_users(app, area.org, 1, prefix="prod")
    await add_users(app, area.org, 1, prefix="sand", environment="sandbox")
    assert "prod00000" in (await area.browser.get("/admin/users")).text
    switched = await area.browser.submit(
        "/admin/users", "/admin/view", {"view": "sandbox", "next": "/admin/users"}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/admin/users"
    text = (await area.browser.get("/admin/users")).text
    assert "sand00000" in text and "prod00000" not in text and "Sandbox data" in text
    # The user page follows the view too.
    assert_error_page(await area.browser.get("/admin/users/prod00000"), 404, "user_not_found")
    assert (await area.browser.get("/admin/users/sand00000")).status_code == 200


async def test_view_switch_never_redirects_off_site(area) -> None:
    response = await area.browser.submit(
        "/admin/users", "/admin/view", {"view": "sandbox", "next": "//evil.example.com/admin/"}
    )
    assert response.headers["location"] == "/admin"


async def test_user_page_and_other_orgs_users_are_404(app, area) -> None:
    await add_users(app, area.org, 1, prefix="abc123def")
    other = await make_org(app)
    await add_users(app, other, 1, prefix="theirs")
    page = await area.browser.get("/admin/users/abc123def00000")
    assert page.status_code == 200 and "abc123def00000@xyz.example.com" in page.text
    assert_error_page(await area.browser.get("/admin/users/theirs00000"), 404, "user_not_found")


async def test_export_streams_every_user_of_the_view_in_batches(app, area) -> None:
    await add_users(app, area.org, 2345, prefix="e")
    await add_users(app, area.org, 3, prefix="sbx", environment="sandbox")
    response = await area.browser.get("/admin/users/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2345
    assert len({r["partner_id"] for r in rows}) == 2345
    assert not any(r["partner_id"].startswith("sbx") for r in rows)
    assert rows[0]["email"].endswith("@xyz.example.com") and rows[0]["anonymous"] == "no"


async def test_export_neutralises_spreadsheet_formulas(app, area) -> None:
    tenant = Tenant(OrgSnapshot.of(area.org), Environment.PRODUCTION)
    async with app.state.sessionmaker() as session, session.begin():
        user = User(
            org_id=area.org.id,
            environment="production",
            partner_id="f1",
            first_name='=HYPERLINK("http://x")',
            last_name="-1",
        )
        session.add(user)
        await session.flush()
        await events.publish(
            session, tenant, "user.created", {"user": public_user(user)}, user_id=user.id
        )
    rows = list(
        csv.DictReader(io.StringIO((await area.browser.get("/admin/users/export.csv")).text))
    )
    assert rows[0]["first_name"].startswith("'=") and rows[0]["last_name"] == "'-1"


async def test_viewer_may_search_and_export(app, browser_for, area) -> None:
    await add_users(app, area.org, 1, prefix="v")
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    assert "v00000" in (await browser.get("/admin/users")).text
    assert "v00000" in (await browser.get("/admin/users/export.csv")).text
