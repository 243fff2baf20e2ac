"""Great Expectations' fixed cost is paid once per process (issue 15): the import, the context
and the suite are built once, a warm validation builds nothing again, and the suite still
checks every per-column rule of the registry."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MINIMAL, assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import state
from evaluation.intake import expectations
from evaluation.intake.ingest import check_package, ingest
from evaluation.store.database import Store
from evaluation.store.schema import TABLES

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def test_every_rule_of_the_registry_is_in_exactly_one_expectation() -> None:
    planned = [
        (t.name, c.name, rule)
        for t in TABLES
        for c in t.columns
        for rule in dict.fromkeys(r for r, *_x in expectations._checks(c))
    ]
    grouped = [(t, c, g.rule) for g in expectations.groups() for t, c in g.columns]
    # a rule of two expectations (date: ISO pattern and a real day) is in two groups
    assert sorted(set(grouped)) == sorted(planned)
    assert len(expectations.groups()) < 20  # not one expectation per column (there are ~200)


def _gx_results(suite, frame) -> list[tuple]:
    _suite, batches = expectations._suite()
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    out = []
    for res in batch.validate(suite, result_format=expectations._listing(len(frame))).results:
        cfg = res.expectation_config
        out.append(
            (
                cfg.meta["group"],
                res.success,
                res.result.get("unexpected_count"),
                sorted(map(str, res.result.get("partial_unexpected_list") or [])),
                {k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
            )
        )
    return sorted(out)


def test_the_suites_expectations_check_exactly_as_gxs_own_run_after_run() -> None:
    """The suite's expectations keep their configuration once built
    (``expectations.expectation_class``); GX's own classes build it at every look. On values
    that pass and fail every expectation, both give the same verdicts, the same failing values
    and the same configuration, however often they run, and a field changed after a run counts."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    expectations.warm()
    suite, _batches = expectations._suite()
    grps = expectations.groups()
    text = ["2024-01-31", "2024-13-45", "abc", "A-1", "x" * 300, "1", "-5", "1.5", "true", "no"]
    numbers = [0.0, 1.0, 2.0, -3.0, 5000.0, 1e9, 20000.0]
    columns = {}
    for g in grps:
        if g.field == "pair":
            allowed = g.kwargs["value_set"]
            columns[g.name] = [allowed[0], allowed[-1], "cases.gender=martian"]
        elif g.field == "value":
            columns[g.name] = text
        else:
            columns[g.name] = numbers
    length = max(map(len, columns.values()))
    frame = pd.DataFrame({k: v + [None] * (length - len(v)) for k, v in columns.items()})

    plain = gx.ExpectationSuite(
        name="plain",
        expectations=[
            getattr(gxe, g.cls)(column=g.name, **g.kwargs, meta={"group": i})
            for i, g in enumerate(grps)
        ],
    )
    assert {type(e).__name__ for e in suite.expectations} == {f"Package{g.cls}" for g in grps}
    failing = _gx_results(plain, frame)
    assert all(not success and bad for _g, success, _n, bad, _k in failing)
    # the same values without those that failed: every expectation passes
    kept = {
        grps[i].name: [v for v in columns[grps[i].name] if str(v) not in bad]
        for i, _s, _n, bad, _k in failing
    }
    passing = pd.DataFrame({k: v + [None] * (length - len(v)) for k, v in kept.items()})
    assert all(success for _g, success, *_x in _gx_results(plain, passing))
    for _run in range(3):
        for values in (frame, passing):
            expected = _gx_results(plain, values)
            assert _gx_results(suite, values) == expected

    # a changed field is seen at the next look: the kept configuration is dropped
    expectation = suite.expectations[0]
    before = expectation.configuration
    assert expectation.configuration is before  # built once
    try:
        expectation.notes = "changed"
        assert expectation.configuration.notes == "changed"
    finally:
        expectation.notes = None
    assert expectation.configuration.notes is None
    assert expectation.configuration.kwargs == before.kwargs


def _broken(package_factory) -> Path:
    pkg = package_factory()
    pkg.tables["cases"][0]["opened_on"] = "2024-13-45"
    pkg.tables["cases"][1]["gender"] = "martian"
    pkg.tables["cases"][2]["case_ref"] = pkg.tables["cases"][3]["case_ref"]
    return pkg.write("folder", "broken")


def test_a_warm_validation_imports_and_builds_nothing_again(package_factory, minimal_dir) -> None:
    import great_expectations as gx

    expectations.warm()
    built = expectations.built()
    assert built["contexts"] == 1
    assert built["suites"] == 1
    assert built["gx_imports"] <= 1  # 0 when another module of the process imported GX first
    broken = _broken(package_factory)
    check_package(minimal_dir)  # GX's first validation in this process, if any

    modules = set(sys.modules)
    suites = []
    original = gx.ExpectationSuite.__init__

    def counted(self, *args, **kwargs):
        if str(kwargs.get("name")).startswith("package"):  # GX's validator makes its own
            suites.append(kwargs["name"])
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gx.ExpectationSuite, "__init__", counted)
        assert check_package(minimal_dir).ok
        assert suites == []  # the suite of the registry is reused
        report = check_package(broken)
        assert suites == []  # the same one run lists the failing values: no second suite
    assert {(p.table, p.column, p.rule) for p in report.errors} >= {
        ("cases", "opened_on", "date"),
        ("cases", "gender", "vocab"),
        ("cases", "case_ref", "unique"),
    }
    assert expectations.built() == built
    assert not {m for m in set(sys.modules) - modules if m.startswith("great_expectations")}


def test_prewarm_starts_one_thread_and_returns_at_once() -> None:
    expectations.prewarm()
    expectations.prewarm()
    thread = expectations._PREWARM
    if thread is not None:  # None when this process was warm before
        thread.join(timeout=120)
        assert not thread.is_alive()
    expectations.warm()
    expectations.prewarm()
    assert expectations._PREWARM is thread
    assert expectations.built()["suites"] == 1


def test_modules_gx_never_uses_here_are_not_imported_with_it() -> None:
    """scipy.stats and altair (more than a second of GX's import) are loaded only when used,
    and whoever imports them afterwards gets the real modules."""
    code = (
        "import sys\n"
        "from evaluation.intake import expectations as e\n"
        "e.warm()\n"
        "print('scipy.stats' in sys.modules, 'altair' in sys.modules)\n"
        "from scipy.stats import binom\n"
        "import altair\n"
        "print(type(sys.modules['scipy.stats']).__name__, type(altair).__name__, "
        "round(binom.pmf(1, 2, 0.5), 2))\n"
        "import importlib\n"
        "kl = importlib.import_module('great_expectations.expectations.core.'\n"
        "    'expect_column_kl_divergence_to_be_less_than')\n"
        "print(kl.stats.entropy([0.5, 0.5], [0.5, 0.5]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.split("\n")
    assert out[0] == "False False"
    assert out[1] == "module module 0.5"
    assert out[2] == "0.0"


def test_the_dashboard_warms_validation_after_the_page_of_someone_who_uploads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        ingest(MINIMAL, store)
    calls: list[str] = []
    monkeypatch.setattr(expectations, "prewarm", lambda: calls.append("prewarm"))
    monkeypatch.setattr(state, "IDLE_BEFORE", 0.0)  # started once no page runs (state.when_idle)
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.setenv("EVALUATION_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=180).run()  # the CSO manager, on Upload
    assert_page_ok(at)
    deadline = time.monotonic() + 30
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert calls == ["prewarm"]
    calls.clear()
    at.sidebar.radio(key="demo_role").set_value("funder").run()  # no page of theirs validates
    assert_page_ok(at)
    time.sleep(0.5)
    assert calls == []


def test_a_failing_value_shared_by_columns_is_reported_in_each(package_factory) -> None:
    """The suite checks each distinct cell of an expectation once (a case reference of
    ``cases`` is also one of ``contacts``); its verdict still reaches every column and row."""
    pkg = package_factory()
    bad_day = "2024-02-30"
    pkg.tables["cases"][0]["opened_on"] = bad_day
    pkg.tables["contacts"][1]["contact_on"] = bad_day
    pkg.tables["contacts"][2]["contact_on"] = bad_day
    bad_ref = "A 001!"
    for c in pkg.tables["contacts"]:
        if c["case_ref"] == pkg.tables["cases"][1]["case_ref"]:
            c["case_ref"] = bad_ref
    pkg.tables["cases"][1]["case_ref"] = bad_ref
    report = check_package(pkg.write("folder", "shared"))
    found = {(p.table, p.column, p.rule): p.rows for p in report.problems}
    assert found[("cases", "opened_on", "date")] == (2,)
    assert found[("contacts", "contact_on", "date")] == (3, 4)
    assert found[("cases", "case_ref", "pattern")] == (3,)
    assert ("contacts", "case_ref", "pattern") in found
    assert ("contacts", "case_ref", "foreign_key") not in found  # the value is in cases too
