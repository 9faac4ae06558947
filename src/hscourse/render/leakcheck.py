"""After a build, prove that no student artefact contains instructor-only text.

The student model never holds an answer, so a leak needs a bug or a hostile template. This check
looks where such a leak could hide: the page text as two different extractors see it (PDFium
reads text drawn off the page, white or clipped; poppler's pdftotext reads it as a viewer
would), the decompressed content streams, the document metadata and XMP, bookmarks, named
destinations (from `id` attributes), annotations and link URLs, attachments, the structure tree
(alt text) and, as a catch-all, every other string and text stream in the file. Zips are
searched member by member, other files as text.

Matching compares words, ignoring case, punctuation, spacing and Unicode compatibility forms
(full-width letters, ligatures). A hyphen inside a word joins its parts ("non-refoulement" is
compared as "nonrefoulement"), on both sides, because PDF text extraction does not keep hyphens
faithfully: a hyphen at a line end may be the layout's or the author's, text set in a CJK font
loses its hyphens in poppler's extraction and reads as U+FFFE in PDFium's, and a soft hyphen
shows only where the line breaks. Each text is searched as extracted and with line-end hyphens
joined. A secret shorter than MIN_CHARS letters ("True", "World Bank"), or one that also
appears in a field students may see (matching pairs, ordering entries), is not searched for; a
longer one is cut into overlapping pieces of GRAM words, so that a page break or a column cannot
hide it, and pieces that occur in student-visible text are dropped.

A leak is reported with the module file, line and field of the secret and the item holding it,
the artefact, page and channels it was found in, the extracted text around the match, and what
to do.

This module searches; render/secrets.py reads the course and gathers the Needles. The render
workers check each student PDF as soon as it is made with this module alone.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from typing import Any

from hscourse.errors import Diagnostic
from hscourse.output import Output

MIN_CHARS = 12
GRAM = 6
CATCH_ALL = "other PDF objects"
PAGE_TEXTS = ("page text (PDFium)", "page text (pdftotext)")
_CJK = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_LATIN = f"[^\\W{_CJK}]+"
_HYPHENS = "-\u2010"  # after NFKC, which folds U+2011, U+FE63 and U+FF0D into these
_WORD = re.compile(f"[{_CJK}]|{_LATIN}")
# (the hyphen first, and the letter before it looked behind at, which runs faster)
_INNER_HYPHEN = re.compile(f"[{_HYPHENS}](?<=[^\\W{_CJK}][{_HYPHENS}])(?=[^\\W{_CJK}])")
_SOFT = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
TAG = re.compile(r"<[^>]*>")
# A hyphen at a line end (the layout's or the author's), and PDFium's U+FFFE for a hyphen glyph
# it cannot map (in CJK fonts): joined up in the second reading of a page's text.
_BROKEN_HYPHEN = re.compile(f"(?<=\\w)(?:[{_HYPHENS}\ufffe][ \\t]*\\r?\\n[ \\t]*|\ufffe)(?=\\w)")
CONTEXT = 40  # characters of extracted text shown either side of a match
# Binary payloads that cannot hold text: font programs and colour profiles.
_BINARY_KEYS = {"/FontFile", "/FontFile2", "/FontFile3", "/DestOutputProfile"}
# Back-references that would make a channel's walk wander over the whole document.
_BACK_KEYS = {"/Parent", "/P", "/Pg", "/Dest", "/D", "/Prev", "/Next", "/First", "/Last",
              "/Obj", "/Annots", "/Resources"}

Words = tuple[str, ...]


def normal(text: str) -> str:
    """Text with compatibility forms folded (full-width, ligatures) and soft hyphens and
    zero-width characters dropped: what `words` cuts into words."""
    return _SOFT.sub("", unicodedata.normalize("NFKC", text))


def _words_of(text: str) -> Words:
    """The words of a normal() text (one pass of each regular expression: page texts and the
    catch-all of every student PDF go through here)."""
    return tuple(_WORD.findall(_INNER_HYPHEN.sub("", text).casefold()))


def words(text: str) -> Words:
    """Text as compared: compatibility forms and case folded, punctuation and spacing dropped,
    hyphenated words joined, each CJK character a word of its own (CJK text has no spaces to
    cut it at)."""
    return _words_of(normal(text))


@cache
def _hyphenated() -> re.Pattern[str]:
    """A hyphenated word as one token, for locating a match in the text as extracted: made
    when a leak is found (its CJK ranges took 5 ms to compile, in every build)."""
    return re.compile(f"[{_CJK}]|{_LATIN}(?:[{_HYPHENS}]{_LATIN})*")


def grams_of(seq: Words) -> Iterator[Words]:
    """The pieces of GRAM words that a long secret is cut into, overlapping."""
    return (seq[i:i + GRAM] for i in range(len(seq) - GRAM + 1))


def joined(seq: Words) -> str:
    """Words as one string with a space at each end, so that `in` matches whole words only."""
    return " " + " ".join(seq) + " "


@dataclass(frozen=True)
class Secret:
    module: str
    text: str


@dataclass(frozen=True)
class Place:
    """Where a secret is written: module file, line, column, field and the item holding it."""

    file: str
    line: int
    column: int
    field: str
    item: str  # "quiz item 'ex-q5'", or "" for a module-level field


@dataclass(frozen=True)
class Hit:
    """Where a secret matched in one channel's text: the text around the match (the match in
    brackets) and the page (1-based; 0 when the channel has no pages)."""

    context: str
    page: int


def _hit(text: str, spans: list[tuple[int, int]], start: int, piece: Words, pages: bool) -> Hit:
    """The Hit of piece, found at word start of text (whose words stand at spans)."""
    if not spans:  # not expected: a text whose words casefolding splits differently
        return Hit(" ".join(piece), 0)
    end = min(start + len(piece), len(spans)) - 1
    first, last = spans[min(start, end)][0], spans[end][1]
    head, tail = max(0, first - CONTEXT), min(len(text), last + CONTEXT)
    before, after = text[head:first], text[last:tail]
    if head and len(before.split(None, 1)) == 2:  # start and end at whole words
        before = before.split(None, 1)[1]
    if tail < len(text) and len(after.rsplit(None, 1)) == 2:
        after = after.rsplit(None, 1)[0]
    window = f"{before}[{text[first:last]}]{after}"
    around = ("…" if head else "") + " ".join(window.split()) + ("…" if tail < len(text) else "")
    page = text.count("\f", 0, first) + 1 if pages else 0
    return Hit(around, page)


@dataclass
class Needles:
    """What to search for: whole short secrets and the word pieces of long ones, by secret,
    the pixel digests of instructor-only images, and where each secret is written. Gathered
    from a course by render/secrets.py; the render workers get these, never the course."""

    wholes: set[Words]  # student-visible texts of at most GRAM words
    heads: set[Words]  # the first words of student-visible texts
    tails: set[Words]  # their last words
    whole: dict[str, set[Secret]] = field(default_factory=dict)  # short secrets, joined
    grams: dict[Words, set[Secret]] = field(default_factory=dict)  # pieces of long ones
    images: dict[str, Secret] = field(default_factory=dict)
    places: dict[Secret, Place] = field(default_factory=dict)

    def explained(self, gram: Words) -> bool:
        """Whether gram could be student-visible fields printed one after another: the end of
        one, then whole short ones (list items, options), then the start of another."""
        reach = [i == 0 or gram[:i] in self.tails for i in range(len(gram) + 1)]
        for pos in range(len(gram) + 1):
            if not reach[pos]:
                continue
            if pos == len(gram) or gram[pos:] in self.heads:
                return True
            for end in range(pos + 1, len(gram) + 1):
                reach[end] = reach[end] or gram[pos:end] in self.wholes
        return False

    def found_in(self, haystack: str, pages: bool = False) -> dict[Secret, Hit]:
        """The secrets of which a whole or a piece occurs in haystack, with the first match of
        each. The text is searched as extracted and with words broken at a line end joined up
        (pages: haystack is page texts separated by form feeds, and a hit names its page)."""
        hits: dict[Secret, Hit] = {}
        text = normal(haystack)
        for version in dict.fromkeys((text, _BROKEN_HYPHEN.sub("", text))):
            seq = _words_of(version)
            spaced = joined(seq)
            found: list[tuple[set[Secret], int, Words]] = []
            for needle, secrets in self.whole.items():
                at = spaced.find(needle)
                if at >= 0:
                    found.append((secrets, spaced.count(" ", 0, at), tuple(needle.split())))
            for start, gram in enumerate(grams_of(seq)):
                if gram in self.grams:
                    found.append((self.grams[gram], start, gram))
            if not found:
                continue
            # The same words, hyphenated ones whole, where they stand in the text
            spans = [m.span() for m in _hyphenated().finditer(version)]
            for secrets, start, piece in found:
                for secret in secrets - hits.keys():
                    hits[secret] = _hit(version, spans, start, piece, pages)
        return hits


def pixels_digest(image: Any) -> str:
    """A digest of an image's pixels (RGB, alpha dropped): the same for a PNG file and for the
    image stream WeasyPrint wrote from it, whatever their encodings."""
    rgb = image.convert("RGB")
    return hashlib.sha256(f"{rgb.size}".encode() + rgb.tobytes()).hexdigest()


def image_leaks(data: bytes, images: dict[str, Secret]) -> set[Secret]:
    """The instructor-only images whose pixels some image of this PDF holds."""
    import pikepdf
    from pikepdf import PdfImage

    found: set[Secret] = set()
    with pikepdf.open(BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                try:
                    digest = pixels_digest(PdfImage(obj).as_pil_image())
                except Exception:  # an image pikepdf cannot decode is not one of ours
                    continue
                if digest in images:
                    found.add(images[digest])
    return found


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace")


def _strings(obj: Any, skip: set[str], seen: set[tuple[int, int]] | None = None
             ) -> Iterator[str]:
    """Every string, name and decoded text stream reachable from obj (a pikepdf object), not
    following skip keys."""
    import pikepdf

    seen = set() if seen is None else seen
    stack = [obj]
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Object):
            continue  # numbers and booleans, which pikepdf hands back as Python values
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Stream):
            if item.get("/Subtype") != "/Image":
                try:
                    yield _decode(item.read_bytes())
                except pikepdf.PdfError:  # an undecodable filter: search the raw bytes instead
                    yield _decode(item.read_raw_bytes())
            mapping: Any = item.stream_dict
        elif isinstance(item, pikepdf.Dictionary):
            mapping = item
        else:
            mapping = None
        if mapping is not None:
            for key in mapping.keys():
                yield str(key)
                if key not in skip and key not in _BINARY_KEYS:
                    stack.append(mapping[key])
        elif isinstance(item, pikepdf.Array):
            stack.extend(reversed(list(item)))
        elif isinstance(item, (pikepdf.String, pikepdf.Name)):
            yield str(item)


def _pdftotext(data: bytes) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise RuntimeError("pdftotext (poppler-utils) is not installed; install it or build "
                           "with --no-leak-check")
    done = subprocess.run([exe, "-q", "-enc", "UTF-8", "-", "-"], input=data,
                          capture_output=True, timeout=120, check=False)
    if done.returncode:
        raise RuntimeError(f"pdftotext failed: {done.stderr.decode(errors='replace')[:200]}")
    return done.stdout.decode("utf-8", "replace")


def _pdfium_text(data: bytes) -> str:
    """Every page's text as PDFium (Chrome's PDF engine) extracts it, off-page text included,
    pages separated by form feeds (as pdftotext separates them).

    PDFium reads text about fifty times faster than pypdf's pure-Python extractor, which
    matters because every student PDF of every build is read back."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return "\f".join(document[i].get_textpage().get_text_range()
                         for i in range(len(document)))
    finally:
        document.close()


def _raw_contents(page: Any) -> Iterator[bytes]:
    """A page's content streams, decompressed (not parsed into operations)."""
    import pikepdf

    contents = page.obj.get("/Contents")
    for stream in (contents if isinstance(contents, pikepdf.Array) else [contents]):
        if stream is not None:
            yield stream.read_bytes()


def _outline_titles(items: Any) -> Iterator[str]:
    for item in items:
        yield str(item.title or "")
        yield from _outline_titles(item.children)


def _destination_names(root: Any) -> Iterator[str]:
    import pikepdf

    names = root.get("/Names")
    if names is not None and "/Dests" in names:
        yield from pikepdf.NameTree(names.Dests).keys()
    yield from _strings(root.get("/Dests"), _BACK_KEYS)


def pdf_channels(data: bytes) -> dict[str, str]:
    """The text of every channel of a PDF through which a reader could see content.

    PDF objects are read with pikepdf (qpdf): about seven times faster than pypdf, which
    matters because every student PDF of every build is read back."""
    import pikepdf

    with pikepdf.open(BytesIO(data)) as pdf:
        root = pdf.Root
        with pdf.open_outline() as outline:
            bookmarks = "\n".join(_outline_titles(outline.root))
        channels = {
            "page text (PDFium)": _pdfium_text(data),
            "page text (pdftotext)": _pdftotext(data),
            "content streams": "\n".join(_decode(stream) for page in pdf.pages
                                         for stream in _raw_contents(page)),
            "metadata": "\n".join(_strings(pdf.trailer.get("/Info"), set()))
                        + "\n".join(_strings(root.get("/Metadata"), set())),
            "bookmarks": bookmarks,
            "named destinations": "\n".join(_destination_names(root)),
            "annotations and links": "\n".join(s for page in pdf.pages
                                               for s in _strings(page.obj.get("/Annots"),
                                                                 _BACK_KEYS - {"/Annots"})),
            "attachments": "\n".join(name + "\n" + _decode(spec.get_file().read_bytes())
                                     for name, spec in pdf.attachments.items()),
            "structure tree (alt text)": "\n".join(_strings(root.get("/StructTreeRoot"),
                                                            _BACK_KEYS)),
        }
        channels[CATCH_ALL] = "\n".join(_strings(pdf.trailer, set()))
    return channels


def artefact_channels(name: str, data: bytes) -> dict[str, str]:
    """Channels of one output file: a PDF's, each zip member's (recursively), or its text."""
    if data.startswith(b"%PDF"):
        return pdf_channels(data)
    if data.startswith(b"PK\x03\x04"):
        out: dict[str, str] = {}
        with zipfile.ZipFile(BytesIO(data)) as archive:
            for member in archive.namelist():
                for channel, text in artefact_channels(member, archive.read(member)).items():
                    out[f"{member}: {channel}"] = text
        return out
    if name.endswith((".html", ".htm")):
        return html_channels(_decode(data))
    return {"file text": _decode(data)}


ADVICE = ("if a template of yours prints this field, take it out of the student template; if "
          "these words are meant for students too, write them the same way in a student-visible "
          "field of the module, so that they are not a secret")


def _message(entry: Output, secret: Secret, place: Place, where: list[str], hit: Hit | None
             ) -> str:
    """What a leak message says: what leaked, from which item, where it was found, the text
    around the match, and what to do."""
    page = f" on page {hit.page}" if hit is not None and hit.page else ""
    channels = f"{entry.path}{page} ({', '.join(where)})"
    if not secret.module:
        return f"the course secret appears in {channels}"
    shown = secret.text if len(secret.text) <= 60 else secret.text[:57] + "..."
    item = f" ({place.item})" if place.item else ""
    if hit is None:
        owner = f", {place.item}" if place.item else ""
        return (f"an image only instructor-only fields show ({shown[6:]}{owner}) appears in "
                f"{channels}; {ADVICE}")
    return (f"instructor-only text {shown!r}{item} appears in {channels}: "
            f"\"{hit.context}\"; {ADVICE}")


def _search(needles: Needles, channels: dict[str, str], names: list[str]
            ) -> tuple[dict[Secret, list[str]], dict[Secret, Hit]]:
    """The secrets found in the named channels: the channels each is in, and its first hit (a
    page text's first, which says where a reader would see it)."""
    found: dict[Secret, list[str]] = {}
    hits: dict[Secret, Hit] = {}
    for channel in names:
        for secret, hit in needles.found_in(channels[channel], channel in PAGE_TEXTS).items():
            found.setdefault(secret, []).append(channel)
            hits.setdefault(secret, hit)
    return found, hits

def html_channels(text: str) -> dict[str, str]:
    """An HTML page's text as a browser shows it (tags removed, character references such as
    &#39; decoded, so that escaping cannot split a secret's words) and its whole source decoded
    (attributes: alt text, titles, links)."""
    return {"page text (HTML)": html.unescape(TAG.sub(" ", text)),
            "file text": html.unescape(text)}


def find_leaks(needles: Needles, files: Mapping[Output, bytes]) -> list[Diagnostic]:
    """A Diagnostic for each instructor-only text found in a student artefact, naming the
    module file, line and field it came from, the artefact, page and channels, the text
    matched, and what to do; [] when clean. needles: what secrets.needles_for gathered."""
    out: list[Diagnostic] = []
    for entry, data in sorted(files.items(), key=lambda item: item[0].path):
        if entry.audience != "student":
            continue
        try:
            channels = artefact_channels(entry.path, data)
        except MemoryError:  # the render's memory limit: reported as such by the worker
            raise
        except Exception as exc:  # any failure to inspect is reported, never a traceback
            out.append(Diagnostic(entry.path, 0, 0, "", f"leak check could not read the file: "
                                                        f"{exc}"))
            continue
        # Every PDF object channel is also part of the catch-all, so a clean file needs only
        # the page texts and the catch-all searched; the rest only say where a leak is.
        first = [c for c in (*PAGE_TEXTS, CATCH_ALL) if c in channels]
        found, hits = _search(needles, channels, first)
        if found or not first:
            found, hits = _search(needles, channels, list(channels))
        if needles.images and data.startswith(b"%PDF"):
            for secret in image_leaks(data, needles.images):
                found.setdefault(secret, []).append("images")
        for secret, where in found.items():
            if len(where) > 1 and where[-1] == CATCH_ALL:
                where.pop()
            place = needles.places[secret]
            message = _message(entry, secret, place, where, hits.get(secret))
            if not secret.module:
                out.append(Diagnostic(place.file, 0, 0, place.field, message))
            else:
                out.append(Diagnostic(place.file, place.line, place.column, place.field, message))
    return sorted(out)
