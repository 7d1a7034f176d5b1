"""Email addresses, checked once per domain.

A user's `email` is checked by pydantic's `EmailStr`, which calls email-validator. Of the ~27 us
that check costs, ~17 go to the part after the `@` (IDNA and Unicode rules, character by
character), and a partner's users share a handful of domains (a school's, a programme's). So the
domain's check is kept: `keep_domain_checks` puts a bounded cache in front of email-validator's
`validate_email_domain_name` (a pure function of its arguments). The address is still checked
whole by the library, in its own order; only a domain already accepted is not checked again.
A domain it refuses is not kept (the library raises, and raises again next time).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

DOMAINS_KEPT = 4096

# email-validator's module that calls the domain check (its package exports a function of the
# same name, so the module is imported by its full name).
_checker: Any = importlib.import_module("email_validator.validate_email")


def keep_domain_checks() -> None:
    """Install the cache (idempotent)."""
    check = _checker.validate_email_domain_name
    if not hasattr(check, "cache_info"):
        _checker.validate_email_domain_name = _cached(check)


def domain_cache() -> Any:
    """The installed cache (its `cache_info()`, for tests)."""
    return _checker.validate_email_domain_name


def _cached(check: Any) -> Any:
    @functools.lru_cache(maxsize=DOMAINS_KEPT)
    def cached(
        domain: str, test_environment: bool = False, globally_deliverable: bool = True
    ) -> Any:
        info = check(
            domain, test_environment=test_environment, globally_deliverable=globally_deliverable
        )
        return _ReadOnly(info)

    return cached


class _ReadOnly(dict[str, Any]):
    """The library's result dict, shared between calls: it is only read (`info["domain"]`)."""

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("a cached domain check is read-only")
