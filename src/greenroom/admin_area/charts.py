"""Charts drawn on the server as SVG (no script, no CDN), embedded in the page.

Jinja autoescapes; the SVG is built here with every text escaped, and marked safe once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

ROW = 28
LABEL_WIDTH = 260
BAR_WIDTH = 300


def progress_bars(modules: Sequence[Mapping[str, Any]]) -> Markup:
    """One horizontal bar per module: `title` and `percent_complete` (0 to 100)."""
    height = max(1, len(modules)) * ROW + 8
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg class="chart" role="img" aria-label="Progress per module" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, module in enumerate(modules):
        percent = max(0, min(100, int(module.get("percent_complete", 0) or 0)))
        y = i * ROW + 4
        title = escape(str(module.get("title", "")))
        parts.append(
            f'<g data-module="{escape(str(module.get("slug", "")))}">'
            f'<text x="0" y="{y + 16}">{title}</text>'
            f'<rect class="track" x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH}" height="16" rx="3"/>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH * percent // 100}" '
            f'height="16" rx="3"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 16}">{percent}%</text>'
            f"<title>{title}: {percent}%</title></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
