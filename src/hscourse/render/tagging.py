"""The tag tree WeasyPrint 70 writes, corrected: what it gets wrong is listed in issue 20.

WeasyPrint builds the structure tree page by page from its layout boxes and then forgets which
HTML element each structure element came from. Every correction is made on WeasyPrint's own
PDF objects (pydyf dictionaries, and page content streams that are still lists of operations)
before they are written: nothing is parsed back and the file is written once.

1. While WeasyPrint builds the tree (`hooked`, wrapping its `_build_box_tree` for the one
   render), each structure element is completed from its HTML element: `lang` -> /Lang, a
   header cell's `scope` -> /Scope, a list's list-style-type -> /ListNumbering, a link's text
   -> the link annotation's /Contents (instead of its anchor id), a figure's /BBox from CSS
   pixels (top-left origin) into PDF points. An element continued on the next page is joined
   to its start (WeasyPrint starts a new Part, Sect, list, paragraph... on every page); a
   table's header row repeated on the next page is left out, and the continuation's cells
   then name the first header row's cells. The content of `aria-hidden="true"` elements,
   decorative images (alt "decorative") and the page margins (running heads, "Page X of Y")
   is left out of the tree and noted.
2. Just before writing (`finish`, which render/pdf.py hands to WeasyPrint's `write_pdf` as
   its finisher), what was noted becomes artifacts in the page content (the margins as
   pagination artifacts, Header and Footer), also inside the groups a page draws content into
   (opacity), and a form's radio groups are named by what their buttons' names share.

The hook is installed only around one render, in the process that renders (render/pdf.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

DECORATIVE_ALT = "decorative"
PX = 0.75  # WeasyPrint draws in CSS pixels: 1px = 0.75pt
LIST_NUMBERING = {
    "decimal": "Decimal", "decimal-leading-zero": "Decimal", "upper-alpha": "UpperAlpha",
    "upper-latin": "UpperAlpha", "lower-alpha": "LowerAlpha", "lower-latin": "LowerAlpha",
    "upper-roman": "UpperRoman", "lower-roman": "LowerRoman", "disc": "Disc",
    "circle": "Circle", "square": "Square",
}
SCOPES = {"row": "Row", "rowgroup": "Row", "col": "Column", "colgroup": "Column"}


Key = tuple[int, str, str]  # an element's HTML element (by identity), its box's tag, its role


@dataclass
class _Seen:
    element: Any
    page: int
    parent: Key | None


@dataclass
class Tagging:
    """What one render's hook decided: MCIDs to turn into artifacts, by page index (the value
    is the artifact's pagination subtype, Header or Footer, or "" for a plain artifact)."""

    artifacts: dict[int, dict[int, str]] = field(default_factory=dict)
    seen: dict[Key, _Seen] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)  # elements completed (by id)
    boxes: list[Any] = field(default_factory=list)  # the boxes being built, innermost last
    keys: dict[int, Key | None] = field(default_factory=dict)  # element id -> its key
    hiding: bool = False  # building the boxes of one left out of the tree

    def key_of(self, parent: Any) -> Key | None:
        """The key of a parent element, known from the box being built when its first child
        is (elements are created before their children, but handed over after them)."""
        if id(parent) not in self.keys:
            box = self.boxes[-1] if self.boxes else None
            self.keys[id(parent)] = (None if box is None or box.element is None
                                     else (id(box.element), box.element_tag, str(parent["S"])))
        return self.keys[id(parent)]

    def hide(self, nums: dict[int, Any], page: int, mcids: set[int], kind: str) -> None:
        """Leave these MCIDs out of the parent tree; finish() marks them as artifacts."""
        for mcid in mcids:
            nums[mcid] = "null"
            self.artifacts.setdefault(page, {})[mcid] = kind


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _hidden(box: Any, state: Tagging, page: int) -> bool:
    """Boxes whose content is no part of the reading: aria-hidden, decorative images, and a
    table header row repeated on a later page."""
    element = box.element
    if element is None or box.element_tag in ("html", "body"):
        return False
    if element.get("aria-hidden") == "true":
        return True
    if box.element_tag == "img" and element.get("alt", "").strip().lower() == DECORATIVE_ALT:
        return True
    if box.element_tag in ("thead", "tfoot"):
        seen = state.seen.get((id(element), box.element_tag, "/THead"))
        return seen is not None and seen.page < page
    return False


def _object(pdf: Any, reference: bytes) -> Any:
    return pdf.objects[int(reference.split()[0])]


def _place_figure(pdf: Any, element: Any) -> None:
    """/BBox from CSS pixels, top-left origin, to PDF points, bottom-left origin."""
    import pydyf

    layout = element.get("A")
    if layout is None or "BBox" not in layout:
        return
    height = float(_object(pdf, element["Pg"])["MediaBox"][3])
    x1, y1, x2, y2 = (float(v) for v in layout["BBox"])
    layout["BBox"] = pydyf.Array([round(x1 * PX, 2), round(height - y2 * PX, 2),
                                  round(x2 * PX, 2), round(height - y1 * PX, 2)])


def _annotate(pdf: Any, element: Any, box: Any) -> None:
    """Complete a structure element from its HTML element."""
    import pydyf

    html = box.element
    if html is None:
        return
    tag = element["S"]
    if html.get("lang") and box.element_tag not in ("html", "body"):
        element["Lang"] = pydyf.String(html.get("lang"))
    if tag == "/TH":
        scope = SCOPES.get(html.get("scope", "col"), "Column")
        element["A"]["Scope"] = f"/{scope}"
    elif tag == "/L":
        numbering = LIST_NUMBERING.get(str(box.style["list_style_type"]))
        if numbering:
            element["A"] = pydyf.Dictionary({"O": "/List", "ListNumbering": f"/{numbering}"})
    elif tag == "/Figure":
        _place_figure(pdf, element)
    elif tag == "/Link" and box.link_annotation is not None and box.element_tag == "a":
        name = _text(html)
        if name:
            box.link_annotation["Contents"] = pydyf.String(name)


def _descendants(pdf: Any, element: Any) -> Iterator[Any]:
    """The structure elements (and object references) below an element."""
    stack = [element]
    while stack:
        node = stack.pop()
        for kid in node.get("K", ()):
            if isinstance(kid, bytes):
                stack.append(_object(pdf, kid))
                yield stack[-1]


def _rejoin_headers(pdf: Any, table: Any, continued: Any) -> None:
    """A table's continuation joined to it: the continuation's cells name the header cells of
    the header row repeated on its page, which is left out of the tree; they now name the
    table's first header row (WeasyPrint numbers a header cell `<table>-<row>-<column>`). The
    cells are looked for in the whole table, where joining rows groups moved them."""
    import pydyf

    cells = [e for e in _descendants(pdf, table) if e.get("S") in ("/TH", "/TD")]
    ids = {c["ID"].string for c in cells if "ID" in c}
    old, new = f"{continued.number}-", f"{table.number}-"
    for cell in cells:
        headers = cell.get("A", {}).get("Headers")
        if headers and any(h.string.startswith(old) for h in headers):
            cell["A"]["Headers"] = pydyf.Array(
                pydyf.String(new + h.string[len(old):])
                if h.string not in ids and h.string.startswith(old) else h for h in headers)


def _merge(state: Tagging, pdf: Any, element: Any, box: Any, parent: Any, page: int) -> bool:
    """Join an element continued from an earlier page to its start; True when joined."""
    if box.element is None or box.element_tag in ("html", "body"):
        return False
    key = (id(box.element), box.element_tag, str(element["S"]))
    seen, parent = state.seen.get(key), state.key_of(parent)
    whole = all(isinstance(k, bytes) for k in element["K"])
    if (seen is None or seen.page >= page or seen.parent != parent or not whole
            or not all(isinstance(k, bytes) for k in seen.element["K"])):
        state.seen[key] = _Seen(element, page, parent)
        return False
    for kid in element["K"]:
        _object(pdf, kid)["P"] = seen.element.reference
    seen.element["K"].extend(element["K"])
    if element["S"] == "/Table":
        _rejoin_headers(pdf, seen.element, element)
    seen.page = page
    return True


def _wrap(original: Callable[..., Iterator[Any]], state: Tagging) -> Callable[..., Iterator[Any]]:
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder

    def build(box: Any, parent: Any, pdf: Any, page: int, nums: dict[int, Any],
              annotations: list[Any], tags: Any) -> Iterator[Any]:
        # No try/finally here: an error (a render past its memory limit) abandons the whole
        # tree, and code run while thousands of nested generators unwind would fail again.
        real = box._box if isinstance(box, AbsolutePlaceholder) else box
        if state.hiding:  # inside a box left out: nothing to complete or join
            yield from original(box, parent, pdf, page, nums, annotations, tags)
            return
        state.key_of(parent)
        state.boxes.append(real)
        margin = isinstance(real, boxes.MarginBox)
        if margin or _hidden(real, state, page):
            before = set(nums)
            state.hiding = True
            for _ in original(box, parent, pdf, page, nums, annotations, tags):
                pass
            state.hiding = False
            kind = ("Header" if "top" in real.at_keyword else "Footer") if margin else ""
            state.hide(nums, page, set(nums) - before, kind)
        else:
            for element in original(box, parent, pdf, page, nums, annotations, tags):
                if id(element) in state.done:  # handed on from a box inside this one
                    yield element
                    continue
                state.done.add(id(element))
                _annotate(pdf, element, real)
                if not _merge(state, pdf, element, real, parent, page):
                    yield element
        state.boxes.pop()

    return build


@contextmanager
def hooked() -> Iterator[Tagging]:
    """Complete WeasyPrint's structure tree during one render (see the module docstring)."""
    from weasyprint.pdf import tags

    state = Tagging()
    original = tags._build_box_tree
    tags._build_box_tree = _wrap(original, state)
    try:
        yield state
    finally:
        tags._build_box_tree = original


def _artifact(kind: str) -> list[Any]:
    """The operands and operator that open an artifact, a pagination one when kind is
    Header or Footer."""
    import pydyf

    if not kind:
        return ["/Artifact", b"BMC"]
    return ["/Artifact", pydyf.Dictionary({"Type": "/Pagination", "Subtype": f"/{kind}"}),
            b"BDC"]


def _mark_artifacts(stream: Any, hidden: dict[int, str]) -> None:
    """Turn the marked content of the hidden MCIDs into artifacts, in a page stream's list of
    operations (pydyf keeps `/Tag <</MCID n>> BDC` as three entries)."""
    import pydyf

    ops, out, done, at = stream.stream, [], 0, -1
    while True:
        try:
            at = ops.index(b"BDC", at + 1)
        except ValueError:
            break
        props = ops[at - 1]
        if isinstance(props, pydyf.Dictionary) and props.get("MCID") in hidden:
            out += ops[done:at - 2]
            out += _artifact(hidden[props["MCID"]])
            done = at + 1
    if done:
        stream.stream = out + ops[done:]


def _page_streams(pdf: Any) -> list[list[Any]]:
    """Each page's content streams: its own and the groups drawn into it (for opacity), which
    share its marked-content numbering (WeasyPrint's `_tags`, one per page)."""
    pages = [_object(pdf, _object(pdf, ref)["Contents"]) for ref in pdf.page_references]
    drawn: dict[int, list[Any]] = {}
    for item in pdf.objects:
        tags = getattr(item, "_tags", None)
        if tags is not None:
            drawn.setdefault(id(tags), []).append(item)
    return [[page] if page._tags is None else drawn[id(page._tags)] for page in pages]


def _name_radio_groups(pdf: Any) -> None:
    """A radio group is named by what its buttons' names share ("Question 3" from "Question
    3: A", "Question 3: B"); WeasyPrint names it after its first button."""
    import os.path

    import pydyf

    for reference in pdf.catalog["AcroForm"].get("Fields", []):
        group = _object(pdf, reference)
        names = [str(_object(pdf, kid)["TU"].string) for kid in group.get("Kids", [])]
        shared = os.path.commonprefix(names).rstrip(" :,") if len(names) > 1 else ""
        if shared:
            group["TU"] = pydyf.String(shared)


def finish(pdf: Any, state: Tagging) -> None:
    """Complete WeasyPrint's PDF objects before they are written (`write_pdf`'s finisher):
    the hook's artifacts marked in the page content, the radio groups named."""
    if state.artifacts:
        for index, streams in enumerate(_page_streams(pdf)):
            hidden = state.artifacts.get(index)
            if hidden:
                for stream in streams:
                    _mark_artifacts(stream, hidden)
    if "AcroForm" in pdf.catalog:
        _name_radio_groups(pdf)
