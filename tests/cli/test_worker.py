"""`greenroom worker`: the delivery worker as a process of its own."""

from __future__ import annotations

from tests.factories import make_org
from tests.webhooks.conftest import publish, receiver, user_data

__all__ = ["receiver"]


async def test_cli_worker_once_sends_what_is_due(app, cli, api_for, receiver) -> None:
    org = await make_org(app)
    client = await api_for(org)
    created = (await client.post("/api/webhooks", json={"url": receiver.url("/cli")})).json()
    receiver.secrets["/cli"] = created["webhook"]["secret"]
    await publish(app, org, "user.created", user_data())
    result = await cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "attempted" in result.output
    [got] = receiver.at("/cli")
    assert got.verify_error is None
