"""Greenroom's Python SDK for the Partner API.

    from greenroom.client import Greenroom

    gr = Greenroom(org="xyz", api_key="935d85189822bf96c28c4fa79d3d8f31")
    gr.users.upsert("abc123def", first_name="Ada", last_name="Lovelace", email="ada@xyz.example.com")
    url = gr.sso.create("abc123def")["url"]   # send the user's browser here
    print(gr.progress.get("abc123def")["progress"]["percent_complete"])

`AsyncGreenroom` offers the same calls to be awaited. Errors are typed (`greenroom.client.errors`):
one class per API error code. Webhook receivers verify deliveries with `verify`.
"""

from greenroom.client import errors
from greenroom.client.aio import AsyncGreenroom
from greenroom.client.sync import Greenroom
from greenroom.client.webhooks import WebhookVerificationError, verify

__all__ = ["AsyncGreenroom", "Greenroom", "WebhookVerificationError", "errors", "verify"]
