"""Markdown for content fields: CommonMark with raw HTML shown as text, never interpreted."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False escapes raw HTML; markdown-it's validateLink already refuses javascript:,
    # vbscript:, file: and non-image data: links. Tables and strikethrough help in notes.
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def render_block(text: str) -> Markup:
    """Render Markdown text as HTML blocks (paragraphs, lists, tables)."""
    return Markup(_parser().render(text))


def render_inline(text: str) -> Markup:
    """Render Markdown text inline (for titles, options, table cells): no paragraphs."""
    return Markup(_parser().renderInline(text))
