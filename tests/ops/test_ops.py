from __future__ import annotations

from greenroom.app import create_app
from greenroom.core.settings import Settings


async def test_healthz_and_readyz_answer_on_any_host(client_for) -> None:
    for host in ("127.0.0.1:8000", "greenroom.localhost", "whatever.example"):
        client = client_for(host=host)
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path, client_for) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", data_dir=tmp_path
    )
    app = create_app(settings, configure_logs=False)
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        response = await client.get("/readyz")
    await app.state.database.dispose()
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "127.0.0.1" not in response.text


async def test_metrics_counts_requests(client_for) -> None:
    client = client_for(host="127.0.0.1")
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'greenroom_http_requests_total{method="GET",status="200"}' in text
