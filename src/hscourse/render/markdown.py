"""Markdown for content fields: CommonMark with raw HTML shown as text, never interpreted."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup


def _image(self: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
    """Resolve a relative image against its module's folder (images sit beside module.yaml)."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    base = env.get("base", "")
    if base and not urlsplit(src).scheme and not src.startswith(("/", "#")):
        token.attrSet("src", base + src)
    return self.image(tokens, idx, options, env)


def _link_close(self: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
    """After a link to the web, its address in brackets: a printed page cannot be clicked
    (a link whose text is its address already shows it)."""
    html = self.renderToken(tokens, idx, options, env)
    start = max(i for i in range(idx) if tokens[i].type == "link_open")
    href = tokens[start].attrGet("href") or ""
    text = "".join(t.content for t in tokens[start + 1:idx]).strip()
    if urlsplit(href).scheme in ("http", "https") and text not in (href, href.rstrip("/")):
        html += f' <span class="link-url">({escapeHtml(href)})</span>'
    return html


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False escapes raw HTML; markdown-it's validateLink already refuses javascript:,
    # vbscript:, file: and non-image data: links. Tables and strikethrough help in notes.
    # Typographic quotes (’ “ ”) only; the other "replacements" would turn (c) into © and the
    # like, changing what instructors wrote.
    parser = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["table", "strikethrough", "smartquotes"])
    parser.add_render_rule("image", _image)
    parser.add_render_rule("link_close", _link_close)
    return parser


def parse_markdown(text: str) -> list[Any]:
    """The tokens the renderer sees, for checks on what a text will produce."""
    return _parser().parse(text)


# A text is rendered many times in a build (each edition, form, exam, the leak check's
# needles, the exports): pure functions of their arguments, so each is rendered once.
@lru_cache(maxsize=16384)
def render_block(text: str, base: str = "") -> Markup:
    """Render Markdown text as HTML blocks (paragraphs, lists, tables).

    base is prefixed to relative image paths (e.g. 'modules/tibet/').
    """
    return Markup(_parser().render(text, {"base": base}))


@lru_cache(maxsize=16384)
def render_inline(text: str, base: str = "") -> Markup:
    """Render Markdown text inline (for titles, options, table cells): no paragraphs."""
    return Markup(_parser().renderInline(text, {"base": base}))


@lru_cache(maxsize=16384)
def render_run_in(text: str, base: str = "") -> tuple[Markup, Markup]:
    """Render Markdown text split for a run-in heading: its first paragraph's content (no
    <p>), and the blocks after it. A text that does not start with a paragraph (a list, a
    table) has no lead: ("", all of it).

    A heading set inline before the lead reads as in a printed exam ("Question 5 (2 points)
    The prompt..."), without a float: WeasyPrint lays out a float by measuring its content
    first (with the floats gone, a quiz and guide took about 4% fewer instructions)."""
    parser = _parser()
    env = {"base": base}
    tokens = parser.parse(text, env)
    if len(tokens) < 3 or tokens[0].type != "paragraph_open":
        return Markup(""), Markup(parser.renderer.render(tokens, parser.options, env))
    render = parser.renderer.render
    return (Markup(render(tokens[1:2], parser.options, env)),
            Markup(render(tokens[3:], parser.options, env)))
