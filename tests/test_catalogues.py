"""The shipped message catalogues (src/hscourse/locales/<lang>/LC_MESSAGES/hscourse.po): complete,
placeholders kept, plural forms as Babel's locale data has them, and fractional points choosing
the plural form CLDR gives them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from gettext import c2py

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.checkers import checkers
from babel.messages.pofile import read_po

from hscourse.render.language import DOMAIN, LOCALES, Language, catalogue_languages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAGS = [tag for tag in catalogue_languages() if tag != "en"]
POINTS = ("%(num)s point", "%(num)s points")


def test_the_six_languages_are_shipped() -> None:
    assert {"fr", "es", "de", "zh-Hans", "zh-Hant", "ar"} <= set(TAGS)


def _catalogue(tag: str) -> Catalog:
    folder = tag.replace("-", "_")
    with (LOCALES / folder / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fp:
        return read_po(fp, locale=folder)


def _messages(catalogue: Catalog) -> Iterator[Message]:
    return (m for m in catalogue if m.id)


@pytest.mark.parametrize("tag", TAGS)
def test_every_message_is_translated(tag: str) -> None:
    missing = Language(tag).missing()
    assert missing == [], (f"{tag}: untranslated {missing}; run pybabel update and translate "
                           f"them (docs/translations.md)")
    assert not [m.id for m in _messages(_catalogue(tag)) if m.fuzzy]


@pytest.mark.parametrize("tag", TAGS)
def test_plural_forms_are_babels(tag: str) -> None:
    catalogue = _catalogue(tag)
    locale = Locale.parse(tag, sep="-")
    assert catalogue.num_plurals == len(locale.plural_form.tags | {"other"})
    for message in _messages(catalogue):
        if isinstance(message.id, tuple):
            assert len(message.string) == catalogue.num_plurals, message.id


@pytest.mark.parametrize("tag", TAGS)
def test_placeholders_are_kept(tag: str) -> None:
    catalogue = _catalogue(tag)
    for message in _messages(catalogue):
        for check in checkers:  # Babel's own python-format check, as pybabel compile runs it
            check(catalogue, message)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for index, text in enumerate(strings):
            assert set(PLACEHOLDER.findall(text)) <= wanted, (tag, ids[0], index)
            assert "%" not in PLACEHOLDER.sub("", text), (tag, ids[0], index)
            spelled = wanted - set(PLACEHOLDER.findall(text))
            # A form may spell out its number ("درجتان", two points) only where it is one value.
            if spelled:
                assert isinstance(message.id, tuple) and spelled == {"num"}, (tag, ids[0], index)
                assert len(_counts_of_form(catalogue, index)) == 1, (tag, ids[0], index)


def _counts_of_form(catalogue: Catalog, index: int) -> set[int]:
    """The whole numbers below 1000 that the catalogue's gettext rule sends to a form."""
    rule = c2py(catalogue.plural_expr)
    return {n for n in range(1000) if rule(n) == index}


@pytest.mark.parametrize("tag", ["en", *TAGS])
@pytest.mark.parametrize("points", [0.5, 1.5, 2.5, 12.5])
def test_fractional_points_print_their_number(tag: str, points: float) -> None:
    text = Language(tag).ngettext(*POINTS, points)
    assert "%(num)s" in text, (tag, points, text)


@pytest.mark.parametrize("tag", ["en", *TAGS])
@pytest.mark.parametrize("points", [0.5, 1.5, 2.5, 12.5, 101.5])
def test_fractional_points_take_their_cldr_category(tag: str, points: float) -> None:
    language = Language(tag)
    count = language.plural_count(points)
    assert language.locale.plural_form(count) == language.locale.plural_form(points)
