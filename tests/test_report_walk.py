"""The report pack read as its reader reads it: written to real files, opened again, and
checked for what a careful reader would trip over (issue 13's report walk)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from evaluation.periods import parse_periods
from evaluation.reports.model import Report, build_report
from evaluation.reports.pdf import write_pdf
from evaluation.reports.xlsx import write_xlsx
from evaluation.store.database import Store

ANNUAL = ("ministry-annual", "P-A", "FY2024-04")


@pytest.fixture(scope="module")
def german_pdf_text(german_report: Report, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_pdf(german_report, tmp_path_factory.mktemp("walk") / "annual-de.pdf")
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(str(path)).pages
    )


def test_german_draft_notice_does_not_say_draft_twice(german_pdf_text: str) -> None:
    """The narrative's notice read "ENTWURF – Entwurf, erstellt aus …": the same word twice."""
    assert "ENTWURF" in german_pdf_text
    assert not re.search(r"ENTWURF\s*[–—-]\s*Entwurf", german_pdf_text)


@pytest.fixture(scope="module")
def german_report(oracle_store: Store, report_templates) -> Report:
    template, programme, period = ANNUAL
    return build_report(
        oracle_store,
        report_templates.get(template),
        programme,
        parse_periods(period)[0],
        lang="de",
    )


def test_german_sheet_tabs_end_on_a_whole_word(german_report: Report, tmp_path: Path) -> None:
    """Excel's 31-character limit cut "Arbeit mit den Klientinnen und Klienten" to the tab
    "Arbeit mit den Klientinnen und " (a trailing space, the phrase broken off)."""
    path = write_xlsx(german_report, tmp_path / "annual-de.xlsx")
    names = load_workbook(path).sheetnames
    assert all(name == name.strip() for name in names), names
    long = [name for name in names if name.startswith("Arbeit mit den Klientinnen")]
    assert long == ["Arbeit mit den Klientinnen…"], names
    assert all(len(name) <= 31 for name in names)
