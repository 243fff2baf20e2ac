"""The demo store, built once with every check and shipped prebuilt (``data/demo-prebuilt``).

Loading the demo the real way (``load.load_demo``: generate, write the packages, check and load
each one, then approve each organisation's releases with the real protection) takes a minute or
more, most of it protecting the releases. ``serve --demo`` on a fresh install should show its
first page in seconds, so the result of that real run is shipped and copied into the store:

* ``tables/<table>.parquet``: every table of the demo store that holds rows, except its
  version record and any account or key (``NOT_SHIPPED``), with the times of the build (when
  each package was loaded, each release approved). ``cases`` carries the fictional
  ``case_ref`` instead of ``case_key``: a case key is the HMAC of the reference with the
  store's own secret, so a restored store gets keys of its own secret (never a published one)
  and a package uploaded again matches.
* ``packages/``: the packages the store was loaded from, written beside the store as
  ``demo`` writes them, so a real upload of one can be tried on the Upload page (it passes
  every check and is recognised as already loaded).
* ``manifest.json``: the schema version, the tables and their columns and rows, and a SHA-256
  of every file.

A shipped copy is used only when it fits the code exactly (same ``SCHEMA_VERSION``, same tables
and columns, files intact); otherwise the demo is loaded the real way.
``tests/test_demo_prebuilt.py`` rebuilds it and compares the content with what is shipped, so it
cannot go stale unnoticed.
Rebuild it with ``python -m evaluation.demo.prebuilt`` after changing the generator, the
schema, the checks or the protection.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from evaluation.progress import Progress, no_progress
from evaluation.store.database import SCHEMA_VERSION, Store
from evaluation.vocabulary.language import _

PREBUILT = Path(__file__).resolve().parents[2] / "data" / "demo-prebuilt"
"""Where the shipped copy lives (in the repository, beside the user's ``data`` files)."""
SEED = 7
"""The seed of the demo ``serve --demo`` loads."""
MANIFEST = "manifest.json"
NOT_SHIPPED = frozenset({"schema_migrations", "users", "sign_in_guard", "trusted_keys"})
"""Tables never shipped: the store's own version record, and accounts or keys of a person."""
SUBMISSION_ID = r"S[0-9]{8}-[0-9]{6}-"
"""The time part of a submission id (``ingest``: ``S<yyyymmdd-hhmmss>-<content key>``)."""


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    seed: int
    duckdb: str
    tables: dict[str, dict[str, Any]]
    """table → {"rows": n, "columns": [[name, type], ...]} as shipped."""
    files: dict[str, str]
    """path relative to the folder → SHA-256."""

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        try:
            data = json.loads((folder / MANIFEST).read_text("utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None

    def write(self, folder: Path) -> None:
        text = json.dumps(self.__dict__, indent=1, sort_keys=True, ensure_ascii=False)
        (folder / MANIFEST).write_text(text + "\n", "utf-8")

    def packages(self) -> list[str]:
        return sorted(f for f in self.files if f.startswith("packages/"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Building


def build(folder: Path = PREBUILT, *, progress: Progress | None = None) -> Manifest:
    """Load the demo the real way into a new store and write what ``restore`` copies into
    ``folder`` (replacing what is there)."""
    from evaluation.demo.load import load_demo

    say = progress or no_progress
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="demo-prebuilt-") as tmp_name:
        tmp = Path(tmp_name)
        with Store.open(tmp / "demo.duckdb") as store:
            results = load_demo(store, tmp / "packages", seed=SEED, scale="demo", progress=say)
            if any(r.status != "loaded" for r in results):
                raise RuntimeError("the demo did not load into a new store")
            staging = folder.with_name(folder.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            manifest = export(store, staging, tmp / "packages")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    return manifest


def export(
    store: Store, folder: Path, packages: Path, refs: Iterable[str] | None = None
) -> Manifest:
    """Write ``store``'s tables and the package files in ``packages`` into ``folder``, with
    each case's reference in place of its key; ``refs``: every case reference (default: those
    of the demo's generated packages)."""
    folder.mkdir(parents=True)
    (folder / "tables").mkdir()
    (folder / "packages").mkdir()
    cur = store.cursor()
    refs = set(refs) if refs is not None else _case_refs()
    cur.execute("CREATE TEMP TABLE demo_refs (case_key VARCHAR, case_ref VARCHAR)")
    ordered = sorted(refs)
    cur.execute(
        "INSERT INTO demo_refs SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
        [[store.case_key(r) for r in ordered], ordered],
    )
    tables: dict[str, dict[str, Any]] = {}
    for name in _tables(cur):
        if name in NOT_SHIPPED:
            if name == "users" and _count(cur, name):
                raise RuntimeError("the demo store must not hold accounts")
            continue
        rows = _count(cur, name)
        if not rows:
            continue
        columns = _columns(cur, name)
        select = f"SELECT * FROM {name}"
        if name == "cases":
            select = (
                "SELECT c.* EXCLUDE (case_key), r.case_ref "
                "FROM cases c JOIN demo_refs r USING (case_key)"
            )
            columns = _keyed_by_ref(columns)
            if _count(cur, f"({select})") != rows:
                raise RuntimeError("a case of the demo store has no reference in its packages")
        path = str(folder / "tables" / f"{name}.parquet").replace("'", "''")
        cur.execute(
            f"COPY ({select} ORDER BY ALL) TO '{path}' "
            "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19)"
        )
        tables[name] = {"rows": rows, "columns": columns}
    cur.execute("DROP TABLE demo_refs")
    for p in sorted(Path(packages).iterdir()):
        if p.is_file() and not p.name.startswith("."):
            shutil.copyfile(p, folder / "packages" / p.name)
    files = {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = Manifest(SCHEMA_VERSION, SEED, duckdb.__version__, tables, files)
    manifest.write(folder)
    return manifest


def _case_refs() -> set[str]:
    """Every case reference of the demo's packages (the generator's, which wrote them)."""
    from evaluation.demo.generate import generate

    refs: set[str] = set()
    for pkg in generate(seed=SEED, scale="demo"):
        refs.update(r for r in pkg.tables["cases"].column("case_ref").to_pylist() if r)
    return refs


def _tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
            "AND database_name = current_database() AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
    ]


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[list[str]]:
    return [
        [r[0], r[1]]
        for r in cur.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database() AND schema_name = 'main' "
            "ORDER BY column_index",
            [table],
        ).fetchall()
    ]


def _keyed_by_ref(columns: list[list[str]]) -> list[list[str]]:
    """The columns of ``cases`` as shipped: the reference in place of the key, last."""
    return [c for c in columns if c[0] != "case_key"] + [["case_ref", "VARCHAR"]]


def _count(cur: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])


# --------------------------------------------------------------------------------------------
# Restoring


def usable(store: Store, folder: Path | None = None) -> Manifest | None:
    """The shipped manifest when the copy in ``folder`` (default ``PREBUILT``) fits ``store``
    exactly: the same schema version, the same columns of every table, every file as shipped;
    else None."""
    folder = Path(folder or PREBUILT)
    manifest = Manifest.read(folder)
    if manifest is None or manifest.schema_version != SCHEMA_VERSION:
        return None
    if manifest.schema_version != store.schema_version or manifest.seed != SEED:
        return None
    cur = store.cursor()
    present = set(_tables(cur))
    for name, shipped in manifest.tables.items():
        if name not in present or name in NOT_SHIPPED:
            return None
        columns = _columns(cur, name)
        if name == "cases":
            columns = _keyed_by_ref(columns)
        if sorted(map(tuple, columns)) != sorted(map(tuple, shipped["columns"])):
            return None
    for rel, digest in manifest.files.items():
        path = folder / rel
        if not path.is_file() or _sha256(path) != digest:
            return None
    return manifest


def restore(
    store: Store,
    out_dir: Path | None,
    *,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> bool:
    """Copy the shipped demo into ``store`` (which holds no submission) in one transaction,
    and its packages into ``out_dir``; False, with nothing changed, when the shipped copy does
    not fit (see ``usable``)."""
    say = progress or no_progress
    folder = Path(folder or PREBUILT)
    manifest = usable(store, folder)
    if manifest is None or store.submissions():
        return False
    say(_("Copying the prebuilt demo store"), 0.1)
    cur = store.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        for name in manifest.tables:
            path = str(folder / "tables" / f"{name}.parquet")
            if name == "cases":
                key, params = store.hmac_sql("case_ref")
                cur.execute(
                    f"INSERT INTO cases BY NAME SELECT * EXCLUDE (case_ref), {key} AS case_key "
                    "FROM read_parquet(?)",
                    [*params, path],
                )
            else:
                cur.execute(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet(?)", [path])
        for name, shipped in manifest.tables.items():
            if _count(cur, name) < shipped["rows"]:
                raise RuntimeError(f"{name} was not copied whole")
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
    if out_dir is not None:
        say(_("Writing the demo packages"), 0.8)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for rel in manifest.packages():
            target = out / Path(rel).name
            if not target.exists() or _sha256(target) != manifest.files[rel]:
                tmp = target.with_name(f".{target.name}.partial")
                shutil.copyfile(folder / rel, tmp)
                tmp.replace(target)
    return True


# --------------------------------------------------------------------------------------------
# Comparing


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """(rows, SHA-256 of the sorted rows) of every shipped table in ``folder``, leaving out
    what differs between two runs of the same build: the times (loaded, approved, logged),
    including the time part of submission ids."""
    manifest = Manifest.read(folder)
    if manifest is None:
        raise FileNotFoundError(folder / MANIFEST)
    con = duckdb.connect()
    out: dict[str, tuple[int, str]] = {}
    for name, shipped in sorted(manifest.tables.items()):
        parts = []
        for col, typ in shipped["columns"]:
            q = f'"{col}"'
            if typ.startswith("TIMESTAMP"):
                continue
            if typ in ("VARCHAR", "JSON"):
                parts.append(f"regexp_replace({q}::VARCHAR, '{SUBMISSION_ID}', 'S-', 'g')")
            else:
                parts.append(f"{q}::VARCHAR")
        row = " || chr(31) || ".join(f"coalesce({p}, chr(0))" for p in parts)
        path = str(folder / "tables" / f"{name}.parquet")
        rows, digest = con.execute(
            f"SELECT count(*), sha256(coalesce(string_agg(r, chr(10) ORDER BY r), '')) "
            f"FROM (SELECT {row} AS r FROM read_parquet(?))",
            [path],
        ).fetchall()[0]
        out[name] = (int(rows), str(digest))
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.demo.prebuilt",
        description="Rebuild the shipped demo store (data/demo-prebuilt) the real way.",
    )
    parser.add_argument("--out", type=Path, default=PREBUILT)
    args = parser.parse_args(argv)
    from evaluation.progress import ConsoleProgress

    progress = ConsoleProgress()
    manifest = build(args.out, progress=progress)
    progress.done()
    size = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    rows = sum(t["rows"] for t in manifest.tables.values())
    print(f"Wrote {args.out}: {len(manifest.tables)} tables, {rows} rows, {size} bytes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
