"""Every table of the service, imported in one place for Alembic and for tests."""

from greenroom.admins.models import Admin
from greenroom.core.db import Base
from greenroom.tenancy.models import Organization

__all__ = ["Admin", "Base", "Organization"]
