"""The API reference is served from our own host, with no CDN."""

from __future__ import annotations

import re

from tests.factories import make_org


async def test_docs_page_uses_only_bundled_assets(app, client_for) -> None:
    org = await make_org(app)
    api = client_for(org.slug)
    page = await api.get("/api/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "<script>" not in page.text  # no inline script: the CSP stays strict on scripts
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for url in urls:
        asset = await api.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
    spec = await api.get("/api/openapi.json")
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.1")
