"""Loading the large demo in worker processes: the same rows as one package after another, case
keys of the target store's secret, nothing copied when a package is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.demo import generate as demo
from evaluation.demo.generate import DemoPackage
from evaluation.demo.load import load_demo
from evaluation.store.database import DATA_TABLES, Store

real_generate = demo.generate


def _small(**kwargs: object) -> list[DemoPackage]:
    """The demo's organisations, a few rows each (the large demo's layout: one folder each)."""
    kwargs["scale"] = "demo"
    pkgs = real_generate(**kwargs)  # type: ignore[arg-type]
    out = []
    for p in pkgs:
        cases = p.tables["cases"].slice(0, 20)
        refs = set(cases.column("case_ref").to_pylist())
        tables = {}
        for name, table in p.tables.items():
            if "case_ref" in table.column_names and name != "cases":
                keep = [r in refs for r in table.column("case_ref").to_pylist()]
                table = table.filter(keep)
            tables[name] = cases if name == "cases" else table
        out.append(DemoPackage(p.name, p.organisation, tables))
    return out


def _rows(store: Store) -> dict[str, list[tuple]]:
    """Every current row of every data table, without the submission's id or the case key."""
    cur = store.cursor()
    out = {}
    for t in DATA_TABLES:
        out[t.name] = sorted(
            cur.execute(
                f"SELECT * EXCLUDE (submission_id{', case_key' if t.name == 'cases' else ''}) "
                f"FROM current_{t.name}"
            ).fetchall(),
            key=repr,
        )
    return out


def test_workers_load_what_one_process_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "generate", _small)
    with Store.open(tmp_path / "one.duckdb") as one, Store.open(tmp_path / "two.duckdb") as two:
        first = load_demo(one, tmp_path / "p1", scale="large", workers=1)
        second = load_demo(two, tmp_path / "p2", scale="large", workers=2)
        assert [r.status for r in first] == [r.status for r in second] == ["loaded"] * 5
        assert [r.organisation for r in first] == [r.organisation for r in second]
        assert _rows(one) == _rows(two)
        assert len(two.submissions()) == 5
        ref = _small(seed=7)[0].tables["cases"].column("case_ref")[0].as_py()
        keys = two.cursor().execute("SELECT case_key FROM cases").fetchall()
        assert (two.case_key(ref),) in keys
        actions = two.cursor().execute("SELECT action, actor FROM audit_log").fetchall()
        assert sorted(actions) == [("upload", "demo")] * 5
        # into a store with data, one package after another: each already loaded
        again = load_demo(two, tmp_path / "p2", scale="large", workers=2)
        assert [r.status for r in again] == ["unchanged"] * 5
    assert not list(tmp_path.glob(".demo-workers-*"))
