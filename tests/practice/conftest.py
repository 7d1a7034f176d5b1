from tests.browser import chromium, live_server

__all__ = ["chromium", "live_server"]
