from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser


def test_missing_chromium_skips_unless_ci_requires_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("GREENROOM_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser.require_chromium()
    monkeypatch.setenv("GREENROOM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception):
        browser.require_chromium()
