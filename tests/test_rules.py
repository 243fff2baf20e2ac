"""Every rule of the format (docs/spec/data-format.md) has a failing and a passing case.

Validation is expensive (Great Expectations builds a graph per expectation), so the cases are
planted as rows of two shared packages instead of one package each:

* ``good`` = the minimal fixture + every passing case  → ``report.ok``;
* ``bad``  = ``good`` + every failing case, each on its own row → exactly the expected problems,
  with the planted row numbers (header = row 1).

Because ``bad`` also holds every passing row, a rule that flags a passing value shows up as an
unexpected row. Cases are generated from the registry where they can be (every column type,
required column, vocabulary value, reference and row rule), so a new column or rule is covered
without touching this file; hand-written cases add the examples the spec names.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from conftest import PackageBuilder, builder_from_minimal, csv_text

from evaluation.intake.ingest import check_package
from evaluation.intake.problems import Problem, ValidationReport, ordered_for_fixing
from evaluation.intake.validation import ROW_RULE_TEXTS, row_rule_text
from evaluation.store import schema
from evaluation.vocabulary import language

Key = tuple[str, str | None, str]  # (table, column, rule)
BLANKS = ("", "   ", "\t", " \u00a0 ")
AS_OF = "2025-06-30"


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    values: dict[str, object]
    expect: tuple[tuple[str | None, str], ...] = ()
    """(column, rule) problems the row must raise; empty: the row must pass."""


def base_row(table: str, i: int) -> dict[str, object]:
    """A valid row of ``table``; ``i`` makes identifiers and staffing quarters unique."""
    quarter = dt.date(2000 + i // 4, 1 + 3 * (i % 4), 1).isoformat()
    rows: dict[str, dict[str, object]] = {
        "programmes": dict(
            programme_id=f"P-X{i}",
            programme_name="Example programme",
            country="DE",
            intervention_type="exit_support",
            setting="open",
            started_on="2024-01-01",
            ends_on="",
        ),
        "cases": dict(
            case_ref=f"X-{i:04d}",
            programme_id="P-OPEN",
            client_type="exit_participant",
            first_request_on="",
            opened_on="2024-01-01",
            plan_agreed_on="",
            closed_on="2024-06-01",
            closure_reason="goals_achieved",
            referral_source="self",
            participation="voluntary",
            setting_at_intake="community",
            ideology="right_wing",
            gender="male",
            age_band="25_34",
            returnee="",
            risk_at_intake="low",
            region="DE30",
        ),
        "contacts": dict(
            case_ref="A-001",
            contact_on="2024-02-01",
            minutes="60",
            mode="phone",
            activity="counselling",
            staff_role="social_worker",
            setting="community",
        ),
        "needs": dict(
            case_ref="A-001",
            domain="housing",
            identified_on="2024-02-01",
            status="open",
            status_on="2024-02-01",
        ),
        "referrals": dict(
            case_ref="A-001", referred_on="2024-02-01", service="housing", outcome="pending"
        ),
        "custody_events": dict(case_ref="B-001", event="entered_custody", event_on="2024-05-02"),
        "assessments": dict(
            case_ref="A-001", assessed_on="2024-02-01", tool="VERA-2R", risk_level="medium"
        ),
        "outcomes": dict(case_ref="A-001", outcome="disengaged", recorded_on="2025-03-31"),
        "capacity": dict(
            programme_id="P-OPEN",
            held_on="2024-03-01",
            activity="training",
            audience="police",
            participants="12",
            hours="3.5",
        ),
        "funding": dict(
            programme_id="P-OPEN",
            funder="Example Foundation",
            funder_level="private",
            period_start="2024-01-01",
            period_end="2024-12-31",
            amount_eur="1000",
            basis="per_case",
        ),
        "staffing": dict(
            programme_id="P-OPEN",
            quarter_start=quarter,
            headcount="3",
            fte="2.5",
            leavers="0",
            former_extremists="1",
        ),
        "targets": dict(
            programme_id="P-OPEN",
            indicator_id="C01",
            period_start="2025-01-01",
            period_end="2025-12-31",
            target="0.5",
            baseline="0.4",
        ),
    }
    return dict(rows[table])


DATA_TABLES = [t for t in schema.TABLES if t.name != "about"]


def test_base_rows_cover_the_registry() -> None:
    for t in DATA_TABLES:
        assert list(base_row(t.name, 0)) == list(t.column_names), t.name


def rule_columns_blank(table: schema.Table) -> dict[str, object]:
    """Optional columns of the row rules left empty, so a bad value trips no row rule."""
    return {c: "" for r in table.row_rules for c in r.columns if not table.column(c).required}


def all_dates(table: schema.Table, value: str) -> dict[str, object]:
    return {c.name: value for c in table.columns if c.type == "date"}


# -- row rules, planted automatically ---------------------------------------------------------
RULE_DATES = ("2024-01-01", "2024-04-01", "2024-05-15")


def rule_plants(table: schema.Table) -> dict[str, tuple[dict, dict]]:
    """For each row rule of ``table``: (values that break only it, values that pass it).

    Found by evaluating every rule's SQL on combinations of candidate values, so a new rule
    in the registry is planted without editing this file.
    """
    if not table.row_rules:
        return {}
    cols = list(dict.fromkeys(c for r in table.row_rules for c in r.columns))

    def candidates(name: str) -> list[str | None]:
        col = table.column(name)
        values: list[str | None] = list(RULE_DATES) if col.type == "date" else list(col.vocab[:1])
        assert values, f"add candidate values for {col.type} columns to rule_plants"
        return values + ([] if col.required else [None])

    con = duckdb.connect()
    select = ", ".join(f"CAST(? AS {table.column(c).sql_type}) AS {c}" for c in cols)
    verdicts = []
    for combo in itertools.product(*(candidates(c) for c in cols)):
        flags = con.execute(
            f"SELECT {', '.join(f'coalesce(({r.sql}), false)' for r in table.row_rules)} "
            f"FROM (SELECT {select})",
            list(combo),
        ).fetchone()
        verdicts.append((dict(zip(cols, combo, strict=True)), flags))
    con.close()
    out = {}
    for i, rule in enumerate(table.row_rules):
        breaks = next((v for v, f in verdicts if f[i] and sum(f) == 1), None)
        passes = next(
            (v for v, f in verdicts if not any(f) and all(v[c] is not None for c in rule.columns)),
            None,
        )
        assert breaks and passes, f"cannot plant row rule {table.name}.{rule.name}"
        out[rule.name] = (
            {k: v or "" for k, v in breaks.items()},
            {k: v or "" for k, v in passes.items()},
        )
    return out


# -- the cases ---------------------------------------------------------------------------------
def _generated() -> list[Case]:
    out: list[Case] = []
    for t in DATA_TABLES:

        def fail(
            id_: str, expect: list[tuple[str | None, str]], _t: str = t.name, **values: object
        ) -> None:
            out.append(Case(f"{_t}.{id_}", _t, values, tuple(expect)))

        def ok(id_: str, _t: str = t.name, **values: object) -> None:
            out.append(Case(f"{_t}.{id_}", _t, values))

        required = [c for c in t.columns if c.required]
        for k, col in enumerate(required):
            fail(
                f"{col.name}-missing",
                [(col.name, "required")],
                **{col.name: BLANKS[k % len(BLANKS)]},
            )
        vocab = [c for c in t.columns if c.type == "vocab"]
        if vocab:
            for k in range(max(len(c.vocab) for c in vocab)):
                ok(f"vocab-{k}", **{c.name: c.vocab[k % len(c.vocab)] for c in vocab})
        for col in vocab:
            fail(
                f"{col.name}-vocab",
                [(col.name, "vocab")],
                **{col.name: "X99" if col.name == "indicator_id" else "not_a_value"},
            )
        for col in t.columns:
            refers = col.references is not None and col.references.split(".")[0] != t.name
            if col.type == "date":
                for bad in ("2025-02-30", "31.12.2024"):
                    fail(
                        f"{col.name}-date-{bad}",
                        [(col.name, "date")],
                        **rule_columns_blank(t) | {col.name: bad},
                    )
            elif col.type == "integer":
                fail(f"{col.name}-integer", [(col.name, "integer")], **{col.name: "12.5"})
                if col.min_value is not None:
                    fail(
                        f"{col.name}-below-min",
                        [(col.name, "range")],
                        **{col.name: str(int(col.min_value) - 1)},
                    )
                if col.max_value is not None:
                    fail(
                        f"{col.name}-above-max",
                        [(col.name, "range")],
                        **{col.name: str(int(col.max_value) + 1)},
                    )
            elif col.type == "decimal":
                fail(f"{col.name}-comma", [(col.name, "decimal")], **{col.name: "12,5"})
                if col.min_value is not None:
                    fail(
                        f"{col.name}-below-min",
                        [(col.name, "range")],
                        **{col.name: str(col.min_value - 0.5)},
                    )
            elif col.type == "bool":
                fail(f"{col.name}-bool", [(col.name, "bool")], **{col.name: "ja"})
            elif col.type == "text" and col.max_length:
                fail(
                    f"{col.name}-too-long",
                    [(col.name, "length")],
                    **{col.name: "x" * (col.max_length + 1)},
                )
                if not refers:
                    ok(f"{col.name}-longest", **{col.name: "y" * col.max_length})
            if refers:
                fail(f"{col.name}-foreign-key", [(col.name, "foreign_key")], **{col.name: "NOPE-1"})
        dates = [c for c in t.columns if c.type == "date"]
        if dates:
            fail("before-1980", [(c.name, "min_date") for c in dates], **all_dates(t, "1979-10-01"))
            fail(
                "after-data-as-of",
                [(c.name, "after_data_as_of") for c in dates if not c.may_follow_data_as_of],
                **all_dates(t, "2030-01-01"),
            )
        for name, (breaks, passes) in rule_plants(t).items():
            rule = next(r for r in t.row_rules if r.name == name)
            fail(f"rule-{name}", [(rule.columns[0], name)], **breaks)
            ok(f"rule-{name}-passes", **passes)
    return out


def _explicit() -> list[Case]:
    """The examples the spec and the brief name, beyond what the registry loop plants."""
    f = Case
    return [
        f("date 2025-2-3", "contacts", {"contact_on": "2025-2-3"}, (("contact_on", "date"),)),
        f("date 2025-02-29", "contacts", {"contact_on": "2025-02-29"}, (("contact_on", "date"),)),
        f(
            "date with time",
            "contacts",
            {"contact_on": "2024-02-01T10:00"},
            (("contact_on", "date"),),
        ),
        f("date 2024-02-29", "contacts", {"contact_on": "2024-02-29"}),
        f("date in spaces", "contacts", {"contact_on": " 2024-03-01 "}),
        f("date = data_as_of", "contacts", {"contact_on": AS_OF}),
        f("date 1980-01-01", "contacts", {"contact_on": "1980-01-01"}),
        *[
            f(f"minutes {v}", "contacts", {"minutes": v}, (("minutes", "integer"),))
            for v in ("abc", "1,000", "1e3", "60 min", "sixty")
        ],
        *[
            f(f"minutes {v}", "contacts", {"minutes": v}, (("minutes", "range"),))
            for v in ("-5", "0", "1441")
        ],
        *[f(f"minutes {v}", "contacts", {"minutes": v}) for v in ("1", "1440", " 45 ")],
        *[
            f(f"hours {v}", "capacity", {"hours": v}, (("hours", "decimal"),))
            for v in ("1,000.00", "abc", "NaN")
        ],
        *[f(f"hours {v}", "capacity", {"hours": v}) for v in ("0", ".5", "12.25")],
        f("participants 0", "capacity", {"participants": "0"}),
        f("amount 0", "funding", {"amount_eur": "0"}),
        *[
            f(f"returnee {v}", "cases", {"returnee": v})
            for v in ("true", "FALSE", "Yes", "no", "1", "0", " TRUE ")
        ],
        *[
            f(f"returnee {v}", "cases", {"returnee": v}, (("returnee", "bool"),))
            for v in ("2", "y", "wahr")
        ],
        *[
            f(f"country {v}", "programmes", {"country": v}, (("country", "vocab"),))
            for v in ("QQ", "DEU", "D1", "D E")
        ],
        f("country FR", "programmes", {"country": "FR"}),
        f("country de (case is normalised)", "programmes", {"country": "de"}),
        f("country XK (Kosovo)", "programmes", {"country": "XK"}),
        *[
            f(
                f"programme_id {v}",
                "programmes",
                {"programme_id": v},
                (("programme_id", "pattern"),),
            )
            for v in ("P 1", "P/1", "Pä-1", "P.1")
        ],
        f(
            "programme_id 41",
            "programmes",
            {"programme_id": "P" * 41},
            (("programme_id", "length"),),
        ),
        f("case_ref pattern", "cases", {"case_ref": "A 001"}, (("case_ref", "pattern"),)),
        f("case_ref 65", "cases", {"case_ref": "C" * 65}, (("case_ref", "length"),)),
        f("case_ref 64", "cases", {"case_ref": "D" * 64}),
        f("case_ref twice 1", "cases", {"case_ref": "DUP-1"}, (("case_ref", "unique"),)),
        f("case_ref twice 2", "cases", {"case_ref": "DUP-1"}, (("case_ref", "unique"),)),
        f(
            "programme_id twice 1",
            "programmes",
            {"programme_id": "P-DUP"},
            (("programme_id", "unique"),),
        ),
        f(
            "programme_id twice 2",
            "programmes",
            {"programme_id": "P-DUP"},
            (("programme_id", "unique"),),
        ),
        f(
            "cases→programmes",
            "cases",
            {"programme_id": "P-GONE"},
            (("programme_id", "foreign_key"),),
        ),
        f("contacts→cases", "contacts", {"case_ref": "A-999"}, (("case_ref", "foreign_key"),)),
        f(
            "capacity→programmes",
            "capacity",
            {"programme_id": "P-GONE"},
            (("programme_id", "foreign_key"),),
        ),
        f("reason whitespace, not closed", "cases", {"closed_on": "", "closure_reason": " \t"}),
        f(
            "staffing twice 1",
            "staffing",
            {"quarter_start": "2024-07-01"},
            (("quarter_start", "unique_together"),),
        ),
        f(
            "staffing twice 2",
            "staffing",
            {"quarter_start": "2024-07-01"},
            (("quarter_start", "unique_together"),),
        ),
        f(
            "staffing same quarter, other programme",
            "staffing",
            {"programme_id": "P-CJS", "quarter_start": "2024-07-01"},
        ),
        *[
            f(
                f"quarter_start {v}",
                "staffing",
                {"quarter_start": v},
                (("quarter_start", "quarter_start_day"),),
            )
            for v in ("2025-02-01", "2025-04-02")
        ],
        *[
            f(f"quarter_start {v}", "staffing", {"quarter_start": v})
            for v in ("2023-04-01", "2023-07-01", "2023-10-01")
        ],
        f("indicator K9", "targets", {"indicator_id": "K9"}, (("indicator_id", "vocab"),)),
        f("ends_on after data_as_of", "programmes", {"ends_on": "2030-12-31"}),
        f(
            "funding after data_as_of",
            "funding",
            {"period_start": "2026-01-01", "period_end": "2031-12-31"},
        ),
        f(
            "targets after data_as_of",
            "targets",
            {"period_start": "2030-01-01", "period_end": "2030-12-31"},
        ),
        f("tool at 40", "assessments", {"tool": "ERG22+ " + "z" * 33}),
    ]


CASES = _generated() + _explicit()
FAILS = [c for c in CASES if c.expect]
PASSES = [c for c in CASES if not c.expect]


def test_every_row_rule_of_the_registry_is_planted() -> None:
    planted = {c.id.split("rule-", 1)[1] for c in FAILS if ".rule-" in c.id}
    assert planted == {r.name for t in schema.TABLES for r in t.row_rules}


# -- building and checking the two packages ------------------------------------------------------
@dataclass
class Planted:
    pkg: PackageBuilder
    rows: dict[str, int] = field(default_factory=dict)
    expected: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(list))

    def plant(self, cases: list[Case]) -> Planted:
        for case in cases:
            values = base_row(case.table, len(self.pkg.tables[case.table])) | case.values
            self.rows[case.id] = row = self.pkg.add(case.table, **values)
            for column, rule in case.expect:
                self.expected[(case.table, column, rule)].append(row)
        return self

    def cosmetics(self) -> PackageBuilder:
        """Write some tables the way real exports do: BOM, odd header case, spaces."""
        contacts = self.pkg.tables.pop("contacts")
        header = list(contacts[0])
        shown = [f" {h.upper()} " if i % 2 else h.title() for i, h in enumerate(header)]
        text = csv_text(contacts, header).split("\n", 1)[1]
        self.pkg.raw["contacts"] = ("\ufeff" + ",".join(shown) + "\n" + text).encode()
        self.pkg.tables[" Staffing "] = self.pkg.tables.pop("staffing")
        self.pkg.tables["TARGETS"] = self.pkg.tables.pop("targets")
        return self.pkg


def _fresh(root: Path) -> Planted:
    pkg = builder_from_minimal(root)
    for t in DATA_TABLES:
        pkg.tables.setdefault(t.name, [])
    return Planted(pkg)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    pkg = _fresh(tmp_path_factory.mktemp("good")).plant(PASSES).cosmetics()
    return check_package(pkg.write("zip"))


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationReport, Planted]:
    planted = _fresh(tmp_path_factory.mktemp("bad")).plant(PASSES).plant(FAILS)
    return check_package(planted.cosmetics().write("folder")), planted


def find(report: ValidationReport, table: str, column: str | None, rule: str) -> Problem:
    found = [p for p in report.problems if (p.table, p.column, p.rule) == (table, column, rule)]
    assert len(found) == 1, (
        f"{table}.{column} {rule}: {len(found)} problems; report has "
        + "; ".join(p.sentence() for p in report.problems)
    )
    return found[0]


@pytest.mark.slow
def test_every_passing_case_together_is_ok(good: ValidationReport) -> None:
    assert good.ok, [p.sentence() for p in good.errors]
    assert good.data_as_of == AS_OF


def test_report_ok_flips_with_the_failing_rows(good: ValidationReport, bad: tuple) -> None:
    assert good.ok and not bad[0].ok


@pytest.mark.parametrize("case", FAILS, ids=lambda c: c.id)
def test_failing_case(bad: tuple[ValidationReport, Planted], case: Case) -> None:
    report, planted = bad
    row = planted.rows[case.id]
    for column, rule in case.expect:
        expected = sorted(planted.expected[(case.table, column, rule)])
        p = find(report, case.table, column, rule)
        assert p.severity == "error"
        assert p.count == len(expected)
        assert p.rows == tuple(expected[:5])
        if row in p.rows:
            assert str(row) in p.sentence()


@pytest.mark.parametrize("case", PASSES, ids=lambda c: c.id)
def test_passing_case(bad: tuple[ValidationReport, Planted], case: Case) -> None:
    report, planted = bad
    row = planted.rows[case.id]
    flagged = [
        p.sentence()
        for p in report.problems
        if p.table == case.table and p.severity == "error" and row in p.rows
    ]
    assert flagged == []


def test_no_unexpected_problems(bad: tuple[ValidationReport, Planted]) -> None:
    report, planted = bad
    unexpected = [
        p.sentence() for p in report.errors if (p.table, p.column, p.rule) not in planted.expected
    ]
    assert unexpected == []
    assert {(p.table, p.column, p.rule) for p in report.errors} == set(planted.expected)


def test_problem_rows_are_bounded_and_counted(bad: tuple[ValidationReport, Planted]) -> None:
    report, _ = bad
    p = find(report, "contacts", "minutes", "integer")
    assert p.count > 5 and len(p.rows) == 5
    assert f"and {p.count - 5} more" in p.sentence()


# -- Excel cells ----------------------------------------------------------------------------------
def test_excel_cells(tmp_path: Path) -> None:
    """Real date, number and boolean cells are read as the format's values."""
    pkg = builder_from_minimal(tmp_path)
    for t in ("funding", "custody_events"):
        pkg.drop(t)
    pkg.tables["about"][1]["value"] = dt.date(2025, 6, 30)
    base = base_row("contacts", 0)
    rows = {
        "datetime": pkg.add("contacts", **base | {"contact_on": dt.datetime(2024, 2, 1, 13, 45)}),
        "float 60": pkg.add("contacts", **base | {"minutes": 60.0}),
        "1979 cell": pkg.add("contacts", **base | {"contact_on": dt.date(1979, 6, 1)}),
        "2030 cell": pkg.add("contacts", **base | {"contact_on": dt.date(2030, 1, 1)}),
        "2025-2-3": pkg.add("contacts", **base | {"contact_on": "2025-2-3"}),
        "number": pkg.add("contacts", **base | {"contact_on": 45000}),
        "time": pkg.add("contacts", **base | {"contact_on": dt.time(10, 30)}),
        "1.5": pkg.add("contacts", **base | {"minutes": 1.5}),
    }
    case = base_row("cases", 1) | {"returnee": True, "opened_on": dt.date(2024, 1, 1)}
    pkg.add("cases", **case)
    pkg.tables[" Cases "] = [
        {f" {k.upper()}": v for k, v in r.items()} for r in pkg.tables.pop("cases")
    ]  # sheet and header names
    report = check_package(pkg.write("xlsx"))
    assert {(p.table, p.column, p.rule): p.rows for p in report.errors} == {
        ("contacts", "contact_on", "min_date"): (rows["1979 cell"],),
        ("contacts", "contact_on", "after_data_as_of"): (rows["2030 cell"],),
        ("contacts", "contact_on", "date"): (rows["2025-2-3"], rows["number"], rows["time"]),
        ("contacts", "minutes", "integer"): (rows["1.5"],),
    }
    assert report.data_as_of == AS_OF


# -- the about table ----------------------------------------------------------------------------
def about_report(tmp_path: Path, rows: list[tuple[str, str]]) -> ValidationReport:
    """Check a package of the about table alone (cheap: the other tables are only missing)."""
    path = tmp_path / "about-only"
    path.mkdir()
    (path / "about.csv").write_text(csv_text([{"key": k, "value": v} for k, v in rows]))
    return check_package(path)


ABOUT = [("organisation", "Example e.V."), ("data_as_of", AS_OF), ("source_system", "Sheet")]


def about_problems(report: ValidationReport) -> dict[Key, Problem]:
    return {(p.table, p.column, p.rule): p for p in report.problems if p.table == "about"}


def test_about_valid_keys_in_any_case(tmp_path: Path) -> None:
    report = about_report(tmp_path, [(" ORGANISATION ", "Example e.V."), ("Data_As_Of", AS_OF)])
    assert about_problems(report) == {}
    assert report.organisation == "Example e.V." and report.data_as_of == AS_OF


@pytest.mark.parametrize("missing", ["organisation", "data_as_of"])
def test_about_required_key_missing(tmp_path: Path, missing: str) -> None:
    report = about_report(tmp_path, [r for r in ABOUT if r[0] != missing])
    p = about_problems(report)[("about", "key", "missing_key")]
    assert f"`{missing}`" in p.sentence() and not report.ok


@pytest.mark.parametrize("value", ["2025-02-30", "2025-2-3", "30.06.2025", "2025-06-30T12:00"])
def test_about_data_as_of_invalid(tmp_path: Path, value: str) -> None:
    report = about_report(tmp_path, [ABOUT[0], ("data_as_of", value)])
    p = about_problems(report)[("about", "value", "date")]
    assert p.rows == (3,) and report.data_as_of is None


def test_about_data_as_of_empty(tmp_path: Path) -> None:
    report = about_report(tmp_path, [ABOUT[0], ("data_as_of", "  ")])
    p = [
        p for p in report.problems if (p.table, p.column, p.rule) == ("about", "value", "required")
    ]
    assert p and all(q.rows == (3,) for q in p)


def test_about_unknown_and_duplicate_keys(tmp_path: Path) -> None:
    report = about_report(
        tmp_path, [*ABOUT, ("contact_person", "Example"), ("source_system", "Other")]
    )
    found = about_problems(report)
    unknown = found[("about", "key", "unknown_key")]
    assert unknown.rows == (5,) and unknown.gate
    dup = found[("about", "key", "duplicate_key")]
    assert "source_system" in dup.message and "4" in dup.message and "6" in dup.message


# -- tables and headers ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def structure(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """About twice, programmes with header problems, custody_events lacking a column, an
    unknown table, and no cases table."""
    pkg = builder_from_minimal(tmp_path_factory.mktemp("structure"))
    for t in ("cases", "contacts", "funding"):
        pkg.drop(t)
    pkg.tables["ABOUT"] = pkg.tables["about"]
    pkg.raw["programmes"] = (
        "programme_id, Programme_Name ,country,intervention_type,setting,started_on,colour,"
        "COUNTRY,\n"
        "P-OPEN,Open Door,DE,stand_alone_exit,open,2022-01-01,blue,DE,\n"
        "P-CJS,Inside Out,DE,exit_support,criminal_justice,2023-04-01,red,DE,surprise\n"
    )
    for r in pkg.tables["custody_events"]:
        del r["event_on"]
    pkg.tables["sessions"] = [{"case_ref": "A-001"}]
    return check_package(pkg.write("folder"))


def test_structure_problems(structure: ValidationReport) -> None:
    errors = {(p.table, p.column, p.rule) for p in structure.errors}
    assert errors == {
        ("about", None, "duplicate_table"),
        ("programmes", "country", "duplicate_column"),
        ("programmes", None, "unknown_column"),
        ("programmes", None, "unnamed_column"),
        ("custody_events", None, "missing_column"),
        ("sessions", None, "unknown_table"),
        ("cases", None, "missing_table"),
    }
    text = {p.rule: p.sentence() for p in structure.problems}
    assert "colour" in text["unknown_column"]
    assert "columns 3 and 8" in text["duplicate_column"]
    assert "`event_on`" in text["missing_column"]
    assert "ends_on" not in " ".join(text.values())  # an optional column may be absent


@pytest.fixture(scope="module")
def only_optional(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    root = tmp_path_factory.mktemp("only-optional")
    (root / "pkg").mkdir()
    (root / "pkg" / "outcomes.csv").write_text("case_ref,outcome,recorded_on\n")
    return check_package(root / "pkg")


@pytest.mark.parametrize("table", schema.REQUIRED_TABLES)
def test_required_table_missing(only_optional: ValidationReport, table: str) -> None:
    p = find(only_optional, table, None, "missing_table")
    assert p.severity == "error" and table in p.sentence()


def test_optional_tables_may_be_absent(loaded_store) -> None:
    """The minimal fixture has no needs, referrals, …; they are "not available", not zero."""
    first = loaded_store.submissions()[-1]  # the oldest: the shared store only ever grows
    assert first.source_name == "minimal"
    assert "needs" not in first.row_counts and first.row_counts["cases"] == 5


# -- one pass ------------------------------------------------------------------------------------
def test_all_problems_are_found_in_one_pass(package_factory) -> None:
    pkg = package_factory()
    for t in ("contacts", "custody_events", "funding"):
        pkg.drop(t)
    pkg.tables["about"].append({"key": "colour", "value": "blue"})
    pkg.tables["programmes"][0]["country"] = "Germany"
    pkg.tables["cases"][1]["gender"] = "m"
    pkg.tables["cases"][2]["opened_on"] = "2025-02-30"
    pkg.tables["cases"][3]["programme_id"] = "P-GONE"
    report = check_package(pkg.write("folder"))
    assert {(p.table, p.column, p.rule, p.rows) for p in report.errors} == {
        ("about", "key", "unknown_key", (5,)),
        ("programmes", "country", "vocab", (2,)),
        ("cases", "gender", "vocab", (3,)),
        ("cases", "opened_on", "date", (4,)),
        ("cases", "programme_id", "foreign_key", (5,)),
    }


def test_row_rules_skip_values_that_failed_their_column_rule(tmp_path: Path) -> None:
    """RowRule promises to run "only on rows whose own values passed their column rules".

    Today a row rule sees the value through TRY_CAST: `2024-1-1` (not a date of the format)
    is read as 1 January and trips `ends_after_start`; `2025-02-30` is read as missing and
    trips `reason_without_closure`. Each row should get the one date problem only.
    """
    pkg = builder_from_minimal(tmp_path)
    for t in ("contacts", "custody_events", "funding"):
        pkg.drop(t)
    pkg.tables["programmes"][0].update(started_on="2024-05-01", ends_on="2024-1-1")
    pkg.tables["cases"][0].update(closed_on="2025-02-30")  # closure_reason stays filled in
    report = check_package(pkg.write("folder"))
    assert {(p.table, p.column, p.rule, p.rows) for p in report.errors} == {
        ("programmes", "ends_on", "date", (2,)),
        ("cases", "closed_on", "date", (2,)),
    }


def test_row_numbers_count_blank_lines(tmp_path: Path) -> None:
    """Row numbers are the rows a person sees when opening the file (header = row 1).

    DuckDB's CSV reader skips empty lines, so `rowid + 2` is one short for every blank line
    above the problem: here the bad row is row 4 in Excel, reported as row 3.
    """
    pkg = builder_from_minimal(tmp_path)
    for t in ("cases", "contacts", "custody_events", "funding"):
        pkg.drop(t)
    text = csv_text(pkg.tables.pop("programmes")).splitlines()
    text[2] = text[2].replace(",DE,", ",Germany,")
    pkg.raw["programmes"] = "\n".join([text[0], text[1], "", *text[2:]]) + "\n"
    report = check_package(pkg.write("folder"))
    assert [(p.column, p.rule, p.rows) for p in report.errors if p.table == "programmes"] == [
        ("country", "vocab", (4,))
    ]


# -- the order to fix, and the language of the messages ------------------------------------------
def _p(table: str, column: str | None, rule: str, rows: tuple[int, ...] = (), **kw) -> Problem:
    return Problem(table, column, rule, "says what", "fix it", rows, len(rows), **kw)


def test_problems_are_listed_in_the_order_to_fix_them() -> None:
    """Blockers first (tables, columns, missing columns), then values column by column, values
    that do not fit together, links, what the store refuses, warnings last; one change's
    problems together. Sorted by table, `about`'s values came before a missing table and the
    `cases` links before the `contacts` values."""
    problems = [
        _p("programmes", "programme_id", "no_cases", (3,), severity="warning"),
        _p("contacts", "case_ref", "foreign_key", (4,)),
        _p("about", "value", "date", (3,)),
        _p("outcomes", "case_ref", "foreign_key", (2,)),
        _p("contacts", "minutes", "range", (9,)),
        _p("cases", "closed_on", "closed_after_opening", (5,)),
        _p("cases", "gender", "vocab", (7,)),
        _p("cases", "gender", "required", (8,)),
        _p("contacts", None, "missing_column"),
        _p("programmes", "programme_name", "personal_email", (2,), gate=True),
        _p("cases", None, "unknown_column", gate=True),
        _p("sessions", None, "unknown_table", gate=True),
        _p("cases", None, "missing_table"),
        _p("contacts", "minutes", "range", (3,)),
    ]
    report = ValidationReport("x.zip", problems)
    order = [(p.table, p.column, p.rule) for p in ordered_for_fixing(problems)]
    assert order == [
        ("sessions", None, "unknown_table"),  # the package and its tables; personal data first
        ("cases", None, "missing_table"),
        ("cases", None, "unknown_column"),  # columns
        ("contacts", None, "missing_column"),  # missing required columns
        ("programmes", "programme_name", "personal_email"),  # values: personal data first
        ("about", "value", "date"),
        ("cases", "gender", "required"),  # one column: fill it in, then write it right
        ("cases", "gender", "vocab"),
        ("contacts", "minutes", "range"),
        ("contacts", "minutes", "range"),
        ("cases", "closed_on", "closed_after_opening"),  # values that do not fit together
        ("contacts", "case_ref", "foreign_key"),  # links: one fix (add the cases), together
        ("outcomes", "case_ref", "foreign_key"),
        ("programmes", "programme_id", "no_cases"),  # warnings last
    ]
    ranges = [p.rows for p in ordered_for_fixing(problems) if p.rule == "range"]
    assert ranges == [(3,), (9,)]  # within a group by row
    # The page, the CLI and the problem list show this one order.
    assert [p for _step, ps in report.steps() for p in ps] == report.sorted()
    assert [r["Problem"] for r in report.as_rows()] == [p.message for p in report.sorted()]
    assert [r["No."] for r in report.as_rows()] == list(range(1, len(problems) + 1))
    assert [step for step, _ps in report.steps()] == [
        "1. The package and its tables",
        "2. Columns",
        "3. Missing required columns",
        "4. Values",
        "5. Values that do not fit together",
        "6. Links between tables",
        "7. Warnings",
    ]


def test_every_row_rule_reads_as_the_registry_says() -> None:
    """The row rules' words are translated from ``validation.ROW_RULE_TEXTS``; in English they
    are the registry's own."""
    for table in schema.TABLES:
        for rule in table.row_rules:
            assert rule.name in ROW_RULE_TEXTS, rule.name
            assert row_rule_text(rule) == (rule.message, rule.fix)


GERMAN_WORDS = ("Tabelle", "Spalte", "Zeile", "enthält", "Sie")


@pytest.mark.slow
def test_a_broken_package_is_checked_in_the_readers_language(tmp_path: Path) -> None:
    """German sentences around the format's own table and column names (the names the file
    has), no Python in them, counts as German writes them; English by default."""
    pkg = builder_from_minimal(tmp_path)
    for t in ("custody_events", "funding"):
        pkg.drop(t)
    pkg.tables["cases"][0]["gender"] = "mal"
    pkg.tables["cases"][1]["opened_on"] = "2025-02-30"
    for r in pkg.tables["contacts"]:
        r["colour"] = "blue"
    pkg.tables["contacts"][0]["case_ref"] = "Z-999"
    pkg.tables["contacts"][1]["minutes"] = "2000"
    for r in pkg.tables["programmes"]:
        del r["country"]
    path = pkg.write("zip")

    with language.using("de"):
        german = check_package(path)
        summary = german.summary()
        steps = german.steps()
        rows = german.as_rows()
        said = [p.sentence() for p in german.sorted()]
        vocab = next(p for p in german.problems if p.rule == "vocab")
        where = vocab.where()
    english = check_package(path)
    assert german.lang == "de" and english.lang == "en"
    assert {(p.table, p.column, p.rule, p.rows) for p in german.problems} == {
        (p.table, p.column, p.rule, p.rows) for p in english.problems
    }
    everything = "\n".join([summary, *said, *(str(v) for r in rows for v in r.values())])
    for sentence in said:
        assert sentence.startswith("Tabelle `"), sentence
    assert summary.startswith("package.zip: ") and "zu behebende Probleme" in summary
    assert where == "Tabelle `cases`, Spalte `gender`, Zeile 2"
    assert "female, male, diverse, unknown" in vocab.fix  # the values the file must hold
    assert "enthält Werte außerhalb von 1–1440" in " ".join(said)
    assert any("`country`" in s and "Pflichtspalte" in s for s in said), said
    assert any("„colour“ (Spalte" in s for s in said), said
    assert "Tabelle `programmes`" in " ".join(said)
    assert next(s for s, _ps in steps).startswith("1. ")
    assert set(rows[0]) >= {"Nr.", "Schritt", "Tabelle", "Spalte", "Problem"}
    for word in ("None", "Problem(", "Error:", "{", "}", "\\n", "()"):
        assert word not in everything, word
    for word in GERMAN_WORDS:
        assert word in everything, word
    english_text = "\n".join(p.sentence() for p in english.problems) + english.summary()
    assert "has values that are not in the list of allowed values" in english_text
    assert not any(w in english_text for w in ("Tabelle", "Spalte", "enthält"))


def test_a_refusal_and_a_load_speak_the_readers_language(tmp_path: Path, store) -> None:
    """The refusals of a file that cannot be a package, the progress and the loaded sentence:
    German under ``using("de")``, numbers as German writes them."""
    from evaluation.errors import PackageRefused
    from evaluation.intake.ingest import ingest

    (tmp_path / "one.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with language.using("de"), pytest.raises(PackageRefused) as refused:
        check_package(tmp_path / "one.csv")
    assert str(refused.value).startswith("one.csv ist eine einzelne CSV-Datei.")
    said: list[str] = []
    pkg = builder_from_minimal(tmp_path / "pkg")
    with language.using("de"):
        result = ingest(pkg.write("zip"), store, progress=lambda m, _f: said.append(m))
        sentence = result.sentence()
    assert any(m.startswith("contacts wird geladen (") and "Zeilen)" in m for m in said), said
    assert not any("rows" in m or "Loading" in m for m in said), said
    assert sentence.startswith("package.zip als Lieferung ") and "Zeilen vom " in sentence
    assert result.sentence().startswith("Loaded package.zip as submission ")


@pytest.mark.slow
def test_row_numbers_of_a_large_file_count_blank_lines_too(tmp_path: Path) -> None:
    """A large CSV file (``NUMBER_LATER_BYTES`` or more) is numbered only when a problem needs
    its row numbers; the numbers are the same a person sees: blank lines count, header = row 1.
    """
    from evaluation.intake.staging import NUMBER_LATER_BYTES

    pkg = builder_from_minimal(tmp_path)
    lines = csv_text(pkg.tables.pop("contacts")).splitlines()
    header, body = lines[0], lines[1:]
    copies = NUMBER_LATER_BYTES // len("\n".join(body)) + 1
    rows = body * copies
    # a blank line after row 10 (so the file's row 12 is rows[10]), and another further down
    bad_at = 50_000
    rows[bad_at] = rows[bad_at].replace(",60,", ",-5,", 1)
    assert ",-5," in rows[bad_at]
    text = [header, *rows[:10], "", *rows[10:bad_at], "", *rows[bad_at:]]
    pkg.raw["contacts"] = "\n".join(text) + "\n"
    folder = pkg.write("folder")
    assert (folder / "contacts.csv").stat().st_size >= NUMBER_LATER_BYTES
    report = check_package(folder)
    # header (1) + 10 rows + blank + rows 10..bad_at-1 + blank: the bad row's line number
    expected = 1 + 10 + 1 + (bad_at - 10) + 1 + 1
    found = [(p.column, p.rule, p.rows) for p in report.errors if p.table == "contacts"]
    assert found and found[0][0] == "minutes" and found[0][2][0] == expected, found
