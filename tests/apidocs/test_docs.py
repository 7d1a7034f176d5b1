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


def _has_examples(node, components, seen=()) -> bool:
    if isinstance(node, dict):
        if "example" in node or "examples" in node:
            return True
        ref = node.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            return name not in seen and _has_examples(components[name], components, (*seen, name))
        return any(_has_examples(v, components, seen) for v in node.values())
    if isinstance(node, list):
        return any(_has_examples(v, components, seen) for v in node)
    return False


async def test_every_api_operation_is_described_with_examples(app, client_for) -> None:
    org = await make_org(app)
    spec = (await client_for(org.slug).get("/api/openapi.json")).json()
    components = spec["components"]["schemas"]
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            if len(operation.get("description", "")) < 60:
                missing.append(f"{name}: description")
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if (
                    status.startswith("2")
                    and "$ref" in schema
                    and not _has_examples(schema, components)
                ):
                    missing.append(f"{name}: {status} example")
    assert not missing, missing
    text = str(spec)
    assert "abc123def" in text and "XYZ Corporation" in text
