"""The anonymisation gate, property-based: personal data is always caught, format words never.

``personal_kind`` must catch e-mail addresses, phone numbers, IBANs with valid check digits,
IP addresses and dates wherever they sit in a free-text cell; ``identifier_column`` must catch
identifier column names however they are written; neither may flag the format's own words.
"""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from conftest import builder_from_minimal
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from evaluation.intake.gate import iban_valid, identifier_column, personal_kind
from evaluation.intake.ingest import check_package
from evaluation.intake.problems import ValidationReport
from evaluation.store import schema

# -- strategies -----------------------------------------------------------------------------------
# Surrounding text: letters, spaces and punctuation, but no digits and no "@", so whatever the
# gate finds came from the planted value.
WORDS = st.text(alphabet=string.ascii_letters + "äöüßéçñ ,;:!?'\"", max_size=25)

emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,15}", fullmatch=True),
    st.lists(
        st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), min_size=1, max_size=3
    ),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)


@st.composite
def phones(draw: st.DrawFn) -> str:
    """7 or more digits, with +, spaces, dashes, dots or brackets as people write them."""
    groups = draw(st.lists(st.from_regex(r"[0-9]{2,5}", fullmatch=True), min_size=2, max_size=5))
    assume(sum(map(len, groups)) >= 7)
    seps = draw(
        st.lists(
            st.sampled_from([" ", "-", ".", "", " - ", "/"]),
            min_size=len(groups) - 1,
            max_size=len(groups) - 1,
        )
    )
    body = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=True))
    prefix = draw(st.sampled_from(["", "+49 ", "+1-", "0", "(0) ", "+44 (0)", "(030) "]))
    phone = prefix + body
    # "1990-2024" is a span of years, not a phone number (the gate allows it on purpose).
    assume(not re.fullmatch(r"(19|20)\d\d\s*[-/]\s*(19|20)\d\d", phone))
    return phone


def with_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


countries = st.from_regex(r"[A-Z]{2}", fullmatch=True)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """IBANs as banks print them: a few letters (bank code) and mostly digits."""
    bban = draw(st.from_regex(r"[A-Z]{0,4}[0-9]{11,22}", fullmatch=True))
    iban = with_check_digits(draw(countries), bban)
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


ipv4s = st.ip_addresses(v=4).map(str)
dates = st.builds(
    lambda d, fmt: d.strftime(fmt),
    st.dates(min_value=dt.date(1920, 1, 1)),
    st.sampled_from(["%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]),
)

KINDS = {"email": emails, "phone": phones(), "iban": ibans(), "ip": ipv4s, "date": dates}
EXACT_KIND = {"email", "ip", "date"}
"""Kinds reported as themselves; a phone may read as a date or an IP (still caught)."""


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_planted_personal_value_is_caught(kind: str, data: st.DataObject) -> None:
    value = data.draw(KINDS[kind], label="value")
    text = f"{data.draw(WORDS, label='before')} {value} {data.draw(WORDS, label='after')}"
    found = personal_kind(text)
    assert found is not None, text
    if kind in EXACT_KIND:
        assert found == kind, text
    assert personal_kind(value) is not None


@given(iban=ibans(), after=st.sampled_from(["", ".", ",", " ", ")"]))
def test_iban_at_the_end_of_a_cell_is_an_iban(iban: str, after: str) -> None:
    assert personal_kind(f"IBAN: {iban}{after}") == "iban"


def test_iban_followed_by_a_word_is_reported_as_an_iban() -> None:
    """The IBAN pattern is greedy: `(?:[ ]?[A-Z0-9]){11,30}` runs on into the next word, the
    longer candidate fails the checksum, and the real IBAN is never tried. It is then caught
    only as a *phone number* (its digits) — and an IBAN with few digits is not caught at all."""
    assert personal_kind("Konto DE89 3704 0044 0532 0130 00 bei der Sparkasse") == "iban"
    letters = with_check_digits("GB", "WEST" + "ABCDEFGHIJ" + "1234")
    assert personal_kind(f"account {letters} at the bank") == "iban"


# -- the IBAN checksum ----------------------------------------------------------------------------
def reference_iban(text: str) -> bool:
    """ISO 13616 / ISO 7064 mod 97-10, written independently of the gate."""
    s = "".join(text.split()).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", s):
        return False
    remainder = 0
    for ch in s[4:] + s[:4]:
        value = int(ch, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def _mutate(s: str, i: int, ch: str) -> str:
    i %= len(s)
    return s[:i] + ch + s[i + 1 :]


iban_like = st.one_of(
    st.builds(with_check_digits, countries, st.from_regex(r"[A-Z0-9]{11,30}", fullmatch=True)),
    st.builds(
        _mutate,
        st.builds(with_check_digits, countries, st.from_regex(r"[A-Z0-9]{11,30}", fullmatch=True)),
        st.integers(0, 40),
        st.sampled_from(string.ascii_uppercase + string.digits),
    ),
    st.text(alphabet=string.ascii_letters + string.digits + " ", min_size=10, max_size=40),
)


@pytest.mark.slow
@settings(max_examples=400)
@given(candidate=iban_like, spaced=st.booleans(), lower=st.booleans())
def test_iban_valid_matches_reference_mod97(candidate: str, spaced: bool, lower: bool) -> None:
    if spaced:
        candidate = " ".join(candidate[i : i + 4] for i in range(0, len(candidate), 4))
    if lower:
        candidate = candidate.lower()
    assert iban_valid(candidate) == reference_iban(candidate)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "NO93 8601 1117 947",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
)
def test_published_example_ibans_are_valid(iban: str) -> None:
    assert iban_valid(iban) and reference_iban(iban)
    assert personal_kind(f"paid to {iban}") is not None


@pytest.mark.parametrize("text", ["AB12" + "\u212a" * 12, "DE89 3704 0044 0532 0130 0\u00b2"])
def test_gate_never_raises_on_unicode_lookalikes(text: str) -> None:
    """The IBAN pattern is case-insensitive, so KELVIN SIGN (U+212A) matches `[A-Z]`; then
    ``int(ch, 36)`` raises ValueError and validation of the whole package crashes."""
    personal_kind(text)
    assert iban_valid(text) is False


# -- the format's own words are never flagged ---------------------------------------------------
REGISTRY_WORDS = sorted(
    {v for t in schema.TABLES for c in t.columns for v in c.vocab}
    | {c.name for t in schema.TABLES for c in t.columns}
    | {t.name for t in schema.TABLES}
    | set(schema.ABOUT_KEYS)
    | set(schema.CATALOGUE_IDS)
)
COLUMN_NAMES = sorted(
    {c.name for t in schema.TABLES for c in t.columns}
    | {t.name for t in schema.TABLES}
    | set(schema.ABOUT_KEYS)
)


def test_no_registry_word_looks_personal() -> None:
    assert [w for w in REGISTRY_WORDS if personal_kind(w) is not None] == []


def test_no_registry_name_is_an_identifier_column() -> None:
    """`programme_name` holds a programme's name, not a person's: yet `name` alone flags it, so
    a cases export carrying its programme's name is told it holds personal data."""
    assert [n for n in COLUMN_NAMES if identifier_column(n)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Open Door Exit (fictional)",
        "Federal Ministry of Examples",
        "VERA-2R",
        "ERG22+",
        "DE30",
        "internal",
        "Exit 2024-2027",
        "Phase 2",
        "Programme 12 (pilot)",
        "City of Sampleburg",
        "EU ISF 2021",
        "Spreadsheet",
        "Brückenbau Exit e.V. (fictional)",
    ],
)
def test_ordinary_free_text_is_not_flagged(text: str) -> None:
    assert personal_kind(text) is None


@given(
    st.text(alphabet=st.characters(exclude_categories=("Nd", "No", "Nl"), exclude_characters="@"))
)
def test_text_without_digits_or_at_is_never_flagged(text: str) -> None:
    assert personal_kind(text) is None


# -- identifier column names --------------------------------------------------------------------
IDENTIFIER_WORDS = [
    ("name",),
    ("first", "name"),
    ("last", "name"),
    ("surname",),
    ("full", "name"),
    ("email",),
    ("e", "mail"),
    ("phone",),
    ("mobile",),
    ("telephone",),
    ("address",),
    ("street",),
    ("postcode",),
    ("zip", "code"),
    ("date", "of", "birth"),
    ("birth", "date"),
    ("dob",),
    ("passport",),
    ("national", "id"),
    ("social", "security"),
    ("ssn",),
    ("iban",),
    ("ip", "address"),
    ("notes",),
    ("comments",),
]


@given(
    words=st.sampled_from(IDENTIFIER_WORDS),
    context=st.sampled_from([(), ("client",), ("contact",), ("primary",), ("home",)]),
    where=st.booleans(),
    sep=st.sampled_from(["_", " ", "-", ".", "__", " - "]),
    case=st.sampled_from([str.lower, str.upper, str.title, str.capitalize]),
    pad=st.sampled_from(["", " ", "  "]),
)
def test_identifier_column_variants(
    words: tuple[str, ...], context: tuple[str, ...], where: bool, sep: str, case, pad: str
) -> None:
    tokens = (*context, *words) if where else (*words, *context)
    name = pad + case(sep.join(tokens)) + pad
    assert identifier_column(name), name


@pytest.mark.parametrize(
    "name", ["ClientName", "contactName", "clientDOB", "userIP", "clientMail", "homeTel"]
)
def test_identifier_column_camel_case(name: str) -> None:
    """camelCase exports are common; the tokeniser lower-cases before splitting, so a short
    identifier word glued to another (``ClientName``) is only caught if it has ≥ 5 letters."""
    assert identifier_column(name)


# -- end to end ------------------------------------------------------------------------------------
CELLS = [
    ("programmes", "programme_name", 1),
    ("cases", "region", 3),
    ("funding", "funder", 0),
    ("assessments", "tool", 1),
    ("about", "value", 0),
]


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=st.one_of(emails, phones(), ibans()),
    cell=st.sampled_from(CELLS),
    prefix=st.sampled_from(["", "contact ", "Konto: "]),
)
def test_planted_value_is_refused_by_check_package(
    tmp_path_factory, value: str, cell: tuple[str, str, int], prefix: str
) -> None:
    table, column, index = cell
    pkg = builder_from_minimal(tmp_path_factory.mktemp("gate"))
    for t in ("cases", "contacts", "custody_events", "funding"):  # cheaper to validate
        if t != table and not (t == "cases" and table == "assessments"):
            pkg.drop(t)
    if table == "assessments":
        pkg.tables["assessments"] = [
            {"case_ref": r, "assessed_on": "2024-06-01", "tool": "VERA-2R", "risk_level": "low"}
            for r in ("A-001", "B-001")
        ]
    pkg.tables[table][index][column] = prefix + value
    report = check_package(pkg.write("folder"))
    assert not report.ok and report.gate_refused
    gate = [p for p in report.problems if p.gate and p.rule.startswith("personal_")]
    assert [(p.table, p.column, p.rows) for p in gate] == [(table, column, (index + 2,))]
    assert value not in everything_said(report)


def everything_said(report: ValidationReport) -> str:
    return "\n".join(
        [
            report.summary(),
            *(p.sentence() for p in report.problems),
            *(str(v) for row in report.as_rows() for v in row.values()),
        ]
    )
