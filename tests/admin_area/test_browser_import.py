"""The import page in a real Chromium keeps polling through errors (with backoff) and says so,
instead of showing "0 of N" forever (issue 14, "Long work yields")."""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.admin_area import imports
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from tests.admin_area.conftest import log_in, open_page
from tests.browser import screenshot_on_failure
from tests.factories import make_admin, make_org

pytestmark = pytest.mark.browser


async def test_the_progress_page_rides_out_failed_polls_and_shows_the_result(
    app, live_server, chromium
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    rows = imports.parse(
        b"partner_id,email,first_name,last_name\n"
        b"abc123def,jane.doe@xyz.example.com,Jane,Doe\nxyz789,sam@xyz.example.com,Sam,Smith\n"
    ).rows
    # Queued and not started yet (the live server runs no jobs loop): the page shows progress.
    async with app.state.sessionmaker() as session, session.begin():
        job = await imports.start(
            session, tenant, "production", rows=rows, created_by=admin.email, filename="u.csv"
        )
    origin = live_server.origin(org.slug)
    polls: list[str] = []

    async def flaky_server(route: Any) -> None:
        polls.append(route.request.url)
        if len(polls) == 1:
            await route.fulfill(status=500, body="Internal Server Error")
        elif len(polls) == 2:
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    context, page = await open_page(chromium)
    async with screenshot_on_failure(page, "admin-import-polling"):
        await log_in(page, origin, admin.email)
        await page.get_by_role("heading", name="Dashboard").wait_for()
        await page.route("**/admin/imports/*/status", flaky_server)
        await page.goto(f"{origin}/admin/imports/{job.id}")
        problem = page.get_by_test_id("import-problem")
        await page.get_by_text("The server answered 500").wait_for()
        assert "checking again in 1 s" in await problem.inner_text()
        await page.get_by_text("could not be reached").wait_for()
        assert "checking again in 2 s" in await problem.inner_text()
        # Polls succeed again: the notice goes, the bar shows the import as it is.
        await problem.wait_for(state="hidden")
        assert "0 of 2 rows" in await page.get_by_test_id("import-progress").inner_text()
        # The import runs (a runner picks it up); the page notices and shows the result.
        assert job.job_id is not None
        assert await app.state.jobs.run_now(job.job_id)
        result = page.get_by_test_id("import-result")
        await result.wait_for()
        assert "done: 2 of 2 rows processed" in await result.inner_text()
        assert len(polls) >= 4
    await context.close()
