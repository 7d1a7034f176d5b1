from tests.admin_area.conftest import area, browser_for
from tests.browser import chromium, live_server

__all__ = ["area", "browser_for", "chromium", "live_server"]
