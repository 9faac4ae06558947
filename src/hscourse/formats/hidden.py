"""What makes imported HTML invisible to a student, decided from one element's tag and attributes.

A question bank can carry text a student never sees in the LMS (an answer in a `display:none`
span, a screen-reader-only label, a collapsed `<details>`, white text on white). Printed as
Markdown, that text would become visible, so the importer leaves such content out and says so.
The tests here err on the side of hiding: a child that makes itself visible again inside a hidden
parent (`visibility: visible`, a dark colour inside white text) stays hidden.

Inline styles are read with tinycss2 (WeasyPrint's CSS parser) and colours with its CSS colour
parser; nothing here matches HTML or CSS with regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import tinycss2
from tinycss2.color3 import RGBA, parse_color

# Elements whose content a browser does not show in the page (or only on request).
HIDDEN_ELEMENTS = {
    "script": "a <script>", "style": "a <style> sheet", "template": "a <template>",
    "noscript": "a <noscript> fallback", "head": "the <head>", "title": "a <title>",
    "iframe": "an <iframe> fallback", "object": "an <object> fallback",
    "audio": "an <audio> fallback", "video": "a <video> fallback",
    "canvas": "a <canvas> fallback", "datalist": "a <datalist>",
}
# Shown only when they carry the `open` attribute.
COLLAPSED_ELEMENTS = {"details": "a collapsed <details>", "dialog": "a closed <dialog>"}
HIDING_CLASSES = {"hidden", "hide", "d-none", "invisible", "sr-only", "visually-hidden",
                  "visuallyhidden", "accesshide", "screen-reader-text", "collapse"}
MAX_STYLE = 4096  # characters: a longer style attribute is not read, its element taken as hidden
MIN_CONTRAST = 1.5  # WCAG contrast ratio below which text is taken as invisible
WHITE = RGBA(1.0, 1.0, 1.0, 1.0)
BLACK = RGBA(0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class Look:
    """The colours an element's text is drawn in (inherited from its parents when not set)."""

    color: RGBA = BLACK
    background: RGBA = WHITE


def _declarations(style: str) -> dict[str, tuple[str, list]]:
    """An inline style's declarations: name -> (lowercased value text, value tokens)."""
    found = {}
    for node in tinycss2.parse_blocks_contents(style, skip_comments=True,
                                               skip_whitespace=True):
        if node.type == "declaration":
            tokens = [t for t in node.value if t.type not in ("whitespace", "comment")]
            found[node.lower_name] = (tinycss2.serialize(node.value).strip().lower(), tokens)
    return found


def _length(tokens: list) -> tuple[float, str] | None:
    """(number, unit) of a one-token length such as `0`, `-9999px` or `0.5em`."""
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.type == "number":
        return token.value, ""
    if token.type == "dimension":
        return token.value, token.lower_unit
    if token.type == "percentage":
        return token.value, "%"
    return None


def _tiny(tokens: list) -> bool:
    """A font size too small to read (0, or under 2px/2pt/0.2em)."""
    size = _length(tokens)
    if size is None:
        return False
    value, unit = size
    limits = {"": 0.0, "px": 2.0, "pt": 2.0, "em": 0.2, "rem": 0.2, "ex": 0.4, "ch": 0.4,
              "%": 20.0, "vw": 0.2, "vh": 0.2}
    return value <= 0 or value < limits.get(unit, 0.0)


def _far_off(tokens: list) -> bool:
    """A position or indent that moves content off the page (-100px, -10em or beyond)."""
    size = _length(tokens)
    if size is None:
        return False
    value, unit = size
    return value <= -100 if unit in ("px", "pt", "") else value <= -10


def _zero(tokens: list) -> bool:
    size = _length(tokens)
    return size is not None and size[0] == 0


def _style_reason(decls: dict[str, tuple[str, list]]) -> str | None:
    """Why these declarations hide an element's content, or None."""
    def value(name: str) -> str:
        return decls.get(name, ("", []))[0].replace("!important", "").strip()

    def tokens(name: str) -> list:
        return decls.get(name, ("", []))[1]

    if value("display") == "none":
        return "display:none"
    if value("visibility") in ("hidden", "collapse"):
        return f"visibility:{value('visibility')}"
    if value("content-visibility") == "hidden":
        return "content-visibility:hidden"
    opacity = _length(tokens("opacity"))
    if opacity is not None and (opacity[0] <= 0.1 if opacity[1] == "" else opacity[0] <= 10):
        return f"opacity:{value('opacity')}"
    if "font-size" in decls and _tiny(tokens("font-size")):
        return f"font-size:{value('font-size')}"
    if "clip" in decls and value("clip").startswith("rect("):
        return f"clip:{value('clip')}"
    if value("clip-path") not in ("", "none"):
        return f"clip-path:{value('clip-path')}"
    if value("transform").replace(" ", "") in ("scale(0)", "scale(0,0)", "scalex(0)",
                                               "scaley(0)"):
        return f"transform:{value('transform')}"
    if value("overflow") in ("hidden", "clip") or value("overflow-y") in ("hidden", "clip"):
        for name in ("height", "max-height", "width", "max-width"):
            if name in decls and _zero(tokens(name)):
                return f"{name}:0 with overflow hidden"
    for name in ("left", "top", "right", "margin-left", "margin-top", "text-indent"):
        if name in decls and _far_off(tokens(name)):
            return f"{name}:{value(name)} (off the page)"
    return None


def _colour(text: str) -> RGBA | None:
    if not text:
        return None
    colour = parse_color(text)
    return colour if isinstance(colour, RGBA) else None


def _luminance(colour: RGBA) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.red) + 0.7152 * channel(colour.green)
            + 0.0722 * channel(colour.blue))


def contrast(a: RGBA, b: RGBA) -> float:
    """The WCAG contrast ratio of two opaque colours (1 = identical, 21 = black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _over(colour: RGBA, background: RGBA) -> RGBA:
    """colour drawn over an opaque background."""
    a = colour.alpha
    return RGBA(*(a * c + (1 - a) * b for c, b in zip(colour[:3], background[:3])), 1.0)


def _look(attrs: dict[str, str], decls: dict[str, tuple[str, list]],
          parent: Look) -> tuple[Look, str | None]:
    """The element's colours, and why its text cannot be seen against its background."""
    colour = _colour(decls.get("color", ("", []))[0].replace("!important", "")) \
        or _colour(attrs.get("color", ""))
    background_text = decls.get("background-color", decls.get("background", ("", [])))[0]
    background = _colour(background_text.replace("!important", "").strip()) \
        or _colour(attrs.get("bgcolor", ""))
    if colour is None and background is None:
        return parent, None
    own_background = _over(background, parent.background) if background else parent.background
    look = Look(colour or parent.color, own_background)
    if look.color.alpha <= 0.1:
        return look, "transparent text"
    ratio = contrast(_over(look.color, look.background), look.background)
    if ratio < MIN_CONTRAST:
        return look, f"text coloured like its background (contrast {ratio:.2f}:1)"
    return look, None


def examine(tag: str, attrs: dict[str, str], parent: Look) -> tuple[Look, str | None]:
    """The colours of an element's text, and why the element hides its content (or None)."""
    if not attrs:
        return parent, _markup_reason(tag, attrs)
    style = attrs.get("style", "")
    if len(style) > MAX_STYLE:
        return parent, f"a style attribute longer than {MAX_STYLE:,} characters (not read)"
    decls = _declarations(style) if style.strip() else {}
    look, low_contrast = _look(attrs, decls, parent) if decls or "color" in attrs \
        or "bgcolor" in attrs else (parent, None)
    return look, _markup_reason(tag, attrs) or (_style_reason(decls) if decls else None) \
        or low_contrast


def _markup_reason(tag: str, attrs: dict[str, str]) -> str | None:
    """Why an element with this tag and these attributes hides its content, or None."""
    if tag in HIDDEN_ELEMENTS:
        return HIDDEN_ELEMENTS[tag]
    if tag in COLLAPSED_ELEMENTS and "open" not in attrs:
        return COLLAPSED_ELEMENTS[tag]
    if "hidden" in attrs:
        return "the hidden attribute"
    if attrs.get("aria-hidden", "").strip().lower() == "true":
        return 'aria-hidden="true"'
    if tag == "input" and attrs.get("type", "").strip().lower() == "hidden":
        return 'an <input type="hidden">'
    classes = attrs.get("class", "").lower().split()
    for name in classes:
        if name == "collapse" and "show" in classes:
            continue
        if name in HIDING_CLASSES or (name.startswith("d-") and name.endswith("-none")):
            return f'class="{name}"'
    return None
