from __future__ import annotations

import httpx

from tests.factories import ADMIN_PASSWORD

CHECK = "/api/auth/check"


async def get_tokens(
    api: httpx.AsyncClient, key: str, email: str, password: str = ADMIN_PASSWORD
) -> dict[str, object]:
    response = await api.post(
        "/api/auth/token", headers={"X-API-Key": key}, json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
