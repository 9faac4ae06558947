"""The rules that judge one quiz item on its own (and against its module's notes).

Each rule takes an `ItemContext` and yields `Hit`s whose paths are relative to the item.
Messages quote the evidence and say how to fix it; docs/review-rules.md has an example of each.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hscourse.assess.review.core import Hit, Settings
from hscourse.assess.review.text import (
    ABSOLUTE_WORDS,
    NEGATIVE_WORDS,
    STOPWORDS,
    VAGUE_STATEMENT_WORDS,
    VAGUE_WORDS,
    content_stems,
    numbers,
    phrase_pattern,
    plain,
    quote,
    stem,
    words,
)
from hscourse.course.load import load_file
from hscourse.course.model import located_strings
from hscourse.errors import did_you_mean

CHOICE = ("single_choice", "multiple_answer")
ALL_ABOVE = re.compile(r"\b(?:all|each|every\s+one)\s+(?:of\s+)?(?:the\s+)?"
                       r"(?:above|these|preceding|previous)"
                       r"(?:\s+(?:options|answers|choices|statements))?\b|\ball\s+(?:the\s+)?"
                       r"(?:options|answers|choices|statements)\s+(?:above|are\s+correct)\b"
                       r"|\ball\s+(?:three|four|five)\s+(?:of\s+(?:the\s+)?(?:above|these)|"
                       r"options|answers|statements)", re.IGNORECASE)
NONE_ABOVE = re.compile(r"\b(?:none|neither)\s+of\s+(?:the\s+)?(?:above|these|preceding|"
                        r"previous|options|answers|choices|statements)\b|\bno\s+(?:correct\s+)?"
                        r"(?:answer|option)\s+(?:is\s+correct|above|given)\b"
                        r"|\bnone\s+(?:is|are)\s+correct\b", re.IGNORECASE)
COMBINATION = re.compile(
    r"\bboth\s+(?:of\s+)?(?:the\s+)?(?:above|these|previous|[A-E]\s+and\s+[A-E])\b"
    r"|\b(?:options?|answers?|choices?|statements?)\s+\(?[A-E1-9]\)?\s*(?:,\s*\(?[A-E1-9]\)?\s*)*"
    r"(?:and|&)\s*\(?[A-E1-9]\)?(?!\w)"
    r"|(?<![\w'])\(?[A-E]\)?\s*(?:,\s*\(?[A-E]\)?\s*)*(?:and|&)\s+\(?[A-E]\)?(?![\w'])"
    r"|(?<!\w)(?:I{1,3}|IV)\s*(?:,\s*(?:I{1,3}|IV)\s*)*(?:and|&)\s*(?:I{1,3}|IV|V)(?!\w)"
    r"|^\(?[1-9]\)?\s*(?:,\s*\(?[1-9]\)?\s*)*(?:and|&)\s*\(?[1-9]\)?$"
    r"|\bthe\s+first\s+(?:two|three)\b|\b(?:first|second|third)\s+and\s+(?:the\s+)?"
    r"(?:second|third|fourth|last)\s+(?:options|answers)\b"
    r"|(?i:^(?:both|either|neither)\s+(?:the\s+)?(?:first|second|third|former|latter)\b)")
BLANK = re.compile(r"_{3,}|(?:\\_){2,}|\.{4,}|…\s*…|\[blank\]|\(blank\)|\[\s*\]|\(\s{2,}\)",
                   re.IGNORECASE)
ABSOLUTE = re.compile(r"(?<!\bnot )" + phrase_pattern(ABSOLUTE_WORDS).pattern, re.IGNORECASE)
VAGUE = phrase_pattern(VAGUE_WORDS)
VAGUE_STATEMENT = phrase_pattern(VAGUE_WORDS + VAGUE_STATEMENT_WORDS)
NEGATIVE = re.compile(phrase_pattern(NEGATIVE_WORDS).pattern + r"|\b\w+n['’]t\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\bTO ?DO\b|\bTBD\b|\bTBA\b|\bFIXME\b|\bXXX+\b|\?{3,}|\$(?:id|title)\b")
PLACEHOLDER_WORDS = ("lorem ipsum", "dolor sit amet", "your name", "placeholder")
PLACEHOLDER_INSERT = re.compile(r"\binsert\b[^.]{0,40}\bhere\b", re.IGNORECASE)
PLACEHOLDER_WHOLE = re.compile(r"(?:option|answer|choice|item|question)\s*[A-Z0-9]?",
                               re.IGNORECASE)
SCAFFOLD = Path(__file__).resolve().parents[2] / "scaffold" / "module.yaml"
VOWEL_SOUND = re.compile(r"^(?:[aeio]|u(?!ni|se|su|ti|r[aeiou])|hour|honest|heir|[0-9]*8|11|18)",
                         re.IGNORECASE)
ART_END = re.compile(r"\b(a|an|is|are|was|were)\s*(?:_{2,}|\\_|…|\.{3,}|:)?\s*[?.:]?\s*$",
                     re.IGNORECASE)


@dataclass
class ItemContext:
    """One item and what the rules need around it."""

    item: dict[str, Any]
    settings: Settings
    objective_ids: list[str]
    source_stems: set[str]
    reading_stems: dict[str, set[str]] = field(default_factory=dict)
    draft: bool = False
    updated: str | None = None  # the module's latest `updates:` date

    @property
    def options(self) -> list[str]:
        return [o["text"] for o in self.item.get("options", [])]

    @property
    def keys(self) -> list[int]:
        return [i for i, o in enumerate(self.item.get("options", [])) if o.get("correct")]

    @property
    def is_choice(self) -> bool:
        return self.item["type"] in CHOICE

    def threshold(self, name: str) -> float:
        return self.settings.thresholds[name]


def _option_path(j: int) -> tuple[object, ...]:
    return ("options", j, "text")


def _statements(ctx: ItemContext) -> Iterator[tuple[tuple[object, ...], str, str]]:
    """Texts that make claims students judge: options (not 'all/none of the above'), and the
    statement of a true/false item, with how a message names each."""
    if ctx.item["type"] == "true_false":
        yield ("prompt",), ctx.item["prompt"], "the true/false statement"
    for j, text in enumerate(ctx.options):
        if not (ALL_ABOVE.search(text) or NONE_ABOVE.search(text)):
            yield _option_path(j), text, f"option {chr(65 + j)}"


def longest_option_correct(ctx: ItemContext) -> Iterator[Hit]:
    if ctx.item["type"] != "single_choice" or len(ctx.options) < 3 or len(ctx.keys) != 1:
        return
    key = ctx.keys[0]
    lengths = [len(plain(t)) for t in ctx.options]
    longest_other = max(n for j, n in enumerate(lengths) if j != key)
    if (lengths[key] >= ctx.threshold("longest-option-ratio") * longest_other
            and lengths[key] - longest_other >= ctx.threshold("longest-option-margin")
            and not _refers_to_options(ctx.options[key])):
        yield Hit("longest-option-correct", _option_path(key),
                  f"the key {quote(ctx.options[key])} is the longest option ({lengths[key]} "
                  f"characters; the longest other has {longest_other}): test-wise students pick "
                  "the longest option; make the distractors as long and specific, or shorten "
                  "the key")


def _above(rule: str, pattern: re.Pattern[str], advice: str) -> Callable[[ItemContext],
                                                                          Iterator[Hit]]:
    def check(ctx: ItemContext) -> Iterator[Hit]:
        if not ctx.is_choice:
            return
        for j, text in enumerate(ctx.options):
            found = pattern.search(plain(text))
            if found:
                yield Hit(rule, _option_path(j), f"option {chr(65 + j)} is "
                                                 f"'{found.group(0)}': {advice}")
    check.__name__ = rule.replace("-", "_")
    return check


all_of_the_above = _above(
    "all-of-the-above", ALL_ABOVE, "students who see two options are right can answer without "
    "knowing the rest; replace it with a plausible distractor or make the item select-all")
none_of_the_above = _above(
    "none-of-the-above", NONE_ABOVE, "it rewards knowing what is wrong, not what is right; "
    "replace it with a plausible distractor")


def _word_rule(rule: str, pattern: re.Pattern[str], advice: str,
               statement: re.Pattern[str] | None = None
               ) -> Callable[[ItemContext], Iterator[Hit]]:
    """A rule finding words in options, or (with `statement`, if given) in a true/false
    statement."""
    def check(ctx: ItemContext) -> Iterator[Hit]:
        for path, text, name in _statements(ctx):
            found = (statement or pattern if path == ("prompt",) else pattern).search(plain(text))
            if found:
                yield Hit(rule, path, f"{name} uses '{found.group(0)}' in {quote(text)}: "
                                      f"{advice}")
    check.__name__ = rule.replace("-", "_")
    return check


absolute_terms = _word_rule(
    "absolute-terms", ABSOLUTE, "absolute claims are seldom true, so test-wise students rule "
    "them out (or in); state the claim with its real scope")
vague_terms = _word_rule(
    "vague-terms", VAGUE, "vague qualifiers make a claim hard to judge true or false and tend to "
    "mark the key; say how often or how much, with the source's figure", VAGUE_STATEMENT)


def _emphasised(raw: str, match: re.Match[str]) -> bool:
    word = match.group(0)
    before, after = raw[max(0, match.start() - 2):match.start()], raw[match.end():match.end() + 2]
    return (len(word) > 1 and word.isupper()) or (before[-1:] in "*_" and before != "" and
                                                 after[:1] in "*_" and after != "")


def negative_stem(ctx: ItemContext) -> Iterator[Hit]:
    if ctx.item["type"] not in CHOICE + ("true_false",):
        return
    raw = ctx.item["prompt"]
    for found in NEGATIVE.finditer(raw):
        if not _emphasised(raw, found):
            yield Hit("negative-stem", ("prompt",),
                      f"the stem uses the negative '{found.group(0)}' without emphasis "
                      f"({quote(raw)}): students misread negatives; ask the question "
                      "positively, or set the word in bold capitals (**NOT**)")
            return


def _distinctive(text: str) -> dict[str, str]:
    """Stem -> word, for stem words that can give a key away: long and not function words."""
    return {stem(w): w for w in words(text) if len(w) >= 4 and w not in STOPWORDS
            and not w.replace(",", "").isdigit()}


def word_repeat(ctx: ItemContext) -> Iterator[Hit]:
    if not ctx.is_choice or not ctx.keys or len(ctx.keys) == len(ctx.options):
        return
    stem_words = _distinctive(ctx.item["prompt"])
    others = set().union(*(content_stems(t) for j, t in enumerate(ctx.options)
                           if j not in ctx.keys))
    for key in ctx.keys:
        echoed = sorted(stem_words[s] for s in set(stem_words) & content_stems(ctx.options[key])
                        if s not in others)
        if echoed:
            yield Hit("word-repeat", _option_path(key),
                      f"the stem word{'s' if len(echoed) > 1 else ''} "
                      f"{', '.join(repr(w) for w in echoed)} reappear{'' if len(echoed) > 1 else 's'}"
                      f" in the key {quote(ctx.options[key])} and in no distractor: students "
                      "match the words; reword the key or use the word in a distractor too")


def _starts_with_vowel_sound(text: str) -> bool:
    return bool(VOWEL_SOUND.match(plain(text).lstrip("\"'“‘(")))


def _plural(text: str) -> bool:
    last = (words(text) or [""])[-1]
    return (" and " in plain(text).lower() or (last.endswith("s") and
                                               not last.endswith(("ss", "us", "is"))))


def _agrees(ending: str, option: str) -> bool:
    if ending in ("a", "an"):
        return (ending == "an") == _starts_with_vowel_sound(option)
    return _plural(option) == (ending in ("are", "were"))


def grammatical_cue(ctx: ItemContext) -> Iterator[Hit]:
    if not ctx.is_choice or not ctx.keys:
        return
    found = ART_END.search(plain(ctx.item["prompt"]))
    if not found:
        return
    ending = found.group(1).lower()
    misfits = [j for j, t in enumerate(ctx.options) if not _agrees(ending, t)]
    if misfits and not set(ctx.keys) & set(misfits):
        names = ", ".join(quote(ctx.options[j], 40) for j in misfits)
        yield Hit("grammatical-cue", ("prompt",),
                  f"the stem ends in '{ending}', which fits the key "
                  f"{quote(ctx.options[ctx.keys[0]], 40)} but not {names}: students drop the "
                  "options that do not read on from the stem; make every option agree with it")


def convergence_cue(ctx: ItemContext) -> Iterator[Hit]:
    options = ctx.options
    if (ctx.item["type"] != "single_choice" or len(ctx.keys) != 1
            or len(options) < ctx.threshold("convergence-min-options")):
        return
    stems = [content_stems(t) for t in options]
    scores = [sum(len(s & t) for k, t in enumerate(stems) if k != j) for j, s in enumerate(stems)]
    key = ctx.keys[0]
    rest = max(n for j, n in enumerate(scores) if j != key)
    if scores[key] > rest and scores[key] >= 2:
        yield Hit("convergence-cue", _option_path(key),
                  f"the key {quote(options[key])} shares the most words with the other options "
                  f"({scores[key]}; at most {rest} for a distractor): test-wise students pick "
                  "the option the others converge on; vary the distractors so that they do not "
                  "each change one element of the key")


def combination_option(ctx: ItemContext) -> Iterator[Hit]:
    if not ctx.is_choice:
        return
    for j, text in enumerate(ctx.options):
        found = COMBINATION.search(plain(text))
        if found:
            yield Hit("combination-option", _option_path(j),
                      f"option {chr(65 + j)} combines other options ('{found.group(0).strip()}'):"
                      " it tests reading strategy, not knowledge, and breaks when forms shuffle "
                      "the letters; make it a select-all item or write a distractor of its own")


def unordered_numeric_options(ctx: ItemContext) -> Iterator[Hit]:
    if not ctx.is_choice or len(ctx.options) < 3:
        return
    found = [numbers(o["text"])[:1] for o in ctx.item["options"] if not o.get("fixed")]
    if len(found) < 3 or [] in found:
        return
    values = [f[0][0] for f in found]
    if values != sorted(values) and values != sorted(values, reverse=True):
        shown = ", ".join(f[0][1] for f in found)
        yield Hit("unordered-numeric-options", ("options",),
                  f"the options hold numbers out of order ({shown}): put numeric options in "
                  "ascending order, so that their position gives nothing away")


def fill_in_blank(ctx: ItemContext) -> Iterator[Hit]:
    if ctx.item["type"] == "essay":
        return
    found = BLANK.search(ctx.item["prompt"])
    if found:
        yield Hit("fill-in-blank", ("prompt",),
                  f"the stem has a blank ('{found.group(0)}' in {quote(ctx.item['prompt'])}): "
                  "students must hold the broken sentence in mind while reading the options; "
                  "ask a direct question instead")


def select_all_majority(ctx: ItemContext) -> Iterator[Hit]:
    if ctx.item["type"] != "multiple_answer":
        return
    n, k = len(ctx.options), len(ctx.keys)
    if k / n > ctx.threshold("select-all-max-share"):
        yield Hit("select-all-majority", ("options",),
                  f"{k} of {n} options are correct: when most options are correct, ticking "
                  "everything scores well; make at most half the options correct")


def too_few_options(ctx: ItemContext) -> Iterator[Hit]:
    least = int(ctx.threshold("min-options"))
    if ctx.is_choice and len(ctx.options) < least:
        yield Hit("too-few-options", ("options",),
                  f"only {len(ctx.options)} options (at least {least} wanted): a guess "
                  "succeeds too often; add a plausible distractor, or make it a true/false item")


@lru_cache(maxsize=1)
def skeleton_texts() -> frozenset[str]:
    """The filler texts of the `new-module` skeleton (two words or more), to catch leftovers."""
    doc = load_file(SCAFFOLD, SCAFFOLD.name, SCAFFOLD.parent)
    return frozenset(" ".join(plain(t).lower().split()) for _, t in located_strings(doc.data)
                     if len(t.split()) >= 2 and "$" not in t)


def _placeholder_evidence(text: str) -> str | None:
    """The placeholder in a text (TO DO, lorem ipsum, 'Option C'...), or None."""
    found = PLACEHOLDER.search(text)
    if found:
        return found.group(0)
    lowered = text.lower()
    for words_ in PLACEHOLDER_WORDS:
        if words_ in lowered:
            start = lowered.index(words_)
            return text[start:start + len(words_)]
    found = PLACEHOLDER_INSERT.search(text) if "insert" in lowered else None
    if found:
        return found.group(0)
    return text if PLACEHOLDER_WHOLE.fullmatch(text.strip()) else None


def placeholder_hit(path: tuple[object, ...], text: str, draft: bool) -> Hit | None:
    """A placeholder finding for one text, or None; in a draft module only a warning."""
    evidence = _placeholder_evidence(plain(text))
    if evidence is None and " ".join(plain(text).lower().split()) in skeleton_texts():
        evidence = "text left from the new-module skeleton"
    if evidence is None:
        return None
    note = " (the module is marked draft)" if draft else ""
    return Hit("placeholder", path, f"{quote(text)} is a placeholder ({evidence}){note}: "
                                    "write the real text before the quiz is printed",
               "warning" if draft else None)


def placeholder(ctx: ItemContext) -> Iterator[Hit]:
    yield from item_placeholders(ctx.item, ctx.draft)


def item_placeholders(item: dict[str, Any], draft: bool) -> Iterator[Hit]:
    for path, text in located_strings(item):
        if path != ("id",) and path[-1:] != ("type",):
            hit = placeholder_hit(path, text, draft)
            if hit:
                yield hit


def _refers_to_options(text: str) -> bool:
    """'All of the above', 'None of these', 'A and B': options about options."""
    return any(p.search(plain(text)) for p in (ALL_ABOVE, NONE_ABOVE, COMBINATION))


def _key_texts(ctx: ItemContext) -> list[tuple[tuple[object, ...], str]]:
    if ctx.is_choice:
        return [(_option_path(j), ctx.options[j]) for j in ctx.keys
                if not _refers_to_options(ctx.options[j])]
    if ctx.item["type"] == "short_answer":
        return [(("accepted_answers", 0), " ".join(ctx.item["accepted_answers"]))]
    return []


def unsupported_key(ctx: ItemContext) -> Iterator[Hit]:
    sources = ctx.source_stems | ctx.reading_stems.get(ctx.item.get("reading", ""), set())
    for path, text in _key_texts(ctx):
        stems = {stem(w): w for w in words(text) if w not in STOPWORDS and len(w) > 1}
        if not stems:
            continue
        missing = sorted(w for s, w in stems.items() if s not in sources)
        if 1 - len(missing) / len(stems) < ctx.threshold("unsupported-key-min-share"):
            yield Hit("unsupported-key", path,
                      f"the key {quote(text)} is not supported by the module's notes: "
                      f"{', '.join(repr(w) for w in missing)} "
                      f"appear{'s' if len(missing) == 1 else ''} nowhere in the overview, "
                      "reading notes or stimuli; say it in the notes, or check the key")


def item_without_objective(ctx: ItemContext) -> Iterator[Hit]:
    named = ctx.item.get("objective")
    if named is None:
        ids = ", ".join(ctx.objective_ids)
        where = (f"the module's objectives: {ids}" if ids else
                 "first give the module's objectives ids ({id, text, level})")
        yield Hit("item-without-objective", ("id",),
                  f"no objective: say which objective this item assesses with "
                  f"`objective: <id>` ({where})")
        return
    for i, name in enumerate([named] if isinstance(named, str) else named):
        if name not in ctx.objective_ids:
            path = ("objective",) if isinstance(named, str) else ("objective", i)
            yield Hit("item-without-objective", path,
                      f"names objective {name!r}, which the module does not have"
                      f"{did_you_mean(name, ctx.objective_ids)}", "error")


def stale_hit(path: tuple[object, ...], as_of: str, settings: Settings, what: str) -> Hit | None:
    """A stale-fact finding when as_of is older than the course allows, else None."""
    try:
        checked = datetime.date.fromisoformat(as_of)
    except ValueError:  # reported as a date error where the file is validated
        return None
    if settings.course_date is None:
        return None
    age = (settings.course_date - checked).days / 365.25
    if age <= settings.max_fact_age_years:
        return None
    return Hit("stale-fact", path,
               f"{what} as_of {as_of} is {age:.1f} years before the course date "
               f"{settings.course_date.isoformat()} (the limit is "
               f"{settings.max_fact_age_years:g} years): check the facts, then update as_of, or add a "
               "dated `updates:` entry to the module")


def brought_up_to_date(as_of: str, updated: str | None, settings: Settings) -> bool:
    """Whether the module's own dated update, itself recent enough, is newer than as_of: the
    "since then" box then tells students what changed, so an older fact is dated, not stale."""
    return updated is not None and updated > as_of and stale_hit((), updated, settings, "") is None


def stale_fact(ctx: ItemContext) -> Iterator[Hit]:
    if "as_of" in ctx.item and not brought_up_to_date(ctx.item["as_of"], ctx.updated,
                                                       ctx.settings):
        hit = stale_hit(("as_of",), ctx.item["as_of"], ctx.settings, "the item's")
        if hit:
            yield hit


ITEM_RULES: tuple[Callable[[ItemContext], Iterator[Hit]], ...] = (
    longest_option_correct, all_of_the_above, none_of_the_above, absolute_terms, vague_terms,
    negative_stem, word_repeat, grammatical_cue, convergence_cue, combination_option,
    unordered_numeric_options, fill_in_blank, select_all_majority, too_few_options, placeholder,
    unsupported_key, item_without_objective, stale_fact)
