from tests.browser import live_server  # noqa: F401
