"""Files for machines never follow the reader's language; reports for people do, with real numbers.

Issue 13 made numbers and days follow the language of the moment (``1.234,5``, ``31.12.2025``
in German). That is right on a page and wrong in a file another program reads: a signed return,
the indicator and explorer downloads, the audit export, a backup, the problem list. Each is made
here while the language is German (the command line with ``--lang de``, or ``using("de")``) from
a real store, whose releases were approved in German too, and must hold machine numbers
(``1094.59…``) and ISO days (``2025-03-31``), read back (a return imports into a funder's store
in German; a CSV parses with numbers as numbers) and, where it holds no words, be the very file
made in English. A German Excel report keeps every figure a number cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import ORACLE, approve_releases, builder_from_minimal

from evaluation import cli
from evaluation.intake.ingest import ingest
from evaluation.periods import parse_periods
from evaluation.sharing.returns.workbook import FIGURE_HEADER, FIGURES
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views import explore
from evaluation.vocabulary import language
from evaluation.vocabulary.language import using

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PERIODS = "2025-Q1,2025-Q2"
TREND = "2023-Q3,2023-Q4,2024-Q1,2024-Q2,2024-Q3,2024-Q4,2025-Q1,2025-Q2"
"""What the sender approves: the standard report's quarter of 2025 Q2 with its eight-quarter
trend, and the returns' two quarters."""
PROGRAMMES = "P-A,P-B,P-C,P-D"
F02 = 40500 / 37
"""P-A's funding per open case in 2025 Q1 (``F02``): more than a thousand and not whole, so it
reads ``1.094,6`` in German and ``1,094.6`` in English wherever it is formatted for a person."""

LOCALE_FORMS = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b"  # a German day: 31.12.2025
    r"|\b\d+,\d+\s?%"  # a German percent with decimals: 62,5 %
    r'|"[-+]?\d[\d.]*,\d+"'  # a decimal comma, grouped or not: "0,625", "1.094,6"
    r'|"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"'  # grouped for a person, even in English: "1,094.6"
)
"""Numbers and days written for a person: none may appear in a file for machines. A number
with a decimal comma is quoted in a CSV or JSON (else it would be two fields and the file no
longer parses, which the tests check too)."""
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
NUMBER_TEXT = re.compile(
    r"[-+]?\d{1,3}(?:[.,\u202f\xa0 ]\d{3})*(?:[.,]\d+)?(?:\s?(?:%|EUR|pp))?"
    r"|\d+\s?[–-]\s?\d+\s?%"
)
"""A spreadsheet cell whose text is only a number (with its unit) or an interval."""


def locale_forms(text: str) -> list[str]:
    return LOCALE_FORMS.findall(text)


@pytest.fixture(scope="module")
def sender(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSO's store file (the oracle package) whose releases were approved in German."""
    path = tmp_path_factory.mktemp("sender") / "sender.duckdb"
    with Store.open(path) as store, using("de"):
        assert ingest(ORACLE, store).status == "loaded"
        approve_releases(store, TREND)
    return path


def german(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """Run one command as ``python -m evaluation --lang de …`` does (in this process); its out
    and err. It must succeed, and the language must end with it."""
    code = cli.main(["--lang", "de", *argv])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_OK, out + err
    assert "Traceback" not in out + err
    assert language.current() == "en"
    return out, err


def english(capsys: pytest.CaptureFixture[str], *argv: str) -> None:
    code = cli.main(["--lang", "en", *argv])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_OK, out + err


def numeric(frame: pd.DataFrame, *columns: str) -> None:
    for c in columns:
        assert pd.api.types.is_numeric_dtype(frame[c]), (c, frame[c].dtype)


# -- the indicator downloads of the command line ---------------------------------------------


def test_indicator_files_made_in_german_are_the_english_files(
    sender: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(sender)
    for audience in ("internal", "shared"):
        made = {}
        for lang, run in (("de", german), ("en", english)):
            for suffix in (".csv", ".json"):
                out = tmp_path / f"{audience}-{lang}{suffix}"
                run(
                    capsys,
                    *("indicators", "--db", db, "--period", PERIODS, "--by", "gender"),
                    *("--audience", audience, "--out", str(out)),
                )
                made[lang, suffix] = out.read_bytes()
        assert made["de", ".csv"] == made["en", ".csv"]
        assert made["de", ".json"] == made["en", ".json"]
    _, err = german(
        capsys, "indicators", "--db", db, "--period", PERIODS, "--out", str(tmp_path / "t.csv")
    )
    assert "Zeilen nach" in err  # the message is German, the file is not

    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert locale_forms(text) == []
    frame = pd.read_csv(io.StringIO(text))
    numeric(frame, "value", "numerator", "denominator", "ci_low", "ci_high", "completeness")
    assert all(ISO_DAY.fullmatch(d) for d in frame["period_start"])
    f02 = frame[
        (frame["indicator_id"] == "F02")
        & (frame["programme_id"] == "P-A")
        & (frame["period_start"] == "2025-01-01")
    ]
    assert math.isclose(float(f02["value"].iloc[0]), F02) and "1094.59" in text
    rows = json.loads((tmp_path / "internal-de.json").read_text(encoding="utf-8"))
    assert all(isinstance(r["value"], float | int | None) for r in rows)
    assert all(ISO_DAY.match(r["period_start"]) for r in rows)


def test_a_person_running_the_command_in_german_gets_the_machine_file(
    sender: Path, tmp_path: Path
) -> None:
    """As a person runs it: ``EVALUATION_LANGUAGE=de python -m evaluation indicators …``."""
    locale = ("EVALUATION_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    env = {k: v for k, v in os.environ.items() if k not in locale}
    out = tmp_path / "f.csv"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "evaluation", "indicators", "--db", str(sender)),
            *("--period", "2025-Q1", "--indicator", "F02,C04", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "EVALUATION_LANGUAGE": "de", "LANG": "de_DE.UTF-8"},
        timeout=120,
    )
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert "geschrieben" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert locale_forms(text) == [] and "1094.59" in text and "2025-01-01" in text
    numeric(pd.read_csv(out), "value", "numerator", "denominator")


# -- returns ------------------------------------------------------------------------------------


def test_a_return_made_in_german_is_machine_form_and_imports_in_german(
    sender: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, funder = str(sender), str(tmp_path / "funder.duckdb")
    key = tmp_path / "key.json"
    org = _organisation(sender)
    german(capsys, "keys", "export", "--db", db, "--organisation", org, "--out", str(key))
    period = ("--programme", PROGRAMMES, "--period", PERIODS)
    files = {}
    for suffix in (".json", ".xlsx", ".xml"):
        files[suffix] = tmp_path / f"return{suffix}"
        german(capsys, "export-return", "--db", db, *period, "--out", str(files[suffix]))
    english(capsys, "export-return", "--db", db, *period, "--out", str(tmp_path / "en.json"))

    # the signed JSON: numbers as JSON numbers, days and moments ISO; the same rows as in English
    text = files[".json"].read_text(encoding="utf-8")
    assert locale_forms(text) == []
    content = json.loads(text)["content"]
    in_english = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))["content"]
    assert content["rows"] == in_english["rows"]
    assert content["provenance"]["periods"] == in_english["provenance"]["periods"]
    for row in content["rows"]:
        assert ISO_DAY.fullmatch(row["period_start"]) and ISO_DAY.fullmatch(row["period_end"])
        for name in ("value", "numerator", "denominator", "ci_low", "ci_high", "completeness"):
            assert row[name] is None or type(row[name]) in (int, float), (name, row[name])
    assert ISO_MOMENT.match(content["provenance"]["approved_at"])
    assert any(
        r["indicator_id"] == "F02"
        and r["programme_id"] == "P-A"
        and r["period_start"] == "2025-01-01"
        and not r["split_column"]
        and math.isclose(r["value"], F02)
        for r in content["rows"]
    )

    # the workbook: figures as number cells, days as date cells, every word English
    figures = openpyxl.load_workbook(files[".xlsx"])[FIGURES]
    rows = list(figures.iter_rows(min_row=2))
    assert tuple(c.value for c in figures[1]) == FIGURE_HEADER
    split_by = {r[8].value for r in rows}
    assert "Age band" in split_by and "Altersgruppe" not in split_by
    for row in rows:
        assert all(row[c].is_date for c in (6, 7))
        assert all(row[c].value is None or row[c].data_type == "n" for c in range(10, 16))
        assert not [
            c.value for c in row if isinstance(c.value, str) and locale_forms(f'"{c.value}"')
        ]

    # ADX: machine numbers and ISO periods
    root = ET.parse(files[".xml"]).getroot()
    for group in root:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}/P\d+[MYD]", group.get("period", ""))
        for value in group:
            float(value.get("value", ""))  # a number as a machine writes it, or it raises
            assert "," not in value.get("value", "")

    # a funder's store reads both forms in German, and serves the figures the CSO approved
    german(capsys, "keys", "trust", "--db", funder, str(key))
    out, _err = german(capsys, "import-return", "--db", funder, str(files[".json"]))
    assert out.startswith("Importiert:")
    out, _err = german(capsys, "import-return", "--db", funder, str(files[".xlsx"]))
    assert "nichts geändert" in out  # the same release: verified and recognised
    shared = ("indicators", "--period", PERIODS, "--programme", PROGRAMMES, "--audience", "shared")
    german(capsys, *shared, "--db", funder, "--out", str(tmp_path / "funder.csv"))
    german(capsys, *shared, "--db", db, "--out", str(tmp_path / "sender.csv"))
    keys = ["indicator_id", "programme_id", "period_start", "suppressed"]
    figures_ = ["value", "numerator", "denominator", "ci_low", "ci_high"]
    at_funder = pd.read_csv(tmp_path / "funder.csv")
    at_sender = pd.read_csv(tmp_path / "sender.csv")
    numeric(at_funder, *figures_)
    pd.testing.assert_frame_equal(at_funder[keys + figures_], at_sender[keys + figures_])


def _organisation(db: Path) -> str:
    with Store.open(db, read_only=True) as store:
        rows = store.cursor().execute("SELECT organisation FROM submissions").fetchall()
    return str(rows[0][0])


# -- the audit export, backups ------------------------------------------------------------------


def test_the_audit_export_in_german_is_machine_form(
    sender: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(sender)
    for suffix in (".csv", ".xlsx", ".json"):
        out, _err = german(capsys, "audit", "--db", db, "--out", str(tmp_path / f"a{suffix}"))
        assert out.startswith("Das Protokoll steht in")
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert locale_forms(text) == []
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(ISO_MOMENT.match(r["happened_at"]) for r in rows)
    # a release number is whole and a missing value empty, never "1.0" or "nan"
    assert {r["release"] for r in rows} - {""} and all(
        re.fullmatch(r"\d*", r["release"]) for r in rows
    )
    assert not [r for r in rows if "nan" in (r["release"], r["target"], r["role"])]
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    header = [c.value for c in sheet[1]]
    releases = [r[header.index("release")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(v is None or isinstance(v, int) for v in releases) and any(releases)
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert all(r["release"] is None or isinstance(r["release"], int) for r in data)
    assert all(ISO_MOMENT.match(r["happened_at"]) for r in data)


def test_a_backup_made_in_german_restores_in_german(
    sender: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zipped = tmp_path / "backup.zip"
    out, _err = german(capsys, "backup", "--db", str(sender), "--out", str(zipped))
    assert "Sicherung" in out
    with zipfile.ZipFile(zipped) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", manifest["created_at"])
    assert isinstance(manifest["rows"], int)
    assert all(isinstance(m["size"], int) for m in manifest["members"].values())
    assert locale_forms(json.dumps(manifest)) == []
    restored = tmp_path / "restored" / "store.duckdb"
    german(capsys, "restore", "--db", str(restored), str(zipped))
    with (
        Store.open(restored, read_only=True) as again,
        Store.open(sender, read_only=True) as original,
    ):
        count = "SELECT count(*) FROM release_cells"
        assert (
            again.cursor().execute(count).fetchone() == original.cursor().execute(count).fetchone()
        )


# -- the problem list of intake -----------------------------------------------------------------


def test_the_problem_list_in_german_keeps_machine_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkg = builder_from_minimal(tmp_path / "pkg")
    first = dict(pkg.tables["cases"][0])
    for n in range(1, 1201):  # rows 7 to 1206; from row 1002 on the gender is not a code
        pkg.add(
            "cases", **{**first, "case_ref": f"Z-{n:04d}", "gender": "x" if n > 995 else "male"}
        )
    package = pkg.write()
    missing = str(tmp_path / "no-store.duckdb")
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"problems{suffix}"
        code = cli.main(
            ["--lang", "de", "check", str(package), "--db", missing, "--problems", str(path)]
        )
        _out, err = capsys.readouterr()
        assert code == cli.EXIT_REFUSED and "Die Problemliste steht in" in err, err
    text = (tmp_path / "problems.csv").read_text(encoding="utf-8")
    assert locale_forms(text) == []
    frame = pd.read_csv(io.StringIO(text))
    assert "Nr." in frame.columns  # headed for its German reader
    numeric(frame, "Nr.", "Anzahl Zeilen")
    gender = frame[frame["Spalte"] == "gender"]
    assert int(gender["Anzahl Zeilen"].iloc[0]) == 205
    assert str(gender["Zeilen"].iloc[0]).startswith("1002, 1003")  # row numbers, never 1.002
    sheet = openpyxl.load_workbook(tmp_path / "problems.xlsx")["problems"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for name in ("Nr.", "Anzahl Zeilen"):
            assert row[header.index(name)].data_type == "n"


# -- the explorer's downloads -------------------------------------------------------------------


def _download(db: Path, lang: str) -> tuple[pd.DataFrame, dict[str, bytes]]:
    periods = parse_periods(PERIODS)
    with Store.open(db, read_only=True) as store, using(lang):
        request = explore.build_request(["C04", "F02"], periods, "gender", [], Scope.everything())
        frame = explore.download_frame(explore.run(store.cursor(), request))
        return frame, {f: explore.tidy_bytes(frame, f) for f in ("csv", "parquet")}


def test_the_explorer_downloads_in_german_hold_machine_numbers(sender: Path) -> None:
    frame, files = _download(sender, "de")
    _frame, in_english = _download(sender, "en")
    text = files["csv"].decode("utf-8-sig")
    assert locale_forms(text) == []
    assert "Weiblich" in text  # the label columns are for the German reader
    read = pd.read_csv(io.StringIO(text))
    numeric(read, "value", "numerator", "denominator", "ci_low", "ci_high")
    assert all(ISO_DAY.fullmatch(d) for d in read["period_start"])
    machine = ["indicator_id", "programme_id", "period_start", "gender", "value", "numerator"]
    english_read = pd.read_csv(io.StringIO(in_english["csv"].decode("utf-8-sig")))
    pd.testing.assert_frame_equal(read[machine], english_read[machine])
    typed = pd.read_parquet(io.BytesIO(files["parquet"]))
    numeric(typed, "value", "numerator", "denominator")
    assert isinstance(typed["period_start"].iloc[0], dt.date | pd.Timestamp)
    assert (typed["value"].dropna() == frame["value"].dropna()).all()


# -- a report for people: German words, numbers as numbers --------------------------------------


@pytest.fixture(scope="module")
def report_packs(
    sender: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Path]]:
    out = tmp_path_factory.mktemp("packs")
    packs = {}
    for lang in ("de", "en"):
        code = cli.main(
            [
                *("--lang", lang, "report", "--db", str(sender), "--programme", "P-A"),
                *("--period", "2025-Q2", "--template", "standard", "--formats", "xlsx"),
                *("--out", str(out / lang)),
            ]
        )
        assert code == cli.EXIT_OK
        packs[lang] = out / lang
    yield packs


def test_a_german_excel_report_keeps_figures_as_numbers(report_packs: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(report_packs["de"] / "standard_P-A_2025-Q2.xlsx")
    assert book.sheetnames[:2] == ["Deckblatt", "Zusammenfassung"]
    as_text = [
        (ws.title, c.coordinate, c.value)
        for ws in book
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and NUMBER_TEXT.fullmatch(c.value.strip())
    ]
    assert as_text == []
    summary = book["Zusammenfassung"]
    figures = [c for row in summary.iter_rows(min_row=3) for c in row[2:] if c.data_type == "n"]
    assert figures and all(c.value is None or c.number_format != "General" for c in figures)
    data = book[book.sheetnames[-1]]
    header = [c.value for c in data[1]]
    assert "Wert" in header and "Erster Tag" in header
    for row in data.iter_rows(min_row=2):
        assert row[header.index("Erster Tag")].is_date
        for name in ("Wert", "Zähler", "Nenner"):
            cell = row[header.index(name)]
            assert cell.value is None or cell.data_type == "n", (name, cell.value)


def test_the_data_file_of_a_german_report_pack_is_the_english_one(
    report_packs: dict[str, Path],
) -> None:
    german_csv = report_packs["de"] / "standard_P-A_2025-Q2_data.csv"
    english_csv = report_packs["en"] / "standard_P-A_2025-Q2_data.csv"
    assert german_csv.read_bytes() == english_csv.read_bytes()
    text = german_csv.read_text(encoding="utf-8")
    assert locale_forms(text) == []
    frame = pd.read_csv(io.StringIO(text))
    numeric(frame, "value", "numerator", "denominator", "release")
    assert all(ISO_DAY.fullmatch(d) for d in frame["period_start"])
