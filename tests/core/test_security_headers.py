"""Which security headers each kind of response carries (core/headers.py)."""

from __future__ import annotations

from tests.conftest import Partner

PAGE_ONLY = ("content-security-policy", "x-frame-options", "referrer-policy")


async def test_api_answers_say_no_store_and_nosniff_and_nothing_for_pages(partner: Partner) -> None:
    for response in (
        await partner.api.get("/api/auth/check"),
        await partner.api.post("/api/users/abc123def", json={"first_name": "Jane"}),  # a 422
        await partner.bare.get("/api/users"),  # a 401
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-request-id"]
        assert not any(name in response.headers for name in PAGE_ONLY)


async def test_pages_are_never_cached_and_carry_the_page_policies(partner: Partner) -> None:
    for path in ("/login/admin", "/api/docs", "/members/dashboard"):
        response = await partner.bare.get(path, headers={"Accept": "text/html"})
        assert response.headers["cache-control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY", path


async def test_static_files_may_be_cached(partner: Partner) -> None:
    response = await partner.bare.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in response.headers.get("cache-control", "")
