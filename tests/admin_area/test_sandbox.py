"""Reset sandbox data: sandbox users and their data go, production stays, with confirmation."""

from __future__ import annotations

from greenroom.admins.models import AdminRole
from tests.admin_area.conftest import logged_in
from tests.admin_area.test_users import add_users
from tests.factories import make_org


async def test_reset_deletes_only_this_orgs_sandbox_users(app, area) -> None:
    await add_users(app, area.org, 3, prefix="s", environment="sandbox")
    await add_users(app, area.org, 2, prefix="p")
    await add_users(app, area.org, 1, prefix="anon", environment="sandbox", anonymous=True)
    other = await make_org(app)
    await add_users(app, other, 2, prefix="o", environment="sandbox")
    page = await area.browser.get("/admin/sandbox")
    assert "4 sandbox users" in page.text
    unconfirmed = await area.browser.submit("/admin/sandbox", "/admin/sandbox/reset")
    assert unconfirmed.status_code == 422
    done = await area.browser.submit("/admin/sandbox", "/admin/sandbox/reset", {"confirm": "yes"})
    assert "4 users deleted" in (await area.browser.follow(done)).text
    assert ">2 users<" in (await area.browser.get("/admin/users")).text  # production kept
    async with app.state.sessionmaker() as session:
        from sqlalchemy import func, select

        from greenroom.users.models import User

        left = await session.scalar(
            select(func.count()).select_from(User).where(User.org_id == other.id)
        )
    assert left == 2


async def test_viewer_cannot_reset(app, browser_for, area) -> None:
    await add_users(app, area.org, 1, prefix="s", environment="sandbox")
    _viewer, browser = await logged_in(app, browser_for, area.org, AdminRole.VIEWER)
    page = await browser.get("/admin/sandbox")
    assert "Reset sandbox data" not in page.text
    response = await browser.submit("/admin/sandbox", "/admin/sandbox/reset", {"confirm": "yes"})
    assert response.status_code == 403


async def test_reset_deletes_the_recordings_of_expired_anonymous_users_too(app, area) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from greenroom.core import clock
    from greenroom.practice.storage import user_folder
    from greenroom.users.models import User
    from tests.practice.helpers import WEBM

    await add_users(app, area.org, 1, prefix="anon", environment="sandbox", anonymous=True)
    async with app.state.sessionmaker() as session, session.begin():
        # Past its 24 hours, and not purged yet.
        expired = clock.now() - timedelta(hours=1)
        await session.execute(
            update(User).where(User.org_id == area.org.id).values(expires_at=expired)
        )
    storage = app.state.storage
    recording = storage.path(
        storage.save(user_folder(area.org.id, "sandbox", "anon00000"), "webm", WEBM)
    )
    done = await area.browser.submit("/admin/sandbox", "/admin/sandbox/reset", {"confirm": "yes"})
    assert "1 user deleted" in (await area.browser.follow(done)).text
    assert not recording.exists()


async def test_reset_deletes_in_small_transactions_until_none_is_left(
    app, area, monkeypatch
) -> None:
    from greenroom.admin_area import service

    monkeypatch.setattr(service, "RESET_BATCH", 2)  # three transactions for five users
    await add_users(app, area.org, 5, prefix="s", environment="sandbox")
    done = await area.browser.submit("/admin/sandbox", "/admin/sandbox/reset", {"confirm": "yes"})
    assert "5 users deleted" in (await area.browser.follow(done)).text
    assert "0 sandbox users" in (await area.browser.get("/admin/sandbox")).text
