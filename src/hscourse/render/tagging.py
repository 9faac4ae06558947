"""The tag tree WeasyPrint 70 writes, corrected: what it gets wrong is listed in issue 20.

WeasyPrint builds the structure tree page by page from its layout boxes and then forgets which
HTML element each structure element came from, so two things happen here:

1. While WeasyPrint builds the tree (`hooked`, wrapping its `_build_box_tree` for the one
   render), each structure element is completed from its HTML element: `lang` -> /Lang, a
   header cell's `scope` -> /Scope, a list's list-style-type -> /ListNumbering, a link's text
   -> the link annotation's /Contents (instead of its anchor id). An element continued on the
   next page is joined to its start (WeasyPrint starts a new Part, Sect, list, paragraph... on
   every page), a table's header row repeated on the next page is left out, and the content of
   `aria-hidden="true"` elements, decorative images (alt "decorative") and the page margins
   (running heads, "Page X of Y") is left out of the tree and noted.
2. After rendering (`finish`, with pikepdf), what was noted becomes artifacts in the page
   content (the margins as pagination artifacts, headers and footers), figure bounding boxes
   are moved from CSS pixels (top-left origin) into PDF user space, and a form's radio groups
   are named by what their buttons' names share.

The hook is installed only around one render, in the process that renders (render/pdf.py).
"""

from __future__ import annotations

import io
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
    tables: dict[str, str] = field(default_factory=dict)  # header id prefix of a continuation
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


def _annotate(element: Any, box: Any) -> None:
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
    elif tag == "/Link" and box.link_annotation is not None and box.element_tag == "a":
        name = _text(html)
        if name:
            box.link_annotation["Contents"] = pydyf.String(name)


def _object(pdf: Any, reference: bytes) -> Any:
    return pdf.objects[int(reference.split()[0])]


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
    if element["S"] == "/Table":  # its cells may name its left-out repeated header cells
        state.tables[f"{element.number}-"] = f"{seen.element.number}-"
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
                _annotate(element, real)
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


def _artifact_operands(kind: str) -> tuple[list[Any], Any]:
    import pikepdf

    if not kind:
        return [pikepdf.Name.Artifact], pikepdf.Operator("BMC")
    props = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name("/" + kind))
    return [pikepdf.Name.Artifact, props], pikepdf.Operator("BDC")


def _mark_artifacts(pdf: Any, page: Any, hidden: dict[int, str]) -> None:
    import pikepdf

    out: list[Any] = []
    for instruction in pikepdf.parse_content_stream(page):
        operands = getattr(instruction, "operands", [])
        if (str(getattr(instruction, "operator", "")) == "BDC" and len(operands) == 2
                and isinstance(operands[1], pikepdf.Dictionary)
                and int(operands[1].get("/MCID", -1)) in hidden):
            instruction = pikepdf.ContentStreamInstruction(
                *_artifact_operands(hidden[int(operands[1].MCID)]))
        out.append(instruction)
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(out))


def _elements(pdf: Any) -> Iterator[Any]:
    """Every dictionary in the structure tree (elements, marked-content and object refs)."""
    import pikepdf

    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        yield node
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary))
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)


def _fix_figure_boxes(pdf: Any) -> None:
    """/BBox from CSS pixels, top-left origin, to PDF points, bottom-left origin."""
    import pikepdf

    for node in _elements(pdf):
        layout = node.get("/A")
        if node.get("/S") == "/Figure" and isinstance(layout, pikepdf.Dictionary) \
                and "/BBox" in layout and "/Pg" in node:
            height = float(node.Pg.MediaBox[3])
            x1, y1, x2, y2 = (float(v) for v in layout.BBox)
            layout.BBox = pikepdf.Array([round(x1 * PX, 2), round(height - y2 * PX, 2),
                                         round(x2 * PX, 2), round(height - y1 * PX, 2)])


def _rejoin_headers(pdf: Any, tables: dict[str, str]) -> None:
    """A cell on a table's continuation names the header cells of the first part, where
    it named the repeated header row that was left out of the tree."""
    import pikepdf

    cells = [e for e in _elements(pdf) if e.get("/S") in ("/TH", "/TD")]
    ids = {str(c.ID) for c in cells if "/ID" in c}
    for cell in cells:
        headers = cell.get("/A", {}).get("/Headers")
        if headers is None:
            continue
        fixed = []
        for header in map(str, headers):
            prefix = header.split("-", 1)[0] + "-"
            if header not in ids and prefix in tables:
                header = tables[prefix] + header[len(prefix):]
            fixed.append(pikepdf.String(header))
        cell.A.Headers = pikepdf.Array(fixed)


def _name_radio_groups(pdf: Any) -> None:
    """A radio group is named by what its buttons' names share ("Question 3" from "Question
    3: A", "Question 3: B"); WeasyPrint names it after its first button."""
    import os.path

    import pikepdf

    for group in pdf.Root.AcroForm.get("/Fields", []):
        names = [str(k.get("/TU", "")) for k in group.get("/Kids", [])]
        shared = os.path.commonprefix(names).rstrip(" :,") if len(names) > 1 else ""
        if shared:
            group.TU = pikepdf.String(shared)


def finish(data: bytes, state: Tagging) -> bytes:
    """The rendered PDF with the hook's artifacts marked and figure boxes in PDF space."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for index, page in enumerate(pdf.pages):
            if state.artifacts.get(index):
                _mark_artifacts(pdf, page, state.artifacts[index])
        _fix_figure_boxes(pdf)
        if state.tables:
            _rejoin_headers(pdf, state.tables)
        if "/AcroForm" in pdf.Root:
            _name_radio_groups(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
