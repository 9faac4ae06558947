"""A scan simulator: answer sheets filled in by pen and passed through a copier or a phone.

Sheets are rendered by hscourse (WeasyPrint) and rasterised at 150, 200 or 300 dpi
(pypdfium2); pen marks are drawn where the layout puts the bubbles: filled bubbles of varied
darkness, size and shape, ticks and crosses (clear marks), light marks and half-erased marks
(ambiguous), and two marks on one-answer questions (ambiguous). Pages are then rotated up to
5 degrees either way (some upside down or sideways), scaled by up to 3%, shifted, blurred,
given noise and JPEG artefacts, and some thresholded to black and white. `photo` makes a page
photographed at an angle: perspective, uneven light, on a desk.

Every page derives from (seed, index) alone, so a set is the same on every run. The truth of
each page says, per question, the answer a reader must give, or AMBIGUOUS when it must flag.

On black-and-white pages no light or erased marks are drawn: a copier's threshold turns them
into clean paper or solid ink, so what they were is gone before any reader sees the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

AMBIGUOUS = "?"
PAPER = 250


@dataclass
class Truth:
    form: str
    page: int
    student_id: str
    id_clear: bool
    answers: dict[int, str] = field(default_factory=dict)  # AMBIGUOUS where a flag is due


@dataclass
class SimPage:
    image: np.ndarray
    truth: Truth
    dpi: int
    style: str  # "scan", "bw" or "photo"
    jpeg_quality: int = 0


def rasterise(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """Every page of a PDF as a grayscale image."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    return [document[i].render(scale=dpi / 72, grayscale=True).to_numpy().copy()
            for i in range(len(document))]


class Pen:
    """Draws marks into an image at `ppt` pixels per point.

    Each mark is drawn into a white layer over the part of the page around its bubble (as far
    as any mark on it reaches, with room to spare), which then darkens that part only: the
    same pixels as a layer over the whole page, without copying the page for every mark."""

    def __init__(self, image: np.ndarray, ppt: float, rng: np.random.Generator):
        self.image, self.ppt, self.rng = image, ppt, rng

    def _layer(self, bubble: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A white layer, the part of the page under it and the layer's origin (x, y)."""
        reach = int((2 * bubble["r"] + 4) * self.ppt) + 4
        x, y = int(bubble["x"] * self.ppt), int(bubble["y"] * self.ppt)
        x0, y0 = max(x - reach, 0), max(y - reach, 0)
        part = self.image[y0:y + reach, x0:x + reach]
        return np.full_like(part, 255), part, np.array([x0, y0])

    @staticmethod
    def _apply(layer: np.ndarray, part: np.ndarray) -> None:
        np.minimum(part, layer, out=part)

    def _centre(self, bubble: dict[str, Any], jitter: float = 0.8) -> tuple[int, int]:
        dx, dy = self.rng.uniform(-jitter, jitter, 2)
        return int((bubble["x"] + dx) * self.ppt), int((bubble["y"] + dy) * self.ppt)

    def fill(self, bubble: dict[str, Any], level: int) -> None:
        """A filled bubble: an ellipse of varied size and angle, with a few pen strokes."""
        layer, part, origin = self._layer(bubble)
        r = bubble["r"] * self.ppt
        axes = (int(r * self.rng.uniform(0.85, 1.2)), int(r * self.rng.uniform(0.8, 1.15)))
        centre = tuple(int(c) for c in np.array(self._centre(bubble)) - origin)
        cv2.ellipse(layer, centre, axes, float(self.rng.uniform(0, 180)), 0, 360, int(level),
                    -1, cv2.LINE_AA)
        self._apply(layer, part)

    def stroke(self, bubble: dict[str, Any], level: int, shape: str) -> None:
        """A tick or a cross over the bubble, in a pen line of 1.3 to 2.2 points."""
        layer, part, origin = self._layer(bubble)
        r = bubble["r"] * self.ppt
        x, y = self._centre(bubble, 0.5)
        width = max(1, int(self.rng.uniform(1.3, 2.2) * self.ppt))
        if shape == "cross":
            for sign in (1, -1):
                ends = np.array([[int(x - r), int(y - sign * r)],
                                 [int(x + r), int(y + sign * r)]]) - origin
                cv2.line(layer, tuple(int(c) for c in ends[0]), tuple(int(c) for c in ends[1]),
                         int(level), width, cv2.LINE_AA)
        else:
            pts = np.array([[x - r, y], [x - 0.2 * r, y + 0.9 * r], [x + 1.1 * r, y - 1.1 * r]],
                           dtype=np.int32) - origin.astype(np.int32)
            cv2.polylines(layer, [pts], False, int(level), width, cv2.LINE_AA)
        self._apply(layer, part)

    def clear(self, bubble: dict[str, Any]) -> None:
        level = int(self.rng.uniform(10, 60))
        shape = self.rng.choice(["fill", "fill", "fill", "fill", "cross", "tick"])
        if shape == "fill":
            self.fill(bubble, level)
        else:
            self.stroke(bubble, level, str(shape))

    def light(self, bubble: dict[str, Any]) -> None:
        """A faint mark: a fill at 25-42% of full darkness."""
        self.fill(bubble, int(PAPER * (1 - self.rng.uniform(0.25, 0.42))))

    def erased(self, bubble: dict[str, Any]) -> None:
        """A half-erased fill: a grey smudge with specks of what was left."""
        self.fill(bubble, int(PAPER * (1 - self.rng.uniform(0.18, 0.35))))
        layer, part, origin = self._layer(bubble)
        for _ in range(int(self.rng.integers(3, 9))):
            x, y = np.array(self._centre(bubble, bubble["r"] * 0.6)) - origin
            cv2.circle(layer, (int(x), int(y)), max(1, int(0.5 * self.ppt)),
                       int(self.rng.uniform(60, 140)), -1)
        self._apply(layer, part)


def mark_question(pen: Pen, row: dict[str, Any], rng: np.random.Generator, bw: bool) -> str:
    """Mark one row as a student might; the answer a reader must give, or AMBIGUOUS."""
    bubbles = row["bubbles"]
    letters = [b["option"] for b in bubbles]
    single = row["type"] != "multiple_answer"
    roll = rng.random()
    if single:
        chosen = [int(rng.integers(len(bubbles)))]
    else:
        chosen = sorted(rng.choice(len(bubbles), int(rng.integers(1, 4)), replace=False).tolist())
    if roll < 0.1:
        return ""
    for i in chosen:
        pen.clear(bubbles[i])
    others = [i for i in range(len(bubbles)) if i not in chosen]
    if roll < 0.16 and single and others:
        pen.clear(bubbles[int(rng.choice(others))])
        return AMBIGUOUS
    if roll < 0.22 and not bw and others:
        pen.light(bubbles[int(rng.choice(others))])
        return AMBIGUOUS
    if roll < 0.28 and not bw and others:
        pen.erased(bubbles[int(rng.choice(others))])
        return AMBIGUOUS
    return "".join(letters[i] for i in chosen)


def mark_id(pen: Pen, page: dict[str, Any], student: str, rng: np.random.Generator,
            bw: bool) -> bool:
    """Bubble the student ID; sometimes a digit is left out, doubled or faint. Clear or not."""
    problem = rng.random() < 0.06
    spoiled = int(rng.integers(len(student))) if problem else -1
    for position, digit in enumerate(student, start=1):
        column = [b for b in page["id_bubbles"] if b["position"] == position]
        if position - 1 != spoiled:
            pen.clear(column[int(digit)])
            continue
        kind = rng.choice(["missing", "double"] if bw else ["missing", "double", "light"])
        if kind == "double":
            pen.clear(column[int(digit)])
            pen.clear(column[(int(digit) + 1 + int(rng.integers(9))) % 10])
        elif kind == "light":
            pen.light(column[int(digit)])
    return not problem


def degrade(image: np.ndarray, rng: np.random.Generator, ppt: float) -> np.ndarray:
    """A copier's work: the page lies on a larger bed, rotated (some pages upside down or
    sideways), scaled, shifted; then blur and noise."""
    h, w = image.shape
    angle = float(rng.uniform(-5, 5))
    turn = int(rng.choice([0, 0, 0, 0, 0, 0, 180, 90]))
    scale = float(rng.uniform(0.97, 1.03))
    bed = (int(h * 1.08), int(w * 1.12)) if turn == 90 else (int(w * 1.12), int(h * 1.08))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle + turn, scale)
    matrix[:, 2] += (bed[0] - w) / 2 + rng.uniform(-0.015, 0.015) * w, \
        (bed[1] - h) / 2 + rng.uniform(-0.01, 0.01) * h
    out = cv2.warpAffine(image, matrix, bed, flags=cv2.INTER_LINEAR,
                         borderValue=int(rng.uniform(200, 255)))
    sigma = float(rng.uniform(0, 0.35)) * ppt
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    noise = rng.standard_normal(out.shape, dtype=np.float32)  # the page's work, in place:
    noise *= float(rng.uniform(0, 7))                         # the pixels of noise * s + out
    noise += out
    return np.clip(noise, 0, 255, out=noise).astype(np.uint8)


def photograph(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A page photographed at an angle: perspective, a light gradient, on a dark desk."""
    h, w = image.shape
    pad = int(0.12 * w)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    squeeze = rng.uniform(0.04, 0.12) * w
    dst = np.float32([[pad + squeeze, pad + rng.uniform(0, 0.05) * h],
                      [pad + w - squeeze * rng.uniform(0.3, 1), pad],
                      [pad + w + rng.uniform(0, 0.04) * w, pad + h],
                      [pad - rng.uniform(0, 0.04) * w, pad + h - rng.uniform(0, 0.03) * h]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    size = (w + 2 * pad, h + 2 * pad)
    out = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderValue=55)
    ramp = np.linspace(float(rng.uniform(0.6, 0.75)), 1.0, size[0], dtype=np.float32)
    out = out.astype(np.float32) * ramp[None, :]
    out = cv2.GaussianBlur(out, (0, 0), 1.0)
    noise = rng.standard_normal(out.shape, dtype=np.float32) * 4
    return np.clip(out + noise, 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


class Simulator:
    """Simulated scans of answer sheets: `sheets` maps form -> (layout, PDF bytes)."""

    def __init__(self, sheets: dict[str, tuple[dict[str, Any], bytes]], seed: int = 19,
                 dpis: tuple[int, ...] = (150, 200, 300)):
        self.sheets, self.seed, self.dpis = sheets, seed, dpis
        self.blanks: dict[tuple[str, int], list[np.ndarray]] = {}

    def blank(self, form: str, page: int, dpi: int) -> np.ndarray:
        if (form, dpi) not in self.blanks:
            self.blanks[form, dpi] = rasterise(self.sheets[form][1], dpi)
        return self.blanks[form, dpi][page - 1]

    def page(self, index: int, style: str | None = None) -> SimPage:
        rng = np.random.default_rng([self.seed, index])
        form = sorted(self.sheets)[int(rng.integers(len(self.sheets)))]
        layout = self.sheets[form][0]
        page = layout["pages"][int(rng.integers(len(layout["pages"])))]
        dpi = int(rng.choice(self.dpis))
        style = style or str(rng.choice(["scan"] * 7 + ["bw"] * 2 + ["photo"]))
        bw = style == "bw"
        image = self.blank(form, page["page"], dpi).copy()
        ppt = dpi / 72
        pen = Pen(image, ppt, rng)
        student = "".join(str(d) for d in rng.integers(0, 10, layout["id_digits"]))
        truth = Truth(form, page["page"], student, mark_id(pen, page, student, rng, bw))
        for row in page["rows"]:
            if "bubbles" in row:
                truth.answers[row["question"]] = mark_question(pen, row, rng, bw)
        if style == "photo":
            image = photograph(image, rng)
        else:
            image = degrade(image, rng, ppt)
        if bw:
            image = np.where(image < rng.uniform(110, 150), 0, 255).astype(np.uint8)
        quality = int(rng.integers(55, 92)) if rng.random() < 0.6 else 0
        if quality:
            image = jpeg(image, quality)
        return SimPage(image, truth, dpi, style, quality)


def synthetic_sheet(form: str, questions: int = 45, digits: int = 8) -> Any:
    """A sheet of `questions` bubble questions of every kind (more bubbles per page than the
    shipped course's quizzes give), for measuring the reader."""
    from hscourse.assess.sheets import Question, Sheet

    rng = np.random.default_rng(ord(form))
    items = []
    for number in range(1, questions + 1):
        kind = str(rng.choice(["single_choice"] * 3 + ["multiple_answer", "true_false"]))
        options = ("T", "F") if kind == "true_false" else \
            tuple("ABCDEFGH"[:int(rng.integers(3, 7))])
        items.append(Question(number, kind, options))
    return Sheet("HSC 210", "Spring 2027", "water-conflict", "Water conflict", form,
                 tuple(items), "A4", digits)


def render_sheets(course: Any, sheets: list[Any]) -> dict[str, tuple[dict[str, Any], bytes]]:
    """form -> (layout, PDF) of each sheet, rendered as the build renders them."""
    from hscourse.assess.sheets import layout, sheet_html
    from hscourse.render.pdf import write_pdf

    return {s.form: (layout(s), write_pdf(sheet_html(course, s), course.root,
                                          date=course.settings.date))
            for s in sheets}


@dataclass
class Tally:
    """The reader's record against the truth."""

    clear: int = 0
    clear_right: int = 0
    clear_flagged: int = 0
    clear_wrong: int = 0
    ambiguous: int = 0
    ambiguous_flagged: int = 0
    ids: int = 0
    ids_right: int = 0
    ids_flagged: int = 0
    ids_wrong: int = 0
    ids_ambiguous_flagged: int = 0
    ids_ambiguous: int = 0
    pages: int = 0
    unreadable: int = 0

    def add(self, truth: Truth, read: Any) -> None:
        self.pages += 1
        flagged = {flag.field for flag in read.flags}
        if "page" in flagged:
            self.unreadable += 1
            return
        self.ids += 1
        if truth.id_clear:
            self.ids_right += read.student_id == truth.student_id
        else:
            self.ids_ambiguous += 1
            self.ids_ambiguous_flagged += "student_id" in flagged
        self.ids_flagged += "student_id" in flagged
        self.ids_wrong += read.student_id is not None and read.student_id != truth.student_id
        for number, answer in truth.answers.items():
            if answer == AMBIGUOUS:
                self.ambiguous += 1
                self.ambiguous_flagged += str(number) in flagged
            else:
                self.clear += 1
                if str(number) in flagged:
                    self.clear_flagged += 1
                elif read.answers.get(number) == answer:
                    self.clear_right += 1
                else:
                    self.clear_wrong += 1

    def rates(self) -> dict[str, float]:
        return {"clear_correct": self.clear_right / max(1, self.clear),
                "ambiguous_flagged": self.ambiguous_flagged / max(1, self.ambiguous),
                "ids_silently_wrong": float(self.ids_wrong),
                "unreadable_pages": self.unreadable / max(1, self.pages)}

    def report(self) -> str:
        r = self.rates()
        return (f"{self.pages} pages ({self.unreadable} unreadable, flagged for review); "
                f"clear marks read right {self.clear_right}/{self.clear} = "
                f"{100 * r['clear_correct']:.2f}% (goal >= 99.9%; {self.clear_flagged} flagged, "
                f"{self.clear_wrong} silently wrong); ambiguous flagged "
                f"{self.ambiguous_flagged}/{self.ambiguous} = "
                f"{100 * r['ambiguous_flagged']:.1f}% (goal 100%); student IDs silently wrong "
                f"{self.ids_wrong} of {self.ids} (goal 0; {self.ids_flagged} flagged, "
                f"{self.ids_ambiguous_flagged}/{self.ids_ambiguous} spoiled IDs among them)")
