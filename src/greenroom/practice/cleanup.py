"""Deletes a user's recordings when the user is deleted (the `user.deleted` event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import events
from greenroom.practice.storage import Storage, user_folder
from greenroom.tenancy.context import Tenant

_registered: dict[int, events.Subscriber] = {}


def subscribe_recordings_cleanup(storage: Storage) -> None:
    async def on_event(
        _session: AsyncSession, tenant: Tenant, event_type: str, data: Mapping[str, Any]
    ) -> None:
        if event_type != "user.deleted":
            return
        partner_id = (data.get("user") or {}).get("partner_id")
        if isinstance(partner_id, str):
            storage.delete_folder(user_folder(tenant.org_id, tenant.environment.value, partner_id))

    if id(storage) not in _registered:
        _registered[id(storage)] = on_event
        events.subscribe(on_event)
