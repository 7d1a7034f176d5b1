"""Which org and environment a `Host` header names (docs/partner-api.md, Hosts and environments)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from greenroom.core.tenant import Environment as Environment  # re-exported for the features

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "sandbox", "static", "assets", "app", "mail", "smtp", "ftp",
        "status", "docs", "help", "support", "billing", "login", "auth", "sso", "cdn", "dev",
        "staging", "test", "internal", "root", "system", "greenroom", "webhooks", "metrics",
    }
)  # fmt: skip


class HostMatch(NamedTuple):
    slug: str
    environment: Environment


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name an org, or None when it can."""
    if not SLUG_RE.fullmatch(slug):
        return (
            "a slug is 1 to 63 characters of lowercase letters, digits and inner hyphens "
            "(it becomes the org's subdomain)"
        )
    if slug in RESERVED_SLUGS:
        return f"'{slug}' is reserved"
    return None


@lru_cache(maxsize=1024)
def parse_host(host: str | None, base_domain: str) -> HostMatch | None:
    """`{org}.{domain}` is production, `{org}.sandbox.{domain}` is sandbox; anything else None.

    Case is ignored, a port and one trailing dot are dropped. Every request asks this of its
    Host, so the answers are kept (a bounded cache: hosts a client makes up only push out
    others, never grow it); a HostMatch is immutable.
    """
    if not host or len(host) > 300:
        return None
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal names no org
        return None
    name, sep, port = host.rpartition(":")
    if sep:
        if not port.isdigit() or not port.isascii():
            return None
        host = name
    if host.endswith("."):
        host = host[:-1]
    suffix = "." + base_domain
    if not host.endswith(suffix):
        return None
    labels = host[: -len(suffix)].split(".")
    if len(labels) == 1:
        environment = Environment.PRODUCTION
    elif len(labels) == 2 and labels[1] == "sandbox":
        environment = Environment.SANDBOX
    else:
        return None
    slug = labels[0]
    if slug_problem(slug) is not None:
        return None
    return HostMatch(slug, environment)
