from __future__ import annotations

import pytest

from greenroom.speech import testing
from tests.speech import conftest


def test_missing_festival_skips_unless_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testing, "text2wave", lambda: None)
    monkeypatch.delenv("GREENROOM_REQUIRE_SPEECH", raising=False)
    with pytest.raises(pytest.skip.Exception):
        conftest.require_festival()
    monkeypatch.setenv("GREENROOM_REQUIRE_SPEECH", "1")
    with pytest.raises(pytest.fail.Exception):
        conftest.require_festival()
