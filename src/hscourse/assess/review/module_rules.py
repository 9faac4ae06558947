"""The rules that judge a module (or the course) as a whole: key positions, objectives, the
level mix, dated facts, placeholders outside the quiz, and near-duplicate stems."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from hscourse.assess.review.core import Hit, Settings
from hscourse.assess.review.item_rules import brought_up_to_date, placeholder_hit, stale_hit
from hscourse.assess.review.text import content_stems, plain, quote, words
from hscourse.course.model import LETTERS, Module, located_strings
from hscourse.course.schema import BLOOM_LEVELS

HIGHER = BLOOM_LEVELS[2:]  # apply and above
# Verbs of Bloom's revised taxonomy (Anderson & Krathwohl 2001), most telling level first.
LEVEL_VERBS = {
    "create": ("design", "propose", "compose", "construct", "formulate", "devise", "plan",
               "draft", "invent"),
    "evaluate": ("evaluate", "assess", "judge", "justify", "critique", "weigh", "defend",
                 "argue", "appraise", "recommend", "decide", "convincing", "strongest",
                 "weakest", "best supported"),
    "analyse": ("analyse", "analyze", "compare", "contrast", "distinguish", "differentiate",
                "examine", "infer", "why might", "what explains", "attribute", "organise"),
    "apply": ("apply", "use", "calculate", "predict", "solve", "demonstrate", "classify this",
              "which principle", "would", "scenario", "imagine", "suppose"),
    "understand": ("explain", "describe", "summarise", "summarize", "interpret", "paraphrase",
                   "illustrate", "why", "main idea"),
}
VERB_PATTERNS = {level: re.compile(r"\b(?:" + "|".join(map(re.escape, verbs)) + r")\b")
                 for level, verbs in LEVEL_VERBS.items()}
WRITTEN = ("essay",)
SELECT_ALL = re.compile(r"select all that apply|choose all that apply|tick all that apply",
                        re.IGNORECASE)


def suggest_level(item: dict[str, Any]) -> tuple[str, str]:
    """A level for an item that names none, from the verbs of its stem, and the verb."""
    text = " ".join(words(SELECT_ALL.sub(" ", item["prompt"])))
    for level, pattern in VERB_PATTERNS.items():
        found = pattern.search(text)
        if found:
            return level, found.group(0)
    return ("evaluate", "essay") if item["type"] in WRITTEN else ("remember", "")


def objectives(module: Module) -> list[tuple[int, str | None, str]]:
    """(index, id or None, text) of each objective."""
    out = []
    for i, objective in enumerate(module.data.get("objectives", [])):
        if isinstance(objective, dict):
            out.append((i, objective["id"], objective["text"]))
        else:
            out.append((i, None, objective))
    return out


def named_objectives(item: dict[str, Any]) -> list[str]:
    named = item.get("objective", [])
    return [named] if isinstance(named, str) else list(named)


def objective_uncovered(module: Module) -> Iterator[Hit]:
    assessed = {name for item in module.data.get("quiz", []) for name in named_objectives(item)}
    for i, ident, text in objectives(module):
        if ident is None:
            yield Hit("objective-uncovered", ("objectives", i),
                      f"the objective {quote(text)} has no id, so no item can name it: write it "
                      "as {id, text, level} and name the id in the items that assess it")
        elif ident not in assessed:
            yield Hit("objective-uncovered", ("objectives", i, "id"),
                      f"no quiz item assesses objective {ident!r} ({quote(text)}): add an item "
                      f"with `objective: {ident}`, or drop the objective")


@dataclass
class LevelMix:
    points: dict[str, float]
    suggested: dict[str, tuple[str, str]]  # item id -> (level, verb) where no level is given

    def higher_share(self) -> float:
        total = sum(self.points.values())
        return sum(self.points[lv] for lv in HIGHER) / total if total else 1.0


def level_mix(module: Module) -> LevelMix:
    points = dict.fromkeys(BLOOM_LEVELS, 0.0)
    suggested = {}
    for item in module.data.get("quiz", []):
        level = item.get("level")
        if level is None:
            suggested[item["id"]] = suggest_level(item)
            level = suggested[item["id"]][0]
        points[level] += item["points"]
    return LevelMix(points, suggested)


def higher_order_share(module: Module, mix: LevelMix, settings: Settings
                       ) -> Iterator[tuple[str | None, Hit]]:
    """The module's share of points at apply or above; an info suggestion per unlevelled item."""
    for item_id, (level, verb) in mix.suggested.items():
        why = f"from the verb '{verb}'" if verb else "no higher-order verb in the stem"
        yield item_id, Hit("higher-order-share", ("id",),
                           f"no level given; suggested: {level} ({why}); this is a suggestion: "
                           f"confirm it with `level: {level}` or write the right one", "info")
    least = settings.thresholds["higher-order-min-share"]
    share = mix.higher_share()
    if module.data.get("quiz") and share < least:
        guessed = " (counting suggested levels)" if mix.suggested else ""
        yield None, Hit("higher-order-share", ("quiz",),
                        f"only {share:.0%} of the quiz's points are at apply or above{guessed} "
                        f"(at least {least:.0%} wanted): rewrite some recall items to ask "
                        "students to apply, analyse or evaluate")


def key_counts(quiz: list[dict[str, Any]]) -> tuple[Counter[int], dict[int, float], int]:
    """Keys per option position over single-choice items, the expected counts, the items."""
    items = [i for i in quiz if i["type"] == "single_choice"]
    observed: Counter[int] = Counter()
    expected: dict[int, float] = {}
    for item in items:
        n = len(item["options"])
        observed.update(j for j, o in enumerate(item["options"]) if o.get("correct"))
        for j in range(n):
            expected[j] = expected.get(j, 0.0) + 1 / n
    return observed, expected, len(items)


def key_position_balance(quiz: list[dict[str, Any]], settings: Settings,
                         where: str) -> Iterator[Hit]:
    observed, expected, n = key_counts(quiz)
    if n < settings.thresholds["key-position-min-items"]:
        return
    tolerance = settings.thresholds["key-position-tolerance"]
    off = [j for j, e in sorted(expected.items()) if abs(observed[j] - e) > tolerance * e]
    if off:
        counts = ", ".join(f"{LETTERS[j]} {observed[j]}" for j in sorted(expected))
        worst = ", ".join(f"{LETTERS[j]} ({observed[j]} against about {expected[j]:.0f})"
                          for j in off)
        yield Hit("key-position-balance", ("quiz",),
                  f"{where}: the keys of {n} single-choice items fall on {counts}; out of "
                  f"balance: {worst}: students who notice guess the favoured letter; move keys "
                  "so that each letter is the key about equally often")


def longest_key_share(quiz: list[dict[str, Any]], settings: Settings,
                      where: str) -> Iterator[Hit]:
    """The key is the longest option in more single-choice items than chance would give."""
    items = [i for i in quiz if i["type"] == "single_choice" and len(i["options"]) >= 3]
    if len(items) < settings.thresholds["key-position-min-items"]:
        return
    longest = 0
    for item in items:
        lengths = [len(plain(o["text"])) for o in item["options"]]
        keys = [j for j, o in enumerate(item["options"]) if o.get("correct")]
        longest += any(lengths[k] > max(n for j, n in enumerate(lengths) if j != k)
                       for k in keys)
    share, most = longest / len(items), settings.thresholds["longest-key-max-share"]
    if share > most:
        chance = sum(1 / len(i["options"]) for i in items)
        yield Hit("longest-option-correct", ("quiz",),
                  f"{where}: the key is the longest option in {longest} of {len(items)} "
                  f"single-choice items ({share:.0%}; about {chance:.0f} by chance, at most "
                  f"{most:.0%} wanted): students learn to pick the longest option; lengthen "
                  "distractors or shorten keys")


def latest_update(module: Module) -> str | None:
    return max((u["date"] for u in module.data.get("updates", [])), default=None)


def stale_module(module: Module, settings: Settings) -> Iterator[Hit]:
    data = module.data
    updated = latest_update(module)
    if "as_of" in data:
        latest = max(data["as_of"], updated or data["as_of"])
        hit = stale_hit(("as_of",), latest, settings, "the module's" if latest == data["as_of"]
                        else "the module's latest update,")
        if hit:
            yield hit
    for i, reading in enumerate(data.get("readings", [])):
        if "as_of" in reading and not brought_up_to_date(reading["as_of"], updated, settings):
            hit = stale_hit(("readings", i, "as_of"), reading["as_of"], settings,
                            f"the reading {reading['id']!r}")
            if hit:
                yield hit


def module_placeholders(module: Module) -> Iterator[Hit]:
    draft = bool(module.data.get("draft"))
    for path, text in located_strings({k: v for k, v in module.data.items() if k != "quiz"}):
        if path[-1:] not in (("id",), ("date",), ("as_of",)):
            hit = placeholder_hit(path, text, draft)
            if hit:
                yield hit


def shown_text(item: dict[str, Any]) -> str:
    """The stem, with the entries of a matching or ordering item (whose stem alone, 'Put
    these in order', says nothing of what it asks)."""
    parts = [item["prompt"]] + item.get("correct_order", [])
    parts += [p[k] for p in item.get("pairs", []) for k in p]
    return plain("\n".join(parts))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def duplicate_items(entries: list[tuple[str, dict[str, Any]]], settings: Settings
                    ) -> Iterator[tuple[str, Hit]]:
    """(item id, hit) for each item whose stem nearly repeats an earlier item's anywhere in
    the course: content-word stems compared by Jaccard similarity, so rewordings count."""
    least = settings.thresholds["duplicate-similarity"]
    words_needed = settings.thresholds["duplicate-min-words"]
    stems = [(module_id, item, content_stems(shown_text(item))) for module_id, item in entries]
    for (m1, first, a), (m2, second, b) in combinations(stems, 2):
        if min(len(a), len(b)) >= words_needed and _similarity(a, b) >= least:
            where = "" if m1 == m2 else f" in module {m1!r}"
            yield second["id"], Hit(
                "duplicate-item", ("prompt",),
                f"the stem nearly repeats item {first['id']!r}{where} ({_similarity(a, b):.0%} "
                f"of content words shared: {quote(first['prompt'], 50)}): one item can give "
                "the other's answer away; drop one or ask about something else")
