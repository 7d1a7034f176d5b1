from __future__ import annotations

import uuid
from typing import NamedTuple

from greenroom.keys.scopes import Scope
from greenroom.tenancy.context import Tenant


class Principal(NamedTuple):
    """Who is calling: an org key (and, with a bearer token, an admin of that org).

    Made on every authenticated request: a NamedTuple is built in a third of the time of a
    frozen dataclass of these ten fields (0.5 against 1.2 us), and is as immutable."""

    tenant: Tenant
    key_id: uuid.UUID
    key_name: str
    key_last4: str
    # Effective: the key's scopes, intersected with the admin's role when a bearer token came.
    scopes: frozenset[Scope]
    # The key's own scopes (equal to `scopes` without a bearer token).
    key_scopes: frozenset[Scope] | None = None
    admin_id: uuid.UUID | None = None
    admin_email: str | None = None
    admin_role: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names who did something."""
        return f"admin:{self.admin_email}" if self.admin_email else f"key:{self.key_id}"
