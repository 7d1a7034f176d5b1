from __future__ import annotations

from greenroom.admin_area.charts import progress_bars


def test_bars_are_proportional_and_titles_escaped() -> None:
    svg = str(
        progress_bars(
            [
                {"slug": "a", "title": "<script>alert(1)</script>", "percent_complete": 50},
                {"slug": "b", "title": "STAR", "percent_complete": 100},
            ]
        )
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'class="bar" x="260" y="8" width="150"' in svg
    assert 'width="300" height="16" rx="3"/><text' in svg
    assert ">100%<" in svg and ">50%<" in svg
