"""Greenroom's Python SDK for the Partner API (`pip install greenroom-client`; needs only httpx).

    from greenroom_client import Greenroom

    gr = Greenroom(org="xyz", api_key="935d85189822bf96c28c4fa79d3d8f31")
    user = gr.users.upsert("abc123def", first_name="Ada", last_name="Lovelace",
                           email="ada@xyz.example.com")
    link = gr.sso.create("abc123def")          # send the user's browser to link.url
    print(gr.progress.get("abc123def").percent_complete)

Answers are typed objects (`greenroom_client.models`) with the `request_id` of their response;
`AsyncGreenroom` offers the same calls to be awaited. Errors are typed
(`greenroom_client.errors`, one class per API error code) and carry `request_id` too. Webhook
receivers verify deliveries with `verify`.
"""

from greenroom_client import errors, models
from greenroom_client.aio import AsyncGreenroom
from greenroom_client.sync import Greenroom
from greenroom_client.webhooks import WebhookVerificationError, verify

__version__ = "0.2.0"
__all__ = [
    "AsyncGreenroom",
    "Greenroom",
    "WebhookVerificationError",
    "errors",
    "models",
    "verify",
]
