"""Reading one scanned answer-sheet page: where it is, whose it is, which bubbles are filled.

1. The QR code (zxing-cpp) names quiz, form and page, and its four corners, which zxing gives
   in the symbol's own orientation, say which way up the page lies.
2. Those corners predict where the four corner markers are; each is found as the solid dark
   blob nearest its prediction (OpenCV connected components), and the page is warped from
   the four marker centres onto the layout (a homography: rotation, skew, scale, perspective).
3. Each bubble's inner disc is measured against the page's own levels: paper (a local
   background estimate, so uneven lighting in a photo does not matter) and ink (the printed
   markers). A bubble is filled, empty or unsure; a question whose bubbles are not all clearly
   filled or empty, or a single-choice question with two marks, is flagged, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from hscourse.assess.sheets import parse_qr

SCALE = 2.0  # pixels per point of the page warped onto its layout
INNER = 0.8  # the measured disc's radius, as a share of the bubble's (leaves out the outline)
DARK = 0.6  # a pixel counts as ink when at least this far from paper towards ink
FILLED_SHARE = 0.12  # filled: at least this share of the disc is ink (crosses and ticks pass)
EMPTY_SHARE = 0.03  # empty: at most this share is ink...
EMPTY_MEAN = 0.14  # ...and the disc's mean darkness is at most this (erasures, light marks fail)
WORKING = 1400  # long side (pixels) of the copy the QR code and markers are looked for in
MARKER_REACH = 0.3  # how far (share of the page diagonal) a marker may be from its prediction
REGISTRATION_TOLERANCE = 4.0  # points: how far the QR corners may land from the layout's


@dataclass
class Flag:
    """Something the instructor decides: a question, the student ID or the whole page."""

    field: str  # a question number, "student_id" or "page"
    found: str  # what the reader saw, in words
    crop: bytes = b""  # PNG of the place on the page
    options: tuple[str, ...] = ()  # the letters a decision may use (questions)
    kind: str = ""  # single_choice, multiple_answer, true_false (questions)


@dataclass
class PageRead:
    """What one scanned page says. `answers` holds only clear decisions; everything else is
    in `flags`. `sheet` is (form, sheet page) when the QR code was read."""

    file: str
    index: int  # 1-based position of the image in its file
    quiz: str = ""
    sheet: tuple[str, int] | None = None
    student_id: str | None = None
    qr_student: str = ""
    answers: dict[int, str] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)


def reduced(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """A copy with its long side at most WORKING pixels (QR code and markers are looked for
    there, which is much faster than at 300 dpi), and its scale factor."""
    factor = min(1.0, WORKING / max(gray.shape))
    if factor == 1.0:
        return gray, 1.0
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), factor


def read_qr(gray: np.ndarray, small: np.ndarray, factor: float
            ) -> tuple[dict[str, Any], np.ndarray] | None:
    """The hscourse QR payload and its corners (TL, TR, BR, BL of the symbol) in image pixels,
    looked for in the reduced copy first, then at full resolution."""
    import zxingcpp

    qr_only: Any = zxingcpp.BarcodeFormat.QRCode  # a format set in some releases' stubs
    for image, scale in ((small, factor), (gray, 1.0)):
        for code in zxingcpp.read_barcodes(image, formats=qr_only):
            payload = parse_qr(code.text)
            if payload is not None:
                p = code.position
                corners = np.array([[q.x, q.y] for q in (p.top_left, p.top_right,
                                                         p.bottom_right, p.bottom_left)],
                                   dtype=np.float32) / scale
                return payload, corners
        if scale == 1.0:
            break
    return None


def qr_corners(page: dict[str, Any]) -> np.ndarray:
    q = page["qr"]
    x, y, s = q["x"], q["y"], q["size"]
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], dtype=np.float32)


def points(items: list[dict[str, Any]]) -> np.ndarray:
    return np.array([[c["x"], c["y"]] for c in items], dtype=np.float32)


def marker_candidates(small: np.ndarray, factor: float, radius: float) -> np.ndarray:
    """Centres (full-image pixels) of every solid, roundish dark blob about the size of a
    marker, found in the reduced copy with a local threshold (photos are lit unevenly)."""
    r = radius * factor
    block = int(6 * r) | 1
    ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                block, 12)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    expected = np.pi * r * r
    keep = ((area >= 0.45 * expected) & (area <= 2.8 * expected)
            & (w <= 1.6 * h) & (h <= 1.6 * w) & (area >= 0.6 * w * h))
    return centroids[1:][keep] / factor


def find_markers(small: np.ndarray, factor: float, page: dict[str, Any], qr: np.ndarray
                 ) -> np.ndarray | None:
    """The four marker centres in image pixels (layout order), or None if one is missing.

    The QR code's three finder corners (exact, unlike the fourth) give an affine map between
    layout and image, good enough to say which way is up but not to predict the far corners
    of a photographed page; so each marker is the candidate blob furthest out towards its
    corner of the page, and must lie within reach of its prediction."""
    to_layout = cv2.getAffineTransform(qr[[0, 1, 3]], qr_corners(page)[[0, 1, 3]])
    scale = float(np.linalg.norm(qr[1] - qr[0]) + np.linalg.norm(qr[3] - qr[0])) / (
        2 * page["qr"]["size"])
    candidates = marker_candidates(small, factor, page["markers"][0]["r"] * scale)
    if len(candidates) < 4:
        return None
    mapped = cv2.transform(candidates[None].astype(np.float32), to_layout)[0]
    expected = points(page["markers"])
    reach = MARKER_REACH * float(np.hypot(page["width"], page["height"]))
    centre = expected.mean(axis=0)
    found = []
    for target in expected:
        outward = (mapped - centre) @ (target - centre)
        near = np.linalg.norm(mapped - target, axis=1) <= reach
        if not near.any():
            return None
        best = int(np.argmax(np.where(near, outward, -np.inf)))
        found.append(candidates[best])
    return np.array(found, dtype=np.float32)


def registered(page: dict[str, Any], found: np.ndarray, qr: np.ndarray) -> bool:
    """Whether the markers and the QR code agree: the code's finder corners, mapped through
    the marker homography, land where the layout has them (else a wrong blob was taken)."""
    matrix = cv2.getPerspectiveTransform(found, points(page["markers"]))
    corners = cv2.perspectiveTransform(qr[None], matrix)[0][[0, 1, 3]]
    error = np.linalg.norm(corners - qr_corners(page)[[0, 1, 3]], axis=1).max()
    return bool(error <= REGISTRATION_TOLERANCE)


def warp(gray: np.ndarray, page: dict[str, Any], found: np.ndarray) -> np.ndarray:
    """The page warped onto its layout at SCALE pixels per point."""
    target = points(page["markers"]) * SCALE
    matrix = cv2.getPerspectiveTransform(found, target)
    size = (round(page["width"] * SCALE), round(page["height"] * SCALE))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def markers_solid(page_image: np.ndarray, page: dict[str, Any]) -> bool:
    """Whether each marker, on the warped page, is a solid dark disc of the marker's size (so
    no smaller blob, such as a filled bubble, was taken for a missing marker)."""
    r = page["markers"][0]["r"] * SCALE
    dy, dx = disc_offsets(1.6 * r)
    for centre in np.round(points(page["markers"]) * SCALE).astype(int):
        values = page_image[np.clip(centre[1] + dy, 0, page_image.shape[0] - 1),
                            np.clip(centre[0] + dx, 0, page_image.shape[1] - 1)]
        paper, ink = np.percentile(values, 95), np.percentile(values, 5)
        dark = np.count_nonzero(values < (paper + ink) / 2)
        if paper - ink < 40 or not 0.7 * np.pi * r * r <= dark <= 1.35 * np.pi * r * r:
            return False
    return True


def paper_level(page_image: np.ndarray) -> np.ndarray:
    """A local estimate of the paper's brightness everywhere: ink removed by a max filter on
    a small copy, then smoothed and scaled back (uneven light in photos, copier gradients)."""
    small = cv2.resize(page_image, None, fx=1 / 8, fy=1 / 8, interpolation=cv2.INTER_AREA)
    small = cv2.dilate(small, np.ones((5, 5), np.uint8))
    small = cv2.GaussianBlur(small, (0, 0), 3)
    return cv2.resize(small, (page_image.shape[1], page_image.shape[0]),
                      interpolation=cv2.INTER_LINEAR).astype(np.float32)


def disc_offsets(radius: float) -> tuple[np.ndarray, np.ndarray]:
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    inside = dx * dx + dy * dy <= radius * radius
    return dy[inside], dx[inside]


def darkness(page_image: np.ndarray, paper: np.ndarray, circles: list[dict[str, Any]],
             ink_contrast: float) -> np.ndarray:
    """Per circle, the darkness of every pixel of its inner disc (0 paper, 1 ink)."""
    centres = np.round(points(circles) * SCALE).astype(int)
    dy, dx = disc_offsets(circles[0]["r"] * SCALE * INNER)
    ys = np.clip(centres[:, 1:2] + dy[None], 0, page_image.shape[0] - 1)
    xs = np.clip(centres[:, 0:1] + dx[None], 0, page_image.shape[1] - 1)
    values = (paper[ys, xs] - page_image[ys, xs]) / ink_contrast
    return np.clip(values, 0.0, 1.0)


def ink_contrast(page_image: np.ndarray, paper: np.ndarray, page: dict[str, Any]) -> float:
    """How much darker than paper the printed markers are: the page's own ink level."""
    centres = np.round(points(page["markers"]) * SCALE).astype(int)
    dy, dx = disc_offsets(page["markers"][0]["r"] * SCALE * 0.6)
    ys, xs = centres[:, 1:2] + dy[None], centres[:, 0:1] + dx[None]
    contrast = float(np.median(paper[ys, xs] - page_image[ys, xs]))
    return max(contrast, 40.0)


def bubble_states(values: np.ndarray) -> list[str]:
    """filled, empty or unsure for each row of per-pixel darkness."""
    share = (values >= DARK).mean(axis=1)
    mean = values.mean(axis=1)
    states = []
    for s, m in zip(share, mean):
        if s >= FILLED_SHARE:
            states.append("filled")
        elif s <= EMPTY_SHARE and m <= EMPTY_MEAN:
            states.append("empty")
        else:
            states.append("unsure")
    return states


def png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    return data.tobytes() if ok else b""


def crop(page_image: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> bytes:
    """A PNG of the layout rectangle (points) on the warped page."""
    h, w = page_image.shape
    a, b = max(0, int(x0 * SCALE)), max(0, int(y0 * SCALE))
    return png(page_image[b:min(h, int(y1 * SCALE)), a:min(w, int(x1 * SCALE))])


def thumbnail(gray: np.ndarray, width: int = 500) -> bytes:
    factor = min(1.0, width / gray.shape[1])
    return png(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))


def describe(letters: tuple[str, ...], states: list[str]) -> str:
    """'A filled, C unsure' (what a flagged row shows)."""
    parts = [f"{letter} {state}" for letter, state in zip(letters, states) if state != "empty"]
    return ", ".join(parts) or "nothing marked"


def read_question(row: dict[str, Any], states: list[str]) -> tuple[str | None, str]:
    """(answer, '') when the row is clear, (None, why) when it needs a decision."""
    letters = tuple(b["option"] for b in row["bubbles"])
    filled = [letter for letter, state in zip(letters, states) if state == "filled"]
    if "unsure" in states:
        return None, describe(letters, states)
    if row["type"] != "multiple_answer" and len(filled) > 1:
        return None, f"{len(filled)} marks on a one-answer question: " + describe(letters, states)
    return "".join(filled), ""


def read_id(page: dict[str, Any], states: list[str], digits: int) -> tuple[str | None, str]:
    """The bubbled student ID, or None and why (a column without exactly one clear mark)."""
    out, problems = [], []
    for position in range(1, digits + 1):
        column = [(b["digit"], s) for b, s in zip(page["id_bubbles"], states)
                  if b["position"] == position]
        filled = [d for d, s in column if s == "filled"]
        unsure = [d for d, s in column if s == "unsure"]
        if len(filled) == 1 and not unsure:
            out.append(str(filled[0]))
        else:
            seen = ", ".join([f"{d} filled" for d in filled] + [f"{d} unsure" for d in unsure])
            problems.append(f"digit {position}: {seen or 'nothing marked'}")
    return ("".join(out), "") if not problems else (None, "; ".join(problems))


def id_crop(page_image: np.ndarray, page: dict[str, Any]) -> bytes:
    xs = [b["x"] for b in page["id_bubbles"]]
    ys = [b["y"] for b in page["id_bubbles"]] + [page["id_boxes"][0]["y"]]
    return crop(page_image, min(xs) - 12, min(ys) - 14, max(xs) + 12, max(ys) + 10)


def row_crop(page_image: np.ndarray, row: dict[str, Any]) -> bytes:
    last = row["bubbles"][-1]
    return crop(page_image, row["x"] - 4, row["y"] - 11, last["x"] + last["r"] + 8, row["y"] + 11)


def read_bubbles(result: PageRead, page_image: np.ndarray, page: dict[str, Any],
                 layout: dict[str, Any]) -> None:
    """Fill result's student ID, answers and flags from the warped page."""
    paper = paper_level(page_image)
    contrast = ink_contrast(page_image, paper, page)
    id_states = bubble_states(darkness(page_image, paper, page["id_bubbles"], contrast))
    read_identity(result, page_image, page, layout, id_states)
    if not page["bubbles"]:
        return
    states = iter(bubble_states(darkness(page_image, paper, page["bubbles"], contrast)))
    for row in page["rows"]:
        if "bubbles" not in row:
            continue
        row_states = [next(states) for _ in row["bubbles"]]
        answer, why = read_question(row, row_states)
        if answer is None:
            result.flags.append(Flag(str(row["question"]), why, row_crop(page_image, row),
                                     tuple(b["option"] for b in row["bubbles"]), row["type"]))
        else:
            result.answers[row["question"]] = answer


def read_identity(result: PageRead, page_image: np.ndarray, page: dict[str, Any],
                  layout: dict[str, Any], states: list[str]) -> None:
    """The student: from the QR code of a personalised sheet (checked against the bubbles
    when those were read), else from the bubbles; flagged when neither is certain."""
    bubbled, why = read_id(page, states, layout["id_digits"])
    if result.qr_student:
        if bubbled is not None and bubbled != result.qr_student:
            why = f"the code says {result.qr_student}, the bubbles say {bubbled}"
        else:
            result.student_id = result.qr_student
            return
    elif bubbled is not None:
        result.student_id = bubbled
        return
    result.flags.append(Flag("student_id", why, id_crop(page_image, page)))


def read_page(gray: np.ndarray, layouts: dict[str, dict[str, Any]], file: str,
              index: int) -> PageRead:
    """Read one scanned page (a grayscale image) against the layouts of its quiz, by form."""
    result = PageRead(file, index)
    small, factor = reduced(gray)
    found_qr = read_qr(gray, small, factor)
    if found_qr is None:
        return unreadable(result, gray, "no answer-sheet code found (not a sheet, or too "
                                        "blurred or cut off to read)")
    payload, qr = found_qr
    quiz = next(iter(layouts.values()))["quiz"]
    result.quiz, result.qr_student = str(payload.get("quiz")), str(payload.get("student", ""))
    layout = layouts.get(str(payload.get("form")))
    if payload.get("quiz") != quiz or layout is None:
        return unreadable(result, gray, f"a sheet of quiz {payload.get('quiz')!r}, form "
                                        f"{payload.get('form')!r}, not of {quiz!r}")
    pages = {p["page"]: p for p in layout["pages"]}
    page = pages.get(payload.get("page"))
    if page is None:
        return unreadable(result, gray, f"page {payload.get('page')!r} is not on this form")
    result.sheet = (layout["form"], page["page"])
    found = find_markers(small, factor, page, qr)
    if found is None:
        return unreadable(result, gray, "a corner marker is missing (cut off or covered)")
    if not registered(page, found, qr):
        return unreadable(result, gray, "the corner markers and the code disagree (a mark "
                                        "or a fold near a corner?)")
    page_image = warp(gray, page, found)
    if not markers_solid(page_image, page):
        return unreadable(result, gray, "a corner marker is missing or smudged")
    read_bubbles(result, page_image, page, layout)
    return result


def unreadable(result: PageRead, gray: np.ndarray, why: str) -> PageRead:
    result.flags.append(Flag("page", why, thumbnail(gray)))
    return result
