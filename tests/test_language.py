"""The translation catalogues: in step with the code, complete, and with the same places."""

from __future__ import annotations

import re

import pytest

from evaluation.vocabulary import catalogues, language
from evaluation.vocabulary.language import LANGUAGES, _, n_, using

OTHER = [lang for lang in LANGUAGES if lang != language.DEFAULT]
PLACE = re.compile(r"\{(\w*)[^{}]*\}")


def test_german_is_spoken() -> None:
    assert "de" in LANGUAGES
    assert language.normalise("de_AT") == "de"
    assert language.normalise("fr") == "en"


@pytest.mark.parametrize("lang", OTHER)
@pytest.mark.parametrize("area", catalogues.AREAS, ids=lambda a: a.name)
def test_catalogue_is_in_step_and_complete(area: catalogues.Area, lang: str) -> None:
    catalogue, new, old = catalogues.update(area, lang)
    assert catalogues._body(new) == catalogues._body(old), (
        f"locale/{lang}/{area.name}.po is not in step with the code: run "
        "python -m evaluation.vocabulary.catalogues"
    )
    assert catalogues.missing(catalogue) == []


@pytest.mark.parametrize("lang", OTHER)
@pytest.mark.parametrize("area", catalogues.AREAS, ids=lambda a: a.name)
def test_translations_keep_their_places(area: catalogues.Area, lang: str) -> None:
    catalogue, _new, _old = catalogues.update(area, lang)
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACE.findall(ids[-1]))
        for string in strings:
            assert set(PLACE.findall(string)) <= wanted | set(PLACE.findall(ids[0])), (
                f"{area.name}: “{string}” has places that “{ids[0]}” does not fill"
            )


def test_one_text_reads_the_same_in_every_area() -> None:
    for lang in OTHER:
        seen: dict[object, tuple[str, object]] = {}
        for area in catalogues.AREAS:
            catalogue, _new, _old = catalogues.update(area, lang)
            for message in catalogue:
                if message.id and message.string:
                    key = (message.context, message.id)
                    if key in seen:
                        assert seen[key][1] == message.string, (
                            f"“{message.id}” is translated differently in {seen[key][0]} "
                            f"and {area.name}"
                        )
                    seen[key] = (area.name, message.string)


def test_the_language_of_a_block_and_plurals() -> None:
    with using("de"):
        assert language.current() == "de"
        assert n_("{n} row", "{n} rows", 1) == n_("{n} row", "{n} rows", 1)
    assert language.current() == "en"
    assert n_("{n} row", "{n} rows", 1) == "1 row"
    assert n_("{n} row", "{n} rows", 2) == "2 rows"
    assert _("a text without a translation {x}", x=1) == "a text without a translation 1"
