"""Words for the review rules: Markdown-free tokens, stems, and the word lists rules look for.

Stems come from the Snowball English stemmer, so 'dams' in a stem meets 'dam' in an option.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")
_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`>#]+")
_WORD = re.compile(r"[0-9][0-9,.]*[0-9]|[0-9]+|[^\W\d_][\w'’-]*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])(?:\s*(%|per\s*cent|"
                     r"thousand|million|billion)\b)?", re.IGNORECASE)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves one two three four five many much
per s t would shall might may must according following statement true false best describes
describe option options answer select apply students student
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

ABSOLUTE_WORDS = ("always", "never", "only", "all", "none", "completely", "entirely", "every",
                  "everyone", "nobody", "nothing", "totally", "absolutely", "invariably",
                  "certainly", "wholly", "no one", "under no circumstances", "ever")
VAGUE_WORDS = ("usually", "often", "sometimes", "may", "might", "frequently", "generally",
               "rarely", "seldom", "occasionally", "probably", "possibly", "perhaps", "typically",
               "in some cases", "to some extent", "somewhat", "fairly", "quite")
VAGUE_STATEMENT_WORDS = ("can", "could")  # vague in a true/false statement, not in an option
NEGATIVE_WORDS = ("not", "except", "least", "never", "none", "no", "cannot", "incorrect",
                  "false", "untrue", "neither", "nor")
NEGATIVE_SUFFIX = ("n't",)


def plain(text: str) -> str:
    """Text without Markdown emphasis, code marks and link targets, spaces collapsed."""
    return " ".join(_MARKUP.sub(lambda m: m.group(1) or " ", text).split())


def words(text: str) -> list[str]:
    """The lowercase words (and numbers) of a text, Markdown removed."""
    return [w.lower().strip("'’-") for w in _WORD.findall(plain(text))]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word.replace("’", "'").removesuffix("'s"))


def content_stems(text: str) -> set[str]:
    """The stems of the words that carry meaning: no stopwords, no one-letter words."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of the phrases as whole words."""
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in
                            sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.IGNORECASE)


def numbers(text: str) -> list[tuple[float, str]]:
    """Every number in the text with how it is written, thousands separators removed and
    scale words applied ('1.3 million' is 1,300,000)."""
    return [(float(m.group(1).replace(",", "") + (m.group(2) or ""))
             * _SCALE.get((m.group(3) or "").lower(), 1), m.group(0).strip())
            for m in _NUMBER.finditer(plain(text))]


def quote(text: str, limit: int = 70) -> str:
    """A short quotation of a text for a message."""
    shown = plain(text)
    return f"'{shown if len(shown) <= limit else shown[:limit - 1].rstrip() + '…'}'"
