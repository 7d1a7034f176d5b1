from tests.admin_area.conftest import browser_for
from tests.webhooks.conftest import receiver

__all__ = ["browser_for", "receiver"]
