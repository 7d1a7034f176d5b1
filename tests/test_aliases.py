"""Paths that Big Interview's own documents print (issue 16, item 8): `/api/users/{id}/track`,
`/admin/login` and the deep link `/members/curriculum?chapter=N`."""

from __future__ import annotations

import pytest

from greenroom.content.loader import get_pack
from tests.practice.helpers import make_user, signed_in


async def test_track_answers_like_tracks(app, partner) -> None:
    user = await make_user(app, partner.org, partner_id="abc123def")
    singular = await partner.api.get(f"/api/users/{user.partner_id}/track")
    plural = await partner.api.get(f"/api/users/{user.partner_id}/tracks")
    assert singular.status_code == 200, singular.text
    assert singular.json() == plural.json() and singular.json()["tracks"]
    assert (await partner.api.get("/api/users/nobody/track")).status_code == 404
    assert (await partner.bare.get(f"/api/users/{user.partner_id}/track")).status_code == 401


async def test_admin_login_leads_to_login_admin(partner) -> None:
    response = await partner.bare.get("/admin/login")
    assert response.status_code == 301 and response.headers["location"] == "/login/admin"
    page = await partner.bare.get(response.headers["location"])
    assert page.status_code == 200 and "password" in page.text.lower()


async def test_curriculum_chapter_opens_that_module_after_sign_in(app, partner, settings) -> None:
    pack = get_pack(settings.content_dir)
    user = await make_user(app, partner.org)
    browser = partner.bare
    landed = await signed_in(
        app, browser, partner.org, user, redirect_to="/members/curriculum?chapter=2"
    )
    assert landed.headers["location"] == "/members/curriculum?chapter=2"
    opened = await browser.get(landed.headers["location"])
    assert opened.status_code == 303 and opened.headers["location"] == pack.modules[1].link
    module = await browser.get(opened.headers["location"])
    assert module.status_code == 200 and pack.modules[1].title in module.text


@pytest.mark.parametrize("chapter", ["0", "99", "x", "", "\u0661"])
async def test_an_unknown_chapter_opens_the_dashboard(partner, chapter: str) -> None:
    response = await partner.bare.get("/members/curriculum", params={"chapter": chapter})
    assert response.status_code == 303 and response.headers["location"] == "/members/dashboard"
