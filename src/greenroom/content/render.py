"""Markdown to safe HTML: markdown-it (CommonMark, raw HTML off) and then nh3 as a second guard."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")


@lru_cache(maxsize=512)
def markdown_to_html(text: str) -> str:
    return nh3.clean(_md.render(text))
