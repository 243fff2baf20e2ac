"""The ADX form of a return: valid against the public loose ADX schema (dhis2/adx, vendored in
``tests/fixtures/adx``, checked by lxml's XML Schema validator), hidden cells and cells without
data left out rather than written as zero, every kind of period as ISO 8601 start/duration.

The store test reads a real release of the oracle store; the small tests build a return's
content by hand to reach the corners (a split value not recorded, a tiny decimal, a return with
nothing to show)."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lxml import etree

from evaluation.periods import parse_periods
from evaluation.sharing.releases.ledger import get_release
from evaluation.sharing.returns.adx import (
    NAMESPACE,
    NOT_RECORDED,
    adx_bytes,
    adx_period,
    attribute_name,
    write_adx,
)
from evaluation.sharing.returns.content import (
    ReturnContent,
    content_hash,
    make_rows,
    provenance,
)
from evaluation.sharing.returns.export import build_return
from evaluation.sharing.returns.model import ReturnError
from evaluation.store.database import Store

SCHEMA_FILE = Path(__file__).parent / "fixtures" / "adx" / "adx_loose.xsd"
NS = {"adx": NAMESPACE}
ORACLE_PERIODS = "2025,2025-H1,2025-Q2,FY2024-04,2025-04-01..2025-09-30,2024-09-30..2025-03-31"
"""Periods the oracle store's release holds: a year, a half, a quarter, a financial year and
two custom ranges of 183 days (one of them whole months)."""
EXPECTED_PERIODS = {
    "2025": "2025-01-01/P1Y",
    "2025-H1": "2025-01-01/P6M",
    "2025-H2": "2025-07-01/P6M",
    "2025-Q2": "2025-04-01/P3M",
    "2025-Q4": "2025-10-01/P3M",
    "2025-06": "2025-06-01/P1M",
    "2024-02": "2024-02-01/P1M",
    "FY2024-04": "2024-04-01/P1Y",
    "FY2025-07": "2025-07-01/P1Y",
    "2025-04-01..2025-09-30": "2025-04-01/P183D",
    "2024-09-30..2025-03-31": "2024-09-30/P183D",
    "2024-02-01..2024-02-29": "2024-02-01/P29D",
    "2025-03-15..2025-03-15": "2025-03-15/P1D",
}
SUFFIXES = {"value": "", "numerator": "_NUM", "denominator": "_DEN"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def valid(schema: etree.XMLSchema, data: bytes) -> bool:
    return bool(schema.validate(etree.fromstring(data)))


def figures_in(data: bytes) -> dict[tuple[Any, ...], float]:
    """(orgUnit, period, dataElement, disaggregation attributes) → value, read back from a
    document; fails on a repeated key (a value DHIS2 would overwrite)."""
    out: dict[tuple[Any, ...], float] = {}
    root = etree.fromstring(data)
    for group in root.iterfind("adx:group", NS):
        for dv in group.iterfind("adx:dataValue", NS):
            extra = tuple(
                sorted((k, v) for k, v in dv.attrib.items() if k not in ("dataElement", "value"))
            )
            key = (group.get("orgUnit"), group.get("period"), dv.get("dataElement"), extra)
            assert key not in out, key
            out[key] = float(dv.get("value"))
    return out


def expected_figures(
    content: ReturnContent, periods: dict[tuple[str, str], str]
) -> dict[tuple[Any, ...], float]:
    """What the document must hold, worked out from the rows independently of the writer: every
    figure of every row that is neither hidden nor without data, nothing else."""
    out: dict[tuple[Any, ...], float] = {}
    for r in content.rows:
        if r["suppressed"] or r["status"] == "no_data":
            continue
        element = r["indicator_id"] + (
            "" if r["indicator_version"] == 1 else f"_V{r['indicator_version']}"
        )
        extra: tuple[tuple[str, str], ...] = ()
        if r["split_column"]:
            element += "_BY_" + r["split_column"].upper()
            value = NOT_RECORDED if r["split_value"] is None else r["split_value"]
            extra = ((r["split_column"], value),)
        period = periods[(r["period_start"], r["period_end"])]
        for figure, suffix in SUFFIXES.items():
            if r[figure] is not None:
                out[(r["programme_id"], period, element + suffix, extra)] = float(r[figure])
    return out


def content_from_release(store: Store, number: int, spec: str) -> ReturnContent:
    """The return of release ``number`` for the periods of ``spec``, as ``export-return`` makes
    it (``build_return``: the release's cells as a funder may read them, hidden figures
    dropped)."""
    cur = store.cursor()
    programmes = list(get_release(cur, number).programmes)
    content = build_return(cur, programmes, parse_periods(spec), exported_by="test")
    assert content.release == number
    return content


# -- a real release ---------------------------------------------------------------------------


@pytest.mark.slow
def test_return_of_a_real_release_is_valid_adx_without_hidden_cells(
    oracle_store: Store, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    content = content_from_release(oracle_store, 1, ORACLE_PERIODS)
    rows = content.rows
    hidden = [r for r in rows if r["suppressed"]]
    assert (
        hidden
        and any(r["split_column"] for r in rows)
        and any(r["status"] == "no_data" for r in rows)
    )

    out = tmp_path / "return.xml"
    write_adx(content, out)
    data = out.read_bytes()
    assert schema.validate(etree.parse(str(out))), schema.error_log.last_error

    root = etree.fromstring(data)
    assert root.tag == f"{{{NAMESPACE}}}adx"
    assert root.get("id") == content_hash(content)
    assert root.get("exported") == content.provenance["exported_at"]
    periods = {
        (p["start"], p["end"]): EXPECTED_PERIODS[p["spec"]] for p in content.provenance["periods"]
    }
    groups = root.findall("adx:group", NS)
    assert {g.get("period") for g in groups} == set(periods.values())
    assert {g.get("orgUnit") for g in groups} <= set(content.programmes)
    assert len({(g.get("orgUnit"), g.get("period")) for g in groups}) == len(groups)

    found = figures_in(data)
    expected = expected_figures(content, periods)
    assert found.keys() == expected.keys()
    assert all(math.isclose(found[k], expected[k], rel_tol=0, abs_tol=0) for k in expected)
    # hidden cells: no figure of theirs under any name (the total's and the split's keys)
    for r in hidden:
        element = r["indicator_id"] + (
            f"_BY_{r['split_column'].upper()}" if r["split_column"] else ""
        )
        extra = (
            ((r["split_column"], r["split_value"] or NOT_RECORDED),) if r["split_column"] else ()
        )
        period = periods[(r["period_start"], r["period_end"])]
        for suffix in SUFFIXES.values():
            assert (r["programme_id"], period, element + suffix, extra) not in found


# -- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(EXPECTED_PERIODS))
def test_every_kind_of_period_is_an_iso_start_and_duration(
    spec: str, schema: etree.XMLSchema
) -> None:
    (period,) = parse_periods(spec)
    text = adx_period(period)
    assert text == EXPECTED_PERIODS[spec]
    doc = (
        f'<adx xmlns="{NAMESPACE}" exported="2026-01-01T00:00:00Z"><group orgUnit="P" '
        f'period="{text}"><dataValue dataElement="C01" value="1"/></group></adx>'
    )
    assert valid(schema, doc.encode())


def test_period_kinds_cover_every_kind() -> None:
    kinds = {parse_periods(s)[0].kind for s in EXPECTED_PERIODS}
    assert kinds == {"year", "half_year", "quarter", "month", "financial_year", "range"}


# -- hand-made contents -----------------------------------------------------------------------

CELL = {
    "indicator_version": 1,
    "programme_id": "P-1",
    "period_start": dt.date(2025, 4, 1),
    "period_end": dt.date(2025, 6, 30),
    "split_column": "",
    "split_value": "",
    "numerator": None,
    "denominator": None,
    "value": None,
    "ci_low": None,
    "ci_high": None,
    "status": "ok",
    "suppressed": False,
    "completeness": None,
    "range_low": None,
    "range_high": None,
    "den_low": None,
    "den_high": None,
}


def hand_content(cells: list[dict[str, Any]], spec: str = "2025-Q2") -> ReturnContent:
    rows = make_rows(pd.DataFrame([{**CELL, **c} for c in cells]))
    prov = provenance(
        organisation="Verein Ä & <B> (fictional)",
        release=3,
        approved_by="manager",
        approver_role="cso_manager",
        approved_at=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
        note="",
        catalogue_version="abc",
        settings={"min_count": 5},
        programmes=[
            {
                "programme_id": "P-1",
                "name": "Programme 1",
                "submission_id": "S1",
                "content_hash": "h",
            }
        ],
        periods=parse_periods(spec),
        exported_at=dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.UTC),
        exported_by="manager",
    )
    return ReturnContent(provenance=prov, rows=rows)


MIXED: list[dict[str, Any]] = [
    {"indicator_id": "C01", "value": 12.0},
    {
        "indicator_id": "C06",
        "numerator": 3.0,
        "denominator": 12.0,
        "value": 0.25,
        "ci_low": 0.1,
        "ci_high": 0.5,
    },
    {
        "indicator_id": "C06",
        "split_column": "gender",
        "split_value": "female",
        "numerator": 2.0,
        "denominator": 7.0,
        "value": 2 / 7,
    },
    {
        "indicator_id": "C06",
        "split_column": "gender",
        "split_value": "male",
        "numerator": 1.0,
        "denominator": 4.0,
        "value": 0.25,
        "suppressed": True,
    },
    {
        "indicator_id": "C06",
        "split_column": "gender",
        "split_value": None,
        "numerator": 0.0,
        "denominator": 1.0,
        "value": 0.0,
    },
    {"indicator_id": "C07", "denominator": 9.0, "value": 1e-7, "status": "partial_period"},
    {"indicator_id": "O01", "numerator": 0.0, "denominator": 0.0, "status": "no_data"},
    {
        "indicator_id": "O02",
        "numerator": 4.0,
        "denominator": 5.0,
        "value": 0.8,
        "suppressed": True,
        "range_low": 0.0,
        "range_high": 1.0,
    },
    {"indicator_id": "C08", "indicator_version": 2, "value": -3.5},
]


def test_figures_their_names_and_what_is_left_out(schema: etree.XMLSchema) -> None:
    data = adx_bytes(hand_content(MIXED))
    assert valid(schema, data), schema.error_log.last_error
    period = "2025-04-01/P3M"
    assert figures_in(data) == {
        ("P-1", period, "C01", ()): 12.0,
        ("P-1", period, "C06", ()): 0.25,
        ("P-1", period, "C06_NUM", ()): 3.0,
        ("P-1", period, "C06_DEN", ()): 12.0,
        ("P-1", period, "C06_BY_GENDER", (("gender", "female"),)): 2 / 7,
        ("P-1", period, "C06_BY_GENDER_NUM", (("gender", "female"),)): 2.0,
        ("P-1", period, "C06_BY_GENDER_DEN", (("gender", "female"),)): 7.0,
        ("P-1", period, "C06_BY_GENDER", (("gender", NOT_RECORDED),)): 0.0,
        ("P-1", period, "C06_BY_GENDER_NUM", (("gender", NOT_RECORDED),)): 0.0,
        ("P-1", period, "C06_BY_GENDER_DEN", (("gender", NOT_RECORDED),)): 1.0,
        ("P-1", period, "C07", ()): 1e-7,
        ("P-1", period, "C07_DEN", ()): 9.0,
        ("P-1", period, "C08_V2", ()): -3.5,
    }
    text = data.decode("utf-8")
    assert 'value="0.0000001"' in text and "e-" not in text.split("<group", 1)[1]
    assert 'gender="male"' not in text and "O01" not in text and "O02" not in text
    root = etree.fromstring(data)
    assert root.get("organisation") == "Verein Ä & <B> (fictional)"
    assert root.get("release") == "3"


def test_a_return_with_nothing_to_show_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    content = hand_content(
        [
            {"indicator_id": "C01", "value": 3.0, "suppressed": True},
            {"indicator_id": "O01", "numerator": 0.0, "denominator": 0.0, "status": "no_data"},
        ]
    )
    out = tmp_path / "empty.xml"
    with pytest.raises(ReturnError, match="nothing to write as ADX; no file was written"):
        write_adx(content, out)
    assert list(tmp_path.iterdir()) == []


def test_write_adx_replaces_a_file_whole(tmp_path: Path, schema: etree.XMLSchema) -> None:
    out = tmp_path / "r.xml"
    out.write_text("old")
    write_adx(hand_content(MIXED, "2025-04-01..2025-06-30"), out)
    assert valid(schema, out.read_bytes())
    assert etree.parse(str(out)).getroot()[0].get("period") == "2025-04-01/P91D"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xml"]


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda t: re.sub(r' exported="[^"]*"', "", t, count=1), id="no exported"),
        pytest.param(lambda t: t.replace('value="12"', 'value="twelve"'), id="value not decimal"),
        pytest.param(lambda t: t.replace('value="12"', 'value="1.2e1"'), id="value with exponent"),
        pytest.param(lambda t: t.replace("2025-04-01/P3M", "2025-Q2"), id="reporting period"),
        pytest.param(lambda t: t.replace("2025-04-01/P3M", "2025-04-31/P3M"), id="no such day"),
        pytest.param(lambda t: t.replace(' orgUnit="P-1"', ""), id="no orgUnit"),
        pytest.param(lambda t: t.replace('dataElement="C01" ', ""), id="no dataElement"),
        pytest.param(lambda t: re.sub(r"<dataValue [^>]*/>", "", t), id="empty group"),
        pytest.param(
            lambda t: t.replace(f'xmlns="{NAMESPACE}"', 'xmlns="urn:other"'), id="namespace"
        ),
    ],
)
def test_a_broken_document_fails_the_schema(broken: Any, schema: etree.XMLSchema) -> None:
    text = adx_bytes(hand_content(MIXED)).decode("utf-8")
    assert valid(schema, text.encode("utf-8"))
    damaged = broken(text)
    assert damaged != text
    assert not valid(schema, damaged.encode("utf-8"))


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("age_band", "age_band"),
        ("setting at intake", "setting_at_intake"),
        ("2nd-stage", "_2nd-stage"),
        ("Größe", "Groe"),
        ("value", "value_"),
        ("dataElement", "dataElement_"),
        ("xml_lang", "_xml_lang"),
        ("a:b", "a_b"),
        ("", "_"),
    ],
)
def test_split_columns_become_valid_attribute_names(column: str, name: str) -> None:
    assert attribute_name(column) == name
    element = etree.Element("dataValue")
    element.set(name, "x")  # lxml refuses a name that is not an XML name
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name)


def test_a_hidden_row_that_still_carried_figures_is_left_out(schema: etree.XMLSchema) -> None:
    """Defence in depth: a return's hidden rows carry no figures, but a content put together
    another way (not through ``make_rows``) must still not leak them into the ADX file."""
    made = hand_content([{"indicator_id": "C01", "value": 12.0}])
    leaky = {**made.rows[0], "indicator_id": "C02", "value": 3.0, "suppressed": True}
    content = ReturnContent(provenance=made.provenance, rows=(made.rows[0], leaky))
    data = adx_bytes(content)
    assert valid(schema, data)
    assert figures_in(data) == {("P-1", "2025-04-01/P3M", "C01", ()): 12.0}
