"""The words, dates and numbers hscourse prints around the content, in the course's language.

Every label a document shows ("Question 3", "2 points", "Page 1 of 3") is a message of the
catalogue `src/hscourse/locales/hscourse.pot`, translated per language in
`locales/<lang>/LC_MESSAGES/hscourse.po` (gettext, read with Babel, which also gives plural
rules, dates and numbers per locale). A course or term may override any message with
`labels: {"English message": "its text"}`. A language without a catalogue prints English and
`check` lists the messages it lacks.
"""

from __future__ import annotations

import datetime
import gettext as gettext_module
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import pass_context
from markupsafe import Markup

LOCALES = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "hscourse"
SOURCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; translated where it is shown."""
    return message


def catalogue_languages() -> tuple[str, ...]:
    """The languages with a shipped catalogue, as BCP 47 tags (zh-Hans), English first."""
    found = sorted(p.parent.parent.name.replace("_", "-")
                   for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *found)


def _catalogue_folder(tag: str) -> str | None:
    """The catalogue for a language tag: the tag itself (zh-Hans), else its language (fr-CA ->
    fr); zh-TW and zh-HK read Traditional Chinese, zh-CN and zh-SG Simplified."""
    aliases = {"zh-TW": "zh-Hant", "zh-HK": "zh-Hant", "zh-MO": "zh-Hant", "zh-CN": "zh-Hans",
               "zh-SG": "zh-Hans", "zh": "zh-Hans"}
    tag = aliases.get(tag, tag)
    parts = tag.split("-")
    for candidate in ("-".join(parts[:n]) for n in range(len(parts), 0, -1)):
        if candidate != SOURCE_LANGUAGE and candidate in catalogue_languages():
            return candidate.replace("-", "_")
    return None


@cache
def template_catalogue() -> Catalog:
    with (LOCALES / f"{DOMAIN}.pot").open("rb") as fp:
        return read_po(fp)


@lru_cache(maxsize=16)
def _read(folder: str) -> Catalog:
    with (LOCALES / folder / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fp:
        return read_po(fp, locale=folder)


@lru_cache(maxsize=16)
def _translations(folder: str | None) -> gettext_module.NullTranslations:
    if folder is None:
        return gettext_module.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, _read(folder))
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def babel_locale(tag: str) -> Locale:
    """The Babel locale of a language tag; plain `en` prints dates the international way
    (11 January 2027), `en-US` the American way."""
    if tag == SOURCE_LANGUAGE:
        return Locale.parse("en_GB")
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(tag.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en_GB")


def messages() -> list[str | tuple[str, str]]:
    """Every message of the catalogue: a text, or (singular, plural)."""
    out: list[str | tuple[str, str]] = []
    for message in template_catalogue():
        if message.id:
            out.append(tuple(message.id) if isinstance(message.id, (tuple, list))  # type: ignore[arg-type]
                       else message.id)
    return out


def message_ids() -> set[str]:
    """The English texts `labels:` may override (both forms of a plural message)."""
    ids: set[str] = set()
    for message in messages():
        ids.update(message if isinstance(message, tuple) else (message,))
    return ids


@dataclass(frozen=True)
class Language:
    """One document language: its messages (with the course's `labels:`), dates, numbers."""

    tag: str
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def locale(self) -> Locale:
        return babel_locale(self.tag)

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    @property
    def translations(self) -> gettext_module.NullTranslations:
        return _translations(_catalogue_folder(self.tag))

    def gettext(self, message: str) -> str:
        own = dict(self.labels)
        return own[message] if message in own else self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        own = dict(self.labels)
        count = self.plural_count(n)
        chosen = self.translations.ngettext(singular, plural, count)
        english = singular if count == 1 else plural
        if chosen == english and english in own:
            return own[english]
        return chosen

    @property
    def is_han(self) -> bool:
        """Chinese or Japanese: Latin words in the text need the Latin font (see below)."""
        return self.locale.language in ("zh", "ja")

    def plural_count(self, n: float) -> int:
        """The whole number gettext chooses a plural form by. gettext takes integers only, so a
        fraction (1.5 points) stands in as the smallest whole number of its CLDR plural
        category: Arabic 1.5 takes the 'other' form, not the dual (which spells out 'two' and
        prints no number), French 1.5 the singular ('1,5 point'), English the plural."""
        if float(n).is_integer():
            return int(n)
        category = self.locale.plural_form(abs(n))
        return next((k for k in range(1000) if self.locale.plural_form(k) == category), 2)

    def date(self, iso: str) -> str:
        """'2027-01-11' -> '11 January 2027', '11 janvier 2027', '2027年1月11日'."""
        return format_date(datetime.date.fromisoformat(iso), "long", locale=self.locale)

    def number(self, value: float) -> str:
        """Points as the locale writes them: 1.5 in English, 1,5 in French."""
        return format_decimal(value, "#,##0.##", locale=self.locale)

    def missing(self) -> list[str]:
        """Messages neither the catalogue nor `labels:` translates (empty for English)."""
        if self.tag.split("-")[0] == SOURCE_LANGUAGE:
            return []
        own = dict(self.labels)
        folder = _catalogue_folder(self.tag)
        translated = ({m.id if isinstance(m.id, str) else m.id[0] for m in _read(folder)
                       if m.id and m.string and not m.fuzzy} if folder else set())
        out = []
        for message in messages():
            first = message[0] if isinstance(message, tuple) else message
            if first not in translated and not all(m in own for m in (
                    message if isinstance(message, tuple) else (message,))):
                out.append(first)
        return out


def language_of(settings: Any) -> Language:
    """The document language of resolved course settings (language and labels)."""
    labels: Mapping[str, str] = getattr(settings, "labels", None) or {}
    return Language(settings.language, tuple(sorted(labels.items())))


def template_gettext(function: Callable[..., str]) -> Callable[..., str]:
    """A gettext for templates: `_("Question %(num)s", num=3)` fills in the values (Jinja's
    "new style"), and the translation is trusted markup only as far as the message is: values
    are escaped by autoescaping like any other."""

    @pass_context
    def call(context: Any, *args: Any, **values: Any) -> str:
        text = function(*args)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % values if values else text

    return call


def css_string(text: str, counters: Mapping[str, str]) -> str:
    """A message with %(page)s-style values as a CSS `content` value: 'Page %(page)s of
    %(pages)s' -> '"Page " counter(page) " of " counter(pages)'."""
    parts, at = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > at:
            parts.append(_css_quote(text[at:match.start()]))
        parts.append(counters[match.group(1)])
        at = match.end()
    if at < len(text):
        parts.append(_css_quote(text[at:]))
    return " ".join(parts)


def _css_quote(text: str) -> str:
    """A CSS string; `<` is escaped too, so a label can never close the <style> it is in."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'"{escaped}"'


def label_problems(course: Any) -> tuple[list[Any], list[Any]]:
    """(errors, warnings) about the course's language: a `labels:` key that is no message,
    and, for a language without a complete catalogue, the messages that stay in English."""
    from hscourse.errors import did_you_mean

    known = message_ids()
    errors = []
    for doc in course.sources:
        for key in (doc.data.get("labels") or {}) if isinstance(doc.data, dict) else {}:
            if key not in known:
                errors.append(doc.diagnostic(
                    ("labels", key), f"no label {key!r}{did_you_mean(key, known)} (labels are "
                    f"named by their English text, as listed in src/hscourse/locales/"
                    f"hscourse.pot)", key=True))
    missing = sorted(language_of(course.settings).missing(),
                     key=lambda m: PLACEHOLDER.sub("", m).strip(" :()").lower())
    warnings = []
    if missing:
        setter = next(doc for doc in reversed(course.sources)
                      if isinstance(doc.data, dict) and "language" in doc.data)
        shown = "; ".join(repr(m) for m in missing[:6]) + ("; ..." if len(missing) > 6 else "")
        warnings.append(setter.diagnostic(("language",), (
            f"hscourse has no complete catalogue for {course.settings.language!r}, so "
            f"{len(missing)} labels print in English ({shown}); translate them under labels: "
            f"(e.g. labels: {{\"Quiz\": \"...\"}}) or use one of "
            f"{', '.join(catalogue_languages())}")))
    return errors, warnings


TAG = re.compile(r"(<[^>]*>)")
LATIN_RUN = re.compile(r"(?<![&#\w])[A-Za-z][A-Za-z0-9’'-]*"
                       r"(?:[ ,.;:!?()–—-]+[A-Za-z0-9][A-Za-z0-9’'-]*)*")


def latin_words_marked(html: str) -> Markup:
    """Runs of Latin words in Chinese or Japanese text, wrapped in <span class="latin">, which
    the stylesheet sets in the Latin font: the CJK fonts draw Latin letters in their own
    style and ’ full width ("Teitiota’ s"). Only text between tags is touched, and never an
    entity (&amp;)."""
    parts = TAG.split(str(html))
    for i in range(0, len(parts), 2):
        parts[i] = LATIN_RUN.sub(lambda m: f'<span class="latin">{m.group(0)}</span>', parts[i])
    return Markup("".join(parts))
