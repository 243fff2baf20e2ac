"""The shipped demo store (``data/demo-prebuilt``): it fits this version, copies in whole with
keys of the store's own secret, refuses to be used when it does not fit, and is what the real
load of the demo builds today (``slow``: the rebuild takes a minute or more)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from evaluation.demo import load as demo_load
from evaluation.demo import prebuilt
from evaluation.demo.generate import generate
from evaluation.demo.prebuilt import PREBUILT, Manifest, export, fingerprint, restore, usable
from evaluation.demo.releases import _all_released, approve_demo
from evaluation.intake.ingest import ingest
from evaluation.store.database import SCHEMA_VERSION, Store


def _refs(folder: Path) -> list[str]:
    path = str(folder / "tables" / "cases.parquet")
    return [r[0] for r in duckdb.execute("SELECT case_ref FROM read_parquet(?)", [path]).fetchall()]


def test_shipped_fits_this_version(tmp_path: Path) -> None:
    manifest = Manifest.read(PREBUILT)
    assert manifest is not None, f"{PREBUILT} is missing: python -m evaluation.demo.prebuilt"
    assert manifest.schema_version == SCHEMA_VERSION, "rebuild: python -m evaluation.demo.prebuilt"
    with Store.open(tmp_path / "x.duckdb") as store:
        assert usable(store) == manifest
    assert {"submissions", "cases", "contacts", "releases", "release_cells"} <= set(manifest.tables)
    assert not set(manifest.tables) & prebuilt.NOT_SHIPPED
    assert "case_key" not in {c for c, _t in manifest.tables["cases"]["columns"]}
    # what the generator makes today is what was shipped (the whole comparison: the slow
    # test below)
    packages = generate(seed=prebuilt.SEED)
    for name in ("cases", "contacts", "needs", "outcomes"):
        rows = sum(p.tables[name].num_rows for p in packages if name in p.tables)
        assert rows == manifest.tables[name]["rows"], f"{name}: rebuild the shipped demo"
    refs = {r for p in packages for r in p.tables["cases"].column("case_ref").to_pylist()}
    assert refs == set(_refs(PREBUILT))
    assert manifest.packages() == [
        f"packages/{n}"
        for n in (
            "brovaktarna-bjorkvik.xlsx",
            "keerpunt-eikendaal.xlsx",
            "lindenhag-wendepunkt.xlsx",
            "nordlicht-exit.xlsx",
            "nordlicht-exit.zip",
            "ravnsholt-familie.xlsx",
        )
    ]


def test_restore_is_whole_and_keyed_by_the_stores_secret(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        assert restore(a, out)
        assert restore(b, None)
        assert not restore(a, out)  # only into a store without data
        refs = _refs(PREBUILT)
        for store in (a, b):
            keys = {r[0] for r in store.cursor().execute("SELECT case_key FROM cases").fetchall()}
            assert keys == {store.case_key(r) for r in refs}
        assert a.case_key(refs[0]) != b.case_key(refs[0])
        # every period the demo shows first is released for the data as loaded: approving
        # again changes nothing
        rows = a.cursor().execute("SELECT programme_id FROM programmes").fetchall()
        programmes = tuple(r[0] for r in rows)
        assert len(programmes) == 8
        assert approve_demo(a) == []
        assert _all_released(a, programmes, _periods(a))
        again = tmp_path / "again"
        export(a, again, out, refs)
        assert fingerprint(again) == fingerprint(PREBUILT)
        # the packages beside the store are those it was loaded from
        manifest = Manifest.read(PREBUILT)
        assert manifest is not None
        for rel in manifest.packages():
            assert prebuilt._sha256(out / Path(rel).name) == manifest.files[rel]
        assert (out / "nordlicht-exit.zip").exists()


def _periods(store: Store) -> list:  # the periods the demo approves
    from evaluation.demo.releases import demo_periods
    from evaluation.reports.spec import load_templates
    from evaluation.store.access import Scope
    from evaluation.views.programmes import programmes_in_scope

    programmes = programmes_in_scope(store.cursor(), Scope.everything())
    return demo_periods(
        max(programmes["data_as_of"]), min(programmes["first_date"]), load_templates()
    )


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "shipped"
    shutil.copytree(PREBUILT, folder)
    return folder


def test_misfit_copy_is_not_used(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    data = json.loads((folder / "manifest.json").read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(data))
    with Store.open(tmp_path / "x.duckdb") as store:
        assert usable(store, folder) is None
        assert not restore(store, tmp_path / "demo", folder=folder)
        assert not store.submissions()

    folder = _copy(tmp_path / "2")
    with (folder / "tables" / "contacts.parquet").open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\0\0\0\0")
    with Store.open(tmp_path / "y.duckdb") as store:
        assert not restore(store, tmp_path / "demo2", folder=folder)
        assert not store.submissions()
    assert not (tmp_path / "demo2").exists()


def test_start_demo_falls_back_to_the_real_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(tmp_path / "x.duckdb") as store:
        assert demo_load.start_demo(store, tmp_path / "demo") == "prebuilt"
    calls: list[Path] = []
    monkeypatch.setattr(prebuilt, "usable", lambda store, folder=None: None)
    monkeypatch.setattr(demo_load, "load_demo", lambda store, out, **kw: calls.append(out))
    with Store.open(tmp_path / "y.duckdb") as store:
        assert demo_load.start_demo(store, tmp_path / "demo2") == "loaded"
    assert calls == [tmp_path / "demo2"]


@pytest.mark.slow
def test_shipped_is_what_the_real_load_builds(tmp_path: Path) -> None:
    """The real load (generate, check and load every package, approve with the real
    protection) builds the same content as shipped; when this fails, rebuild the shipped copy
    with ``python -m evaluation.demo.prebuilt``."""
    built = prebuilt.build(tmp_path / "built")
    shipped = Manifest.read(PREBUILT)
    assert shipped is not None
    assert built.tables == shipped.tables
    assert fingerprint(tmp_path / "built") == fingerprint(PREBUILT)


@pytest.mark.slow
def test_a_shipped_package_uploaded_again_is_already_loaded(tmp_path: Path) -> None:
    """The real upload path (every check) on a package written beside the restored store."""
    with Store.open(tmp_path / "x.duckdb") as store:
        assert restore(store, tmp_path / "demo")
        before = fingerprint_of(store)
        result = ingest(tmp_path / "demo" / "ravnsholt-familie.xlsx", store, actor="test")
        assert result.status == "unchanged", result.sentence()
        assert fingerprint_of(store) == before


def fingerprint_of(store: Store) -> dict[str, tuple[int, int]]:
    return {k: v for k, v in store.fingerprint().items() if k != "audit_log"}
