"""The SDK's answers carry their request id; a connection failure says what to do about it."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from greenroom_client import Greenroom, errors, models
from tests.factories import make_key, make_org


def _refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Name or service not known", request=request)


def test_a_localhost_name_that_does_not_resolve_says_to_pass_base_url() -> None:
    with Greenroom(
        org="xyz",
        api_key="935d85189822bf96c28c4fa79d3d8f31",
        scheme="http",
        max_retries=0,
        transport=httpx.MockTransport(_refusing),
    ) as gr:
        with pytest.raises(errors.ConnectionFailed) as caught:
            gr.users.get("abc123def")
    message = str(caught.value)
    assert "http://xyz.greenroom.localhost" in message
    assert "base_url=" in message and "127.0.0.1" in message and "Host header" in message


def test_other_hosts_get_the_plain_failure() -> None:
    with Greenroom(
        org="xyz",
        api_key="935d85189822bf96c28c4fa79d3d8f31",
        base_domain="greenroom.example.com",
        max_retries=0,
        transport=httpx.MockTransport(_refusing),
    ) as gr:
        with pytest.raises(errors.ConnectionFailed) as caught:
            gr.users.get("abc123def")
    assert "https://xyz.greenroom.example.com" in str(caught.value)
    assert "base_url" not in str(caught.value)


async def test_answers_and_errors_carry_the_request_id(app) -> None:
    from greenroom_client import AsyncGreenroom

    org = await make_org(app)
    async with AsyncGreenroom(
        org=org.slug,
        api_key=await make_key(app, org),
        base_url="http://127.0.0.1:8000",
        transport=httpx.ASGITransport(app=app),
    ) as gr:
        user = await gr.users.upsert(
            "abc123def", first_name="Jane", last_name="Doe", email="jane@xyz.example.com"
        )
        assert isinstance(user, models.User) and user.created
        assert isinstance(user.created_at, datetime) and user.created_at.tzinfo is not None
        assert user.request_id and len(user.request_id) == 32
        assert user.raw["partner_id"] == "abc123def"
        page = await gr.users.page(limit=1)
        assert page.request_id and page.request_id != user.request_id
        assert [u.partner_id for u in page.items] == ["abc123def"]
        deleted = await gr.users.delete("abc123def")
        assert isinstance(deleted, models.Empty) and deleted.request_id
        with pytest.raises(errors.UserNotFound) as caught:
            await gr.users.get("abc123def")
    assert caught.value.request_id and caught.value.request_id in str(caught.value)
    assert caught.value.body["error"]["type"] == "user_not_found"
