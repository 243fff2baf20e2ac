"""Round trip: demo → blank template → filled in as a user would → ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from evaluation.demo.generate import generate
from evaluation.intake.ingest import ingest
from evaluation.intake.profiles import load_profile
from evaluation.intake.template import write_template
from evaluation.store import schema
from evaluation.store.database import Store

SAMPLE = Path(__file__).parents[1] / "evaluation" / "intake" / "profiles" / "samples"


def _typed(table: str, column: str, value: str | None) -> object:
    col = schema.TABLES_BY_NAME[table].column(column)
    if value is None:
        return None
    if col.type == "date":
        return dt.date.fromisoformat(value)
    if col.type == "integer":
        return int(value)
    if col.type == "decimal":
        return float(value)
    return value


@pytest.mark.slow
def test_demo_package_filled_into_the_template_loads(tmp_path: Path) -> None:
    pkg = next(p for p in generate(seed=3) if "assessments" not in p.tables)
    template = write_template(tmp_path / "blank.xlsx")
    wb = openpyxl.load_workbook(template)
    for name, table in pkg.tables.items():
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert header == list(table.column_names)
        start = 2
        if name == "about":  # the template pre-fills the keys in column A
            for row in ws.iter_rows(min_row=2, max_col=2):
                row[0].value = None
        for i, record in enumerate(pa.Table.to_pylist(table)):
            for j, column in enumerate(header):
                ws.cell(row=start + i, column=j + 1, value=_typed(name, column, record[column]))
    for name in schema.TABLES_BY_NAME:
        if name not in pkg.tables:
            del wb[name]  # a table the organisation does not record stays out
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    with Store.open(tmp_path / "s.duckdb") as store:
        result = ingest(filled, store)
        assert result.status == "loaded", result.sentence()
        expected = {n: t.num_rows for n, t in pkg.tables.items() if n != "about"}
        assert result.row_counts == expected
        assert store.table_counts(list(expected)) == expected
        assert result.organisation == pkg.organisation


def test_the_german_sample_export_loads_through_its_profile(tmp_path: Path) -> None:
    profile = load_profile("klientis-de")
    with Store.open(tmp_path / "s.duckdb") as store:
        result = ingest(SAMPLE / "klientis-export.xlsx", store, profile=profile)
        assert result.status == "loaded"
        assert result.programmes == ("KOMPASS-JVA", "KOMPASS-OFFEN")
        cur = store.cursor()
        genders = {r[0] for r in cur.execute("SELECT gender FROM cases").fetchall()}
        assert genders == {"male", "female", "diverse"}
        assert cur.execute("SELECT data_as_of FROM submissions").fetchall()[0][0] == dt.date(
            2025, 6, 30
        )
        columns = {
            r[0]
            for r in cur.execute("SELECT column_name FROM information_schema.columns").fetchall()
        }
        assert not {"bemerkung", "sachbearbeitung"} & columns
        assert cur.execute("SELECT count(*) FROM cases WHERE returnee").fetchall()[0][0] == 1


def test_without_its_profile_the_german_export_is_refused(tmp_path: Path) -> None:
    from evaluation.intake.ingest import check_package

    report = check_package(SAMPLE / "klientis-export.xlsx")
    assert not report.ok
    assert {p.rule for p in report.errors} >= {"unknown_table", "missing_table"}
