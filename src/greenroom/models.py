"""Every table of the service, imported in one place for Alembic and for tests."""

from greenroom.admins.models import Admin
from greenroom.core.db import Base
from greenroom.keys.models import ApiKey
from greenroom.tenancy.models import Organization
from greenroom.users.models import User

__all__ = ["Admin", "ApiKey", "Base", "Organization", "User"]
