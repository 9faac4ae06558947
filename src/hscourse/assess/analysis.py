"""Item analysis by classical test theory, over a students x items matrix of points.

Definitions (docs/grading.md), all over the students who took the quiz (n):
- total: the sum of a student's item points; summary SD with n - 1 (sample);
- alpha: Cronbach's alpha, k/(k-1) (1 - sum of item variances / variance of totals), sample
  variances throughout; for items scored 0/1 this is KR-20. SEM = SD sqrt(1 - alpha);
- facility: mean item score / item points;
- item_rest_correlation: Pearson's r between the item score and the total without the item;
- discrimination: facility in the top 27% of students by total minus the bottom 27%
  (g = round(0.27 n), at least 1; ties broken by the order of the rows);
- alpha_if_deleted: alpha of the other items;
- per option: how many chose it, the proportion of students, and Pearson's r between choosing
  it (0/1) and the rest score.
A correlation that is undefined (a constant item, option or rest score) is null.

Flags and their thresholds are in FLAGS; `negative-discrimination` names the module file and
line of the item and the option the top group chose most, since a negative item-rest
correlation is most often a wrong key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOP_SHARE = 0.27
FLAGS = {
    "too-easy": 0.90,  # facility above
    "too-hard": 0.20,  # facility below
    "weak-discrimination": 0.20,  # item-rest correlation below (and not negative)
    "negative-discrimination": 0.0,  # item-rest correlation below
    "non-functioning-distractor": 0.05,  # a wrong option chosen by fewer than this share
}
HISTOGRAM_BINS = 20


@dataclass
class OptionData:
    text: str
    correct: bool
    chosen: np.ndarray  # bool, one per student


@dataclass
class ItemData:
    """What analysis needs to know of an item besides its scores."""

    id: str
    file: str
    line: int
    points: float
    type: str = ""
    objectives: list[str] = field(default_factory=list)
    level: str = ""
    options: list[OptionData] | None = None


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r, or None when either variable is constant."""
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return None if denominator == 0 else float(dx @ dy) / denominator


def cronbach_alpha(scores: np.ndarray) -> float | None:
    """Cronbach's alpha of a students x items matrix (sample variances); None if undefined."""
    n, k = scores.shape
    if k < 2 or n < 2:
        return None
    total_var = scores.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return None
    return k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / total_var)


def alpha_if_deleted(scores: np.ndarray) -> list[float | None]:
    """Alpha of the matrix without each item, from shared sums (one pass, not k refits)."""
    n, k = scores.shape
    if k < 3 or n < 2:
        return [None] * k
    item_vars = scores.var(axis=0, ddof=1)
    rests = scores.sum(axis=1)[:, None] - scores
    rest_vars = rests.var(axis=0, ddof=1)
    out: list[float | None] = []
    for i in range(k):
        if rest_vars[i] == 0:
            out.append(None)
        else:
            out.append(float((k - 1) / (k - 2) * (1 - (item_vars.sum() - item_vars[i])
                                                  / rest_vars[i])))
    return out


def groups(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the bottom and top 27% by total (stable order breaks ties)."""
    n = len(totals)
    g = max(1, math.floor(TOP_SHARE * n + 0.5))
    order = np.argsort(totals, kind="stable")
    return order[:g], order[n - g:]


def histogram_edges(max_points: float) -> np.ndarray:
    """Bins of whole points (1, 2, 5... wide) when the maximum is whole, else 20 equal ones."""
    if max_points <= 0:
        return np.array([0.0, 1.0])
    if float(max_points).is_integer():
        width = next(w for w in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, max_points)
                     if max_points / w <= HISTOGRAM_BINS)
        return np.append(np.arange(0, max_points, width, dtype=float), float(max_points))
    return np.linspace(0, max_points, HISTOGRAM_BINS + 1)


def summary(totals: np.ndarray, scores: np.ndarray, max_points: float) -> dict[str, Any]:
    alpha = cronbach_alpha(scores)
    sd = float(totals.std(ddof=1)) if len(totals) > 1 else 0.0
    sem = sd * math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None
    counts, edges = np.histogram(totals, bins=histogram_edges(max_points))
    dichotomous = bool(np.isin(scores, (0, 1)).all()) if scores.size else False
    return {"mean": float(totals.mean()), "median": float(np.median(totals)), "sd": sd,
            "min": float(totals.min()), "max": float(totals.max()),
            "alpha": _number(alpha) if alpha is not None else None,
            "reliability_method": "KR-20" if dichotomous else "Cronbach's alpha",
            "sem": _number(sem) if sem is not None else None, "max_points": max_points,
            "histogram": [{"from": float(a), "to": float(b), "count": int(c)}
                          for a, b, c in zip(edges[:-1], edges[1:], counts)]}


def _options(item: ItemData, rest: np.ndarray, top: np.ndarray) -> list[dict[str, Any]]:
    n = len(rest)
    out = []
    for option in item.options or []:
        chosen = option.chosen.astype(float)
        out.append({"text": option.text, "correct": option.correct,
                    "count": int(option.chosen.sum()),
                    "proportion": float(option.chosen.sum()) / n if n else 0.0,
                    "correlation": pearson(chosen, rest),
                    "top_group_count": int(option.chosen[top].sum())})
    return out


def flags(item: ItemData, stats: dict[str, Any]) -> list[dict[str, str]]:
    """The flags of one analysed item, each with a message for the instructor."""
    out = []
    facility, r = stats["facility"], stats["item_rest_correlation"]
    if facility > FLAGS["too-easy"]:
        out.append({"flag": "too-easy", "message": f"{facility:.0%} of the points were scored"})
    if facility < FLAGS["too-hard"]:
        out.append({"flag": "too-hard", "message": f"only {facility:.0%} of the points were "
                                                   "scored"})
    if r is not None and r < FLAGS["negative-discrimination"]:
        options = stats["options"]
        top = max(options, key=lambda o: o["top_group_count"]) if options else None
        chose = (f"; the top group chose most often {top['text']!r}"
                 f"{' (the keyed answer)' if top['correct'] else ''}") if top else ""
        out.append({"flag": "negative-discrimination",
                    "message": f"check the key at {item.file}:{item.line}: students who did "
                               f"well on the rest of the quiz scored lower on this item "
                               f"(r = {r:.2f}){chose}",
                    **({"option": top["text"]} if top else {})})
    elif r is not None and r < FLAGS["weak-discrimination"]:
        out.append({"flag": "weak-discrimination",
                    "message": f"item-rest correlation {r:.2f} is below "
                               f"{FLAGS['weak-discrimination']:.2f}"})
    for option in stats["options"]:
        if not option["correct"] and option["proportion"] < FLAGS["non-functioning-distractor"]:
            out.append({"flag": "non-functioning-distractor", "option": option["text"],
                        "message": f"{option['text']!r} was chosen by "
                                   f"{option['proportion']:.1%} of students"})
    return out


def _means_by(items: list[ItemData], scores: np.ndarray, key: str) -> list[dict[str, Any]]:
    """Mean percent of the points per objective or per level, over the items naming it."""
    names: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        values = item.objectives if key == "objective" else ([item.level] if item.level else [])
        for name in values:
            names.setdefault(name, []).append(i)
    out = []
    for name, idx in sorted(names.items()):
        points = sum(items[i].points for i in idx)
        mean = float(scores[:, idx].sum(axis=1).mean()) / points if points else 0.0
        out.append({"id": name, "items": [items[i].id for i in idx], "mean_percent": 100 * mean})
    return out


def analyse(quiz: str, items: list[ItemData], scores: np.ndarray) -> dict[str, Any]:
    """The item analysis of a quiz: scores has one row per student, one column per item."""
    scores = np.asarray(scores, dtype=float)
    totals = scores.sum(axis=1)
    points = np.array([item.points for item in items], dtype=float)
    bottom, top = groups(totals)
    deleted = alpha_if_deleted(scores)
    analysed = []
    for i, item in enumerate(items):
        column = scores[:, i]
        rest = totals - column
        facility = float(column.mean()) / item.points
        stats: dict[str, Any] = {
            "id": item.id, "file": item.file, "line": item.line, "type": item.type,
            "points": item.points, "facility": facility,
            "item_rest_correlation": pearson(column, rest),
            "discrimination": float(column[top].mean() - column[bottom].mean()) / item.points,
            "alpha_if_deleted": deleted[i], "options": _options(item, rest, top)}
        stats["flags"] = flags(item, stats)
        analysed.append(stats)
    return {"quiz": quiz, "students": int(scores.shape[0]),
            "summary": summary(totals, scores, float(points.sum())), "items": analysed,
            "objectives": _means_by(items, scores, "objective"),
            "levels": _means_by(items, scores, "level"),
            "thresholds": {**FLAGS, "top_share": TOP_SHARE}}
