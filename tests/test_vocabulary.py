"""The vocabulary registries and the one number format: each word and format declared once."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from evaluation.store.access import Scope, Viewer
from evaluation.vocabulary import numbers
from evaluation.vocabulary.groups import GROUP_CODES, GROUPS, group_of_id
from evaluation.vocabulary.language import using
from evaluation.vocabulary.roles import ROLES
from evaluation.vocabulary.splits import ALL_SPLITS, SPLITS, split_name
from evaluation.vocabulary.units import denominator_noun

PACKAGE = Path(__file__).resolve().parents[1] / "evaluation"


def test_english_numbers_read_the_same_everywhere() -> None:
    assert numbers.count(1234.4) == "1,234"
    assert (numbers.number(12.0), numbers.number(12.34), numbers.number(0.456)) == (
        "12",
        "12.3",
        "0.46",
    )
    assert numbers.percent(0.483) == "48 %"
    assert numbers.interval(0.48, 0.833) == "48–83 %"
    assert numbers.amount(12500) == "12,500 EUR"
    assert (numbers.change(5), numbers.change(-1.5), numbers.change(0)) == ("+5", "-1.5", "0")
    assert (numbers.points(0.05), numbers.points(-0.034), numbers.points(0.004)) == (
        "+5 pp",
        "-3 pp",
        "0 pp",
    )
    assert numbers.points(0.01, short=False) == "+1 percentage point"
    assert numbers.points(-0.2, short=False) == "-20 percentage points"


def test_a_figure_is_formatted_by_its_kind_and_unit() -> None:
    assert numbers.figure(None, "count") == numbers.MISSING == "–"
    assert numbers.figure(0.5, "proportion") == numbers.figure(0.5, "share") == "50 %"
    assert numbers.figure(3.0, "count") == "3"
    assert numbers.figure(2500.0, "total", "EUR") == "2,500 EUR"
    assert numbers.figure(14.5, "median", "days") == "14.5"
    assert numbers.figure_change(None, "count") is None
    assert numbers.figure_change(0.1, "proportion", short=False) == "+10 percentage points"


@pytest.mark.parametrize(
    ("lang", "count", "number", "percent"),
    [("de", "1.234", "12,5", "48 %"), ("fr", "1\u202f234", "12,5", "48 %")],
)
def test_other_locales_use_their_own_digits_and_separators(
    lang: str, count: str, number: str, percent: str
) -> None:
    assert numbers.count(1234, lang) == count
    assert numbers.number(12.5, lang) == number
    assert numbers.percent(0.48, lang) == percent
    assert numbers.change(-1234, lang) == "-" + count  # ASCII sign: st.metric reads it


def test_registries() -> None:
    assert list(ROLES) == ["admin", "cso_manager", "funder", "evaluator"]
    assert {r.audience for r in ROLES.values()} == {"internal", "shared"}
    assert [g.code for g in GROUPS] == list(GROUP_CODES)
    assert group_of_id("O06").name == "Outcomes" and group_of_id("X01").code == "custom"
    assert GROUPS[0].heading == "Cases and reach (C)"
    assert list(SPLITS) == list(ALL_SPLITS)
    assert split_name("age_band") == "Age band"
    assert SPLITS["country"].choice == "Country (total over its programmes)"
    assert denominator_noun("share of releases") == "releases"
    assert denominator_noun("cases") is None


def test_one_scope_and_one_cache_key() -> None:
    scope = Scope(frozenset({"Verein A"}), None, "shared")
    funder, evaluator = Viewer("f", "funder", scope), Viewer("e", "evaluator", scope)
    assert funder.key == evaluator.key == scope.key  # the same data: the same cached results
    assert funder.key != Viewer("m", "cso_manager", Scope(frozenset({"Verein A"}))).key
    assert not funder.internal
    assert funder.label == "f — Funder, Verein A (shared view: small numbers hidden)"
    assert Viewer.everything().label.endswith("every organisation (internal view)")


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize(
    "pattern",
    [
        r'"Cases and reach"',  # a group's display name
        r'"case_and_reach",\s*"outcomes"',  # the group codes
        r'"CSO manager"',  # a role's display name
        r'"proportion",\s*"share"\)',  # the percent kinds
        r'"client_type",\s*"referral_source"',  # the case split columns
        r'"C01",\s*"C03"',  # the headline indicators
        r'"Age band"',  # a split's display name
    ],
)
def test_each_vocabulary_is_declared_once_in_the_package(pattern: str) -> None:
    """``grep`` finds one definition: the registry's (a second one would drift from it)."""
    found = [
        p.relative_to(PACKAGE).as_posix() for p, s in _sources().items() if re.search(pattern, s)
    ]
    assert len(found) <= 1 and all(f.startswith("vocabulary/") for f in found), found


def test_no_number_is_formatted_by_hand_in_views_reports_or_pages() -> None:
    """Percent and thousands formats belong to ``vocabulary.numbers`` (d3 strings included)."""
    by_hand = re.compile(r"\{[^{}]*:[+]?,?\.\d[f%]\}|:\.\d%|\.replace\(\"%\"")
    for path, text in _sources().items():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.split("/")[0] in ("views", "reports", "app"):
            assert not by_hand.search(text), rel


def test_days_and_months_have_one_home() -> None:
    """A day or month is written by ``vocabulary.numbers`` (``day``, ``month``, ``moment``) and
    nowhere else: two homes wrote September "Sep" in one table and "Sept" (CLDR's British
    English) in the next."""
    by_hand = re.compile(r"\bformat_(?:date|datetime|skeleton)\(")
    homes = {"vocabulary/numbers.py", "periods/labels.py"}  # labels: a period's own forms
    found = [
        path.relative_to(PACKAGE).as_posix()
        for path, text in _sources().items()
        if by_hand.search(text) and path.relative_to(PACKAGE).as_posix() not in homes
    ]
    assert found == []
    with using("en"):
        assert numbers.day(date(2025, 9, 30)) == "30 Sep 2025"
        assert numbers.month(date(2025, 9, 30)) == "Sep 2025"
        assert numbers.moment(datetime(2026, 12, 4, 14, 38)) == "4 Dec 2026, 14:38"
    with using("de"):
        assert numbers.month(date(2025, 9, 30)) == "Sept. 2025"


def _vocab_columns() -> list[tuple[str, str, tuple[str, ...]]]:
    from evaluation.store import schema

    return [
        (t.name, c.name, c.vocab)
        for t in schema.TABLES
        for c in t.columns
        if c.type == "vocab" and c.vocab not in (schema.COUNTRY_CODES, schema.CATALOGUE_IDS)
    ]


def test_every_code_of_the_format_has_a_name_and_no_name_is_a_code() -> None:
    from evaluation.vocabulary.codes import NAMES, code_label
    from tests.raw_codes import raw_codes

    for table, column, vocab in _vocab_columns():
        missing = [v for v in vocab if v not in NAMES.get(column, {})]
        assert not missing, f"{table}.{column}: {missing} have no display name"
        for value in vocab:
            name = code_label(column, value)
            assert name != value and "_" not in name and not raw_codes(name), (column, value)
    for column, names in NAMES.items():
        assert len(set(names.values())) == len(names), f"two codes of {column} read the same"


def test_codes_read_as_words_in_both_languages_and_sort_by_meaning() -> None:
    from evaluation.vocabulary.codes import code_label, code_order
    from evaluation.vocabulary.language import using

    assert code_label("intervention_type", "stand_alone_exit") == "Stand-alone exit programme"
    assert code_label("ideology", None) == "not recorded"
    assert code_order("age_band", ["45_plus", "18_24", "unknown", "under_18", "25_34"]) == [
        "under_18",
        "18_24",
        "25_34",
        "45_plus",
        "unknown",
    ]
    assert code_label("country", "DE") == "Germany"
    with using("de"):
        assert code_label("ideology", "left_wing") == "Linksextremismus"
        assert code_label("country", "at") == "Österreich"
        assert code_label("age_band", "45_plus") == "45 und älter"


def test_regions_read_as_their_names_and_unknown_codes_as_given() -> None:
    """A region split shows "Oberbayern", not the NUTS code ``DE21``, for every region the demo
    draws from (the names Eurostat gives, in the country's language, in both our languages); a
    code outside the classification is free text and shown as it was given."""
    from raw_codes import raw_codes

    from evaluation.demo.generate import _NUTS
    from evaluation.vocabulary.codes import code_label
    from evaluation.vocabulary.language import using

    assert code_label("region", "DE21") == "Oberbayern"
    assert code_label("region", " de60 ") == "Hamburg"
    assert code_label("region", "NO0A") == "Vestlandet"  # an EFTA statistical region
    assert code_label("region", "DE3") == "Berlin"  # NUTS 1
    assert code_label("region", "Nordkyst") == "Nordkyst"
    for lang in ("en", "de"):
        with using(lang):
            names = [code_label("region", c) for codes in _NUTS.values() for c in codes]
        assert not [n for n in names if raw_codes(n)], names
        assert len(set(names)) == len(names)  # no two regions read the same
    assert raw_codes("Hamburg (DE60)") == ["DE60"]
    assert raw_codes("the region, as a NUTS code such as DE30") == []


def test_german_numbers_dates_and_words_follow_the_language_of_the_moment() -> None:
    from datetime import date, datetime

    from evaluation.vocabulary.language import using

    with using("de"):
        assert numbers.number(1234.5) == "1.234,5"
        assert numbers.percent(0.483) == "48 %"
        assert numbers.amount(12500) == "12.500 EUR"
        assert numbers.points(0.05) == "+5 Pp."
        assert numbers.points(-0.2, short=False) == "-20 Prozentpunkte"
        assert numbers.points(0.01, short=False) == "+1 Prozentpunkt"
        assert numbers.day(date(2025, 12, 31)) == "31.12.2025"
        assert numbers.moment(datetime(2025, 12, 31, 14, 5)) == "31.12.2025, 14:05"
        assert GROUPS[0].heading == "Fälle und Reichweite (C)"
        assert split_name("age_band") == "Altersgruppe"
    assert numbers.number(1234.5) == "1,234.5"
    assert numbers.day(date(2025, 12, 31)) == "31 Dec 2025"
    assert numbers.day(None) == numbers.MISSING


def test_periods_read_in_the_language_of_the_moment() -> None:
    from datetime import date

    from evaluation.periods import PeriodError, label, parse_periods, series_choices
    from evaluation.vocabulary.language import using

    fy, q = parse_periods("FY2025-04, 2025-Q2")
    choices = series_choices(date(2025, 6, 30))
    assert (label(fy), label(q)) == ("FY 2025/26", "2025 Q2")
    with using("de"):
        assert (label(fy), label(q)) == ("GJ 2025/26", "Q2 2025")
        assert fy.label == "FY 2025/26"  # what result rows and returns carry: one language
        assert choices.label("latest") == "Letztes vollständiges Quartal (Q2 2025)"
        assert choices.label("custom") == "Eigene Auswahl"
        with pytest.raises(PeriodError, match="„2025-Q5“ ist kein Zeitraum"):
            parse_periods("2025-Q5")
    with using("xx"):  # a language without labels of its own reads English ones
        assert label(q) == "2025 Q2"
    assert choices.label("latest") == "Latest complete quarter (2025 Q2)"


def test_registries_translate_where_they_are_shown() -> None:
    from evaluation.vocabulary.actions import action_meaning, action_title
    from evaluation.vocabulary.audiences import audience_meaning
    from evaluation.vocabulary.kinds import direction_name, kind_name
    from evaluation.vocabulary.language import using
    from evaluation.vocabulary.roles import role_doc, role_title

    assert (role_title("funder"), action_title("users.sign_in")) == ("Funder", "Sign-in")
    assert action_title("made_up") == "made_up" and action_meaning("made_up") == ""
    with using("de"):
        assert role_title("funder") == "Zuwendungsgeber"
        assert action_title("approve") == "Freigabe"
        assert action_meaning("upload").startswith("hat ein Paket geladen")
        assert audience_meaning("shared").startswith("Zuwendungsgeber")
        assert role_doc("admin").startswith("verwaltet")
        assert (kind_name("median"), direction_name("lower")) == ("Median", "niedriger ist besser")
        assert direction_name("neutral") == ""
        assert SPLITS["country"].choice == "Country (total over its programmes)"  # the English
        assert SPLITS["country"].choice_text == "Land (Summe seiner Programme)"
        assert split_name("country") == SPLITS["country"].title == "Land"


def test_catalogue_definitions_are_plain_words_in_both_languages() -> None:
    from evaluation.measures.catalogue import load_catalogue
    from evaluation.vocabulary.language import _, using
    from tests.raw_codes import raw_codes

    catalogue = load_catalogue()
    for ind in catalogue.latest():
        for text in (ind.definition, *ind.caveats):
            assert not raw_codes(text), (ind.id, raw_codes(text))
            assert not re.search(r"\b(?:P|A|STATE|den|num)\b|[≤≠×]|_", text), (ind.id, text)
            with using("de"):
                assert _(text) != text or text == _(text) == "EUR", (ind.id, text)
