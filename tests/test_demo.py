"""Tests of the demo-data generator: the data must obey every rule of the package format.

The checks here are written from ``docs/spec/data-format.md`` independently of the package's
validator, so a bug in either shows up as a disagreement instead of cancelling out.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from openpyxl import load_workbook

from evaluation.demo import generate as demo
from evaluation.demo.generate import DemoPackage, generate, write_demo, write_package
from evaluation.store.schema import EARLIEST_DATE, REQUIRED_TABLES, TABLES, TABLES_BY_NAME

AS_OF = date(2026, 9, 30)
ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The anonymisation gate's patterns for free-text cells.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?\d[\d\s\-.()]{5,}\d")
DATE_RE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
IP_RE = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
REAL_NAMES = (
    "exit-deutschland",
    "exit deutschland",
    "violence prevention network",
    "hayat",
    "fryshuset",
    "exit sweden",
    "exit fryshuset",
    "legato",
    "derad",
    "neustart",
    "wegweiser",
    "back on track",
)


@pytest.fixture(scope="module")
def packages() -> list[DemoPackage]:
    return generate(seed=7)


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _columns(pkg: DemoPackage) -> Iterator[tuple[str, str, pa.ChunkedArray]]:
    for name, table in pkg.tables.items():
        for col in table.column_names:
            yield name, col, table.column(col)


def _values(arr: pa.ChunkedArray) -> list[str]:
    return [v for v in arr.to_pylist() if v is not None]


def test_deterministic_by_seed(packages: list[DemoPackage]) -> None:
    again = generate(seed=7)
    assert [p.name for p in again] == [p.name for p in packages]
    for a, b in zip(packages, again, strict=True):
        assert a.tables.keys() == b.tables.keys()
        for name in a.tables:
            assert a.tables[name].equals(b.tables[name]), name
    other = generate(seed=8)
    assert any(
        not a.tables["contacts"].equals(b.tables["contacts"])
        for a, b in zip(packages, other, strict=True)
    )


def test_tables_and_columns_match_registry(packages: list[DemoPackage]) -> None:
    registry_order = [t.name for t in TABLES]
    for pkg in packages:
        assert set(REQUIRED_TABLES) <= set(pkg.tables)
        assert list(pkg.tables) == [t for t in registry_order if t in pkg.tables]
        for name, table in pkg.tables.items():
            assert tuple(table.column_names) == TABLES_BY_NAME[name].column_names, name
            assert all(f.type == pa.string() for f in table.schema), name
    # Most packages carry every optional table; one deliberately lacks some.
    full = [p for p in packages if len(p.tables) == len(TABLES)]
    assert len(full) >= len(packages) - 1
    assert any("assessments" not in p.tables for p in packages)


def test_about_and_names_are_fictional(packages: list[DemoPackage]) -> None:
    assert len(packages) == 5
    assert len({p.name for p in packages}) == 5
    for pkg in packages:
        about = dict(
            zip(*(pkg.tables["about"].column(c).to_pylist() for c in ("key", "value")), strict=True)
        )
        assert about["organisation"] == pkg.organisation
        assert about["data_as_of"] == AS_OF.isoformat()
        assert "source_system" in about
        assert ID_RE.match(pkg.name)
        names = [pkg.organisation, *_values(pkg.tables["funding"].column("funder"))]
        for name in names:
            assert name.endswith("(fictional)"), name
        texts = names + _values(pkg.tables["programmes"].column("programme_name"))
        for text in texts:
            assert not any(real in text.lower() for real in REAL_NAMES), text


def test_vocabularies_and_value_rules(packages: list[DemoPackage]) -> None:
    for pkg in packages:
        for name, col_name, arr in _columns(pkg):
            col = TABLES_BY_NAME[name].column(col_name)
            if col.required:
                assert arr.null_count == 0, f"{name}.{col_name}"
            values = _values(arr)
            if col.vocab:
                assert set(values) <= set(col.vocab), f"{name}.{col_name}"
            if col.type == "bool":
                assert set(values) <= {"true", "false"}
            if col.type in ("integer", "decimal"):
                nums = [int(v) if col.type == "integer" else float(v) for v in values]
                if col.min_value is not None:
                    assert all(v >= col.min_value for v in nums), f"{name}.{col_name}"
                if col.max_value is not None:
                    assert all(v <= col.max_value for v in nums), f"{name}.{col_name}"
            if col.pattern:
                assert all(re.match(col.pattern, v) for v in values), f"{name}.{col_name}"
            if col.max_length:
                assert all(len(v) <= col.max_length for v in values), f"{name}.{col_name}"
            if col.type == "text" or col.vocab:
                assert all(v == v.strip() and v for v in values), f"{name}.{col_name}"


def test_keys_unique_and_references_valid(packages: list[DemoPackage]) -> None:
    refs_seen: set[str] = set()
    for pkg in packages:
        cases = pkg.tables["cases"]
        refs = cases.column("case_ref").to_pylist()
        assert len(refs) == len(set(refs))
        assert not refs_seen & set(refs)
        refs_seen |= set(refs)
        for ref in refs:
            assert ID_RE.match(ref) and len(ref) <= 64
            assert re.search("[A-Za-z]", ref) and _digits(ref) < 7
        prog_ids = pkg.tables["programmes"].column("programme_id").to_pylist()
        assert len(prog_ids) == len(set(prog_ids))
        keys = {"cases.case_ref": set(refs), "programmes.programme_id": set(prog_ids)}
        for name, col_name, arr in _columns(pkg):
            col = TABLES_BY_NAME[name].column(col_name)
            if col.references:
                assert set(_values(arr)) <= keys[col.references], f"{name}.{col_name}"
        staffing = pkg.tables["staffing"]
        pairs = list(
            zip(
                staffing.column("programme_id").to_pylist(),
                staffing.column("quarter_start").to_pylist(),
                strict=True,
            )
        )
        assert len(pairs) == len(set(pairs))


def _dates(arr: pa.ChunkedArray) -> np.ndarray:
    """Days since epoch, with NaT for null, after checking the ISO text form."""
    values = arr.to_pylist()
    assert all(v is None or ISO_RE.match(v) for v in values)
    return np.array([v or "NaT" for v in values], dtype="datetime64[D]")


def test_date_rules(packages: list[DemoPackage]) -> None:
    earliest = np.datetime64(EARLIEST_DATE)
    as_of = np.datetime64(AS_OF)
    for pkg in packages:
        for name, col_name, arr in _columns(pkg):
            col = TABLES_BY_NAME[name].column(col_name)
            if col.type != "date":
                continue
            days = _dates(arr)
            present = days[~np.isnat(days)]
            assert (present >= earliest).all(), f"{name}.{col_name}"
            if not col.may_follow_data_as_of:
                assert (present <= as_of).all(), f"{name}.{col_name}"

        t = pkg.tables
        c = {
            k: _dates(t["cases"].column(k))
            for k in ("first_request_on", "opened_on", "plan_agreed_on", "closed_on")
        }
        req, opened, plan, closed = (c[k] for k in c)
        assert not (req > opened).any()
        assert not (plan < opened).any()
        assert not (closed < opened).any()
        reason = np.array(t["cases"].column("closure_reason").to_pylist(), dtype=object)
        assert ((reason == None) == np.isnat(closed)).all()  # noqa: E711
        needs = t["needs"]
        assert not (_dates(needs.column("status_on")) < _dates(needs.column("identified_on"))).any()
        progs = t["programmes"]
        assert not (_dates(progs.column("ends_on")) < _dates(progs.column("started_on"))).any()
        for name in ("funding", "targets"):
            assert not (
                _dates(t[name].column("period_end")) < _dates(t[name].column("period_start"))
            ).any()
        for q in t["staffing"].column("quarter_start").to_pylist():
            d = date.fromisoformat(q)
            assert d.day == 1 and d.month in (1, 4, 7, 10)


def test_free_text_passes_anonymisation_gate(packages: list[DemoPackage]) -> None:
    for pkg in packages:
        texts: list[str] = []
        for name, col_name, arr in _columns(pkg):
            if TABLES_BY_NAME[name].column(col_name).free_text:
                if name == "about":
                    keys = pkg.tables["about"].column("key").to_pylist()
                    texts += [
                        v for k, v in zip(keys, arr.to_pylist(), strict=True) if k != "data_as_of"
                    ]
                else:
                    texts += _values(arr)
        assert texts
        for text in texts:
            for pattern in (EMAIL_RE, PHONE_RE, DATE_RE, IP_RE):
                assert not pattern.search(text), text
        regions = _values(pkg.tables["cases"].column("region"))
        assert all(re.match(r"^[A-Z]{2}[0-9A-Z]{1,3}$", r) for r in regions)


def _programme_of_cases(pkg: DemoPackage) -> dict[str, str]:
    cases = pkg.tables["cases"]
    return dict(
        zip(
            cases.column("case_ref").to_pylist(),
            cases.column("programme_id").to_pylist(),
            strict=True,
        )
    )


def test_typology_and_texture(packages: list[DemoPackage]) -> None:
    kinds: set[str] = set()
    for pkg in packages:
        progs = pkg.tables["programmes"].to_pylist()
        cases = pkg.tables["cases"].to_pylist()
        contacts = pkg.tables["contacts"]
        conference = set(
            pc.filter(
                contacts.column("case_ref"),
                pc.equal(contacts.column("activity"), "case_conference"),
            ).to_pylist()
        )
        for prog in progs:
            mine = [c for c in cases if c["programme_id"] == prog["programme_id"]]
            assert 50 <= len(mine) <= 500
            exit_cases = [c for c in mine if c["client_type"] == "exit_participant"]
            key = (prog["intervention_type"], prog["setting"])
            intake = {c["setting_at_intake"] for c in exit_cases}
            mandated = sum(c["participation"] == "mandated" for c in exit_cases)
            if key == ("stand_alone_exit", "open"):
                kinds.add("open_exit")
            elif key == ("family_support", "open"):
                kinds.add("helpline")
                concerned = {c["client_type"] for c in mine} - {"exit_participant"}
                assert concerned == {"relative", "friend", "professional"}
                assert all(c["first_request_on"] for c in mine)
            elif "pre_trial_detention" in intake:
                kinds.add("pre_trial")
                assert sum(c["case_ref"] in conference for c in exit_cases) > len(exit_cases) / 2
            elif mandated > len(exit_cases) / 2:
                kinds.add("post_release")
                assert {c["referral_source"] for c in exit_cases} >= {"probation", "court"}
            elif key == ("exit_support", "criminal_justice"):
                kinds.add("prison_probation")
            if key[0] != "family_support":
                missing = sum(c["first_request_on"] is None for c in mine) / len(mine)
                assert 0.03 < missing < 0.2
            closed = [c for c in mine if c["closed_on"]]
            assert 0.2 < len(closed) / len(mine) < 0.95
    assert kinds == {"open_exit", "helpline", "pre_trial", "post_release", "prison_probation"}
    reasons = {c for p in packages for c in _values(p.tables["cases"].column("closure_reason"))}
    assert {"died", "moved_away", "goals_achieved", "lost_contact", "mandate_ended"} <= reasons


def test_indicator_inputs_present(packages: list[DemoPackage]) -> None:
    as_of = AS_OF.isoformat()
    all_outcomes: set[str] = set()
    twice = fast = releases = 0
    for pkg in packages:
        t = pkg.tables
        all_outcomes |= set(_values(t["outcomes"].column("outcome")))
        assert pc.any(pc.greater(t["funding"].column("period_end"), as_of)).as_py()
        assert t["staffing"].num_rows and t["targets"].num_rows and t["capacity"].num_rows
        assert set(_values(t["needs"].column("status"))) >= {"open", "met", "unmet"}
        if "custody_events" not in t:
            continue
        ev = t["custody_events"].to_pylist()
        rel = [e for e in ev if e["event"] == "released"]
        per_case: dict[str, int] = {}
        for e in rel:
            per_case[e["case_ref"]] = per_case.get(e["case_ref"], 0) + 1
        twice += sum(n >= 2 for n in per_case.values())
        contact_days: dict[str, list[date]] = {}
        for ref, day in zip(
            t["contacts"].column("case_ref").to_pylist(),
            t["contacts"].column("contact_on").to_pylist(),
            strict=True,
        ):
            contact_days.setdefault(ref, []).append(date.fromisoformat(day))
        for e in rel:
            r = date.fromisoformat(e["event_on"])
            releases += 1
            fast += any(0 <= (d - r).days <= 3 for d in contact_days.get(e["case_ref"], []))
    assert {
        "reoffended",
        "disengaged",
        "situation_improved",
        "employment_or_education",
        "re_engaged",
    } <= all_outcomes
    assert twice >= 3
    assert releases > 100 and fast / releases > 0.5


def test_contacts_per_exit_case_decay(packages: list[DemoPackage]) -> None:
    pkg = packages[0]  # open-setting exit programme with long support
    cases = {c["case_ref"]: c for c in pkg.tables["cases"].to_pylist()}
    first_year: list[int] = []
    second_year: list[int] = []
    counts: dict[str, int] = {}
    for ref, day in zip(
        pkg.tables["contacts"].column("case_ref").to_pylist(),
        pkg.tables["contacts"].column("contact_on").to_pylist(),
        strict=True,
    ):
        case = cases[ref]
        if case["client_type"] != "exit_participant" or case["programme_id"] != "NORD-EXIT":
            continue
        counts[ref] = counts.get(ref, 0) + 1
        age = (date.fromisoformat(day) - date.fromisoformat(case["opened_on"])).days
        (first_year if age < 365 else second_year).append(age)
    assert 15 <= np.mean(list(counts.values())) <= 60
    assert len(first_year) > 2 * len(second_year)


def test_write_xlsx_has_real_dates(packages: list[DemoPackage], tmp_path: Path) -> None:
    pkg = packages[4]  # the smallest: openpyxl without lxml writes ~4 000 rows a second
    path = write_package(pkg, tmp_path / "pkg.xlsx", "xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == list(pkg.tables)
    for name, table in pkg.tables.items():
        width = table.num_columns  # read-only mode drops trailing empty cells: pad them
        rows = [(*r, *(None,) * (width - len(r))) for r in wb[name].iter_rows(values_only=True)]
        assert list(rows[0]) == table.column_names
        assert len(rows) == table.num_rows + 1
        spec = TABLES_BY_NAME[name]
        for j, col_name in enumerate(table.column_names):
            kind = spec.column(col_name).type
            cells = [r[j] for r in rows[1:] if r[j] is not None]
            expected = _values(table.column(col_name))
            assert len(cells) == len(expected)
            if kind == "date":
                assert all(isinstance(v, datetime) for v in cells), (name, col_name)
                assert [v.date().isoformat() for v in cells] == expected
            elif kind == "integer":
                assert all(isinstance(v, int) for v in cells), (name, col_name)
                assert [str(v) for v in cells] == expected
            else:
                assert cells == expected, (name, col_name)
    wb.close()


def test_write_xlsx_refuses_huge_tables(
    packages: list[DemoPackage], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "XLSX_MAX_ROWS", 100)
    with pytest.raises(ValueError, match="too many for xlsx"):
        write_package(packages[0], tmp_path / "x.xlsx", "xlsx")


def _read_csv(data: bytes) -> pa.Table:
    names = data.split(b"\n", 1)[0].decode().split(",")
    return pacsv.read_csv(
        io.BytesIO(data),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True
        ),
    )


def test_write_zip_and_folder_roundtrip(packages: list[DemoPackage], tmp_path: Path) -> None:
    pkg = packages[1]
    path = write_package(pkg, tmp_path / "pkg.zip", "zip")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(f"{n}.csv" for n in pkg.tables)
        for name, table in pkg.tables.items():
            data = zf.read(f"{name}.csv")
            data.decode("utf-8")
            assert _read_csv(data).equals(table), name
            # Python's csv module (RFC 4180) sees the same rows; nulls are empty fields.
            rows = list(csv.reader(io.StringIO(data.decode())))
            assert rows[0] == table.column_names
            assert len(rows) == table.num_rows + 1
    folder = write_package(pkg, tmp_path / "pkg", "folder")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.csv" for n in pkg.tables)
    cases = (folder / "cases.csv").read_bytes()
    assert b'"' not in cases and b",," in cases  # plain fields, empty field for null


def test_reused_folder_keeps_no_data_visible(packages: list[DemoPackage], tmp_path: Path) -> None:
    folder = write_package(packages[0], tmp_path / "pkg", "folder")
    assert (folder / "assessments.csv").exists()
    lacking = packages[4]
    assert "assessments" not in lacking.tables
    write_package(lacking, folder, "folder")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.csv" for n in lacking.tables)


def test_csv_quotes_when_needed(tmp_path: Path) -> None:
    table = pa.table(
        {"key": ["organisation", "data_as_of"], "value": ['Alpha, "Beta" (fictional)', None]}
    )
    pkg = DemoPackage("q", "q", {"about": table})
    folder = write_package(pkg, tmp_path / "q", "folder")
    rows = list(csv.reader(io.StringIO((folder / "about.csv").read_text("utf-8"))))
    assert rows == [
        ["key", "value"],
        ["organisation", 'Alpha, "Beta" (fictional)'],
        ["data_as_of", ""],
    ]


def test_write_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_generate = demo.generate

    def small(**kwargs: object) -> list[DemoPackage]:
        # Writing all five workbooks takes ~12 s; the layout is what is tested here.
        pkgs = real_generate(**kwargs)  # type: ignore[arg-type]
        return [
            DemoPackage(p.name, p.organisation, {n: t.slice(0, 50) for n, t in p.tables.items()})
            for p in pkgs
        ]

    monkeypatch.setattr(demo, "generate", small)
    calls: list[tuple[str, float]] = []
    paths = write_demo(tmp_path, seed=3, scale="demo", progress=lambda m, f: calls.append((m, f)))
    xlsx = [p for p in paths if p.suffix == ".xlsx"]
    zips = [p for p in paths if p.suffix == ".zip"]
    assert len(xlsx) == 5 and len(zips) == 1
    assert zips[0].stem == xlsx[0].stem
    assert all(p.exists() and p.parent == tmp_path for p in paths)
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_rows_of_one_case_and_day_keep_their_generated_order() -> None:
    """The generator's orderings are stable sorts: numpy's default sort picks a different
    algorithm by CPU (AVX-512 or not), which ordered tied rows differently on another machine
    and changed the packages (and the shipped demo) made from the same seed."""
    rng = np.random.default_rng(7)
    case = rng.integers(0, 5, 4000)
    day = np.full(4000, 20_000) + rng.integers(0, 3, 4000)
    order = demo._sorted(case, day)
    assert order.tolist() == np.lexsort((day, case)).tolist()
