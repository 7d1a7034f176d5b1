"""What every request and every query is scoped to: an org and one of its two environments.

The values live here, in core, so that plumbing (events, the direct statements) can take a
`Tenant` without depending on the tenancy feature, which resolves them from the request's host
(`tenancy.context`) and stores organizations (`tenancy.models`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, bindparam


class Environment(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"


class _OrgFields(Protocol):
    """What an org snapshot is taken from (an `Organization` row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def anonymous_users_enabled(self) -> bool: ...
    @property
    def sso_return_url(self) -> str | None: ...
    @property
    def sso_allowed_return_origins(self) -> Sequence[str] | None: ...
    @property
    def sso_token_ttl_seconds(self) -> int: ...
    @property
    def rate_limit_per_minute(self) -> int | None: ...
    @property
    def key_rate_limit_per_minute(self) -> int | None: ...
    @property
    def anonymous_daily_cap(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class OrgSnapshot:
    """An immutable copy of an org's settings, as requests use them (cached per process)."""

    id: uuid.UUID
    slug: str
    name: str
    anonymous_users_enabled: bool
    sso_return_url: str | None
    sso_allowed_return_origins: tuple[str, ...]
    sso_token_ttl_seconds: int
    rate_limit_per_minute: int | None
    key_rate_limit_per_minute: int | None
    anonymous_daily_cap: int | None
    # str(id), made once for the hot path (rate limit counters).
    id_text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_text", str(self.id))

    @classmethod
    def of(cls, org: _OrgFields) -> OrgSnapshot:
        return cls(
            id=org.id,
            slug=org.slug,
            name=org.name,
            anonymous_users_enabled=org.anonymous_users_enabled,
            sso_return_url=org.sso_return_url,
            sso_allowed_return_origins=tuple(org.sso_allowed_return_origins or ()),
            sso_token_ttl_seconds=org.sso_token_ttl_seconds,
            rate_limit_per_minute=org.rate_limit_per_minute,
            key_rate_limit_per_minute=org.key_rate_limit_per_minute,
            anonymous_daily_cap=org.anonymous_daily_cap,
        )


@dataclass(frozen=True, slots=True)
class Tenant:
    org: OrgSnapshot
    environment: Environment
    host: str = field(default="")

    @property
    def org_id(self) -> uuid.UUID:
        return self.org.id

    @property
    def is_sandbox(self) -> bool:
        return self.environment is Environment.SANDBOX


def of_tenant(model: Any, tenant: Tenant | None = None) -> ColumnElement[bool]:
    """The tenant filter, one definition for every table that belongs to an org environment
    (`org_id` and `environment` columns): `model`'s rows of `tenant`, or, without one, of the
    bound parameters `:org_id` and `:environment` (for statements built once, `core.direct`)."""
    if tenant is None:
        return and_(
            model.org_id == bindparam("org_id"), model.environment == bindparam("environment")
        )
    return of_org_environment(model, tenant.org_id, tenant.environment)


def of_org_environment(
    model: Any, org_id: uuid.UUID, environment: Environment | str
) -> ColumnElement[bool]:
    """`of_tenant` for code that holds the org's id and an environment (the admin area's
    environment in view) rather than a `Tenant`."""
    return and_(model.org_id == org_id, model.environment == str(environment))
