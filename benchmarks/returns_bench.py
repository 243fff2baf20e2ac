"""A funder's store of returns from 500 organisations: how fast its comparison opens.

A funder's store holds no case data, only the signed returns organisations sent it
(``evaluation.sharing.returns``). This builds one from the large demo store and times the
funder's Comparison page on it, beside a bare DuckDB query of the same cells:

    python -m evaluation demo --scale large --db /tmp/large/x.duckdb --out /tmp/large/demo
    python benchmarks/returns_bench.py --large /tmp/large/x.duckdb --out /tmp/returns-bench

Steps (the large store is copied first and never written to):

1. **Figures.** The release table set (``releases.tables.table_set``: every indicator, unsplit
   and split by each case column) of the large store's 500 programmes for the 8 quarters the
   comparison's trend shows, computed by the engine. Approving them for real takes the
   protection about 35 minutes on 2 cores (``docs/performance.md``, Approving releases), so a
   stand-in rule hides the cells here instead: any cell with fewer than 5 in its numerator, in
   its denominator less its numerator, or as its count, with a published range for the unsplit
   ones, as the protection publishes it. A return cannot tell which rule hid its cells; what
   is timed (reading the cells of 500 returns) does not depend on it. Kept in ``cells.parquet``
   for later runs (``--reuse``).
2. **500 senders.** Each programme becomes the return of an organisation of its own (the
   programme's organisation and its id: 500 distinct names), signed with an Ed25519 key of its
   own (500 keys). A fresh funder's store trusts the 500 public key files. The first
   ``--verified`` returns (25 by default) are written as real ``.json`` files and imported with
   ``import_return``: every check of a real import, one transaction each (timed). The rest are
   stored by the importer's own writer (``importer._write``, the same rows in the same
   transaction an import writes) from the signed content in memory, without writing, reading
   and verifying a 3.5 MB file each: on 2 busy cores a verified import of 8 900 figures takes
   seconds, and 500 of them would take most of an hour without changing what is timed.
3. **Timing.** ``views.comparison.compare`` (what the Comparison page calls, uncached) for a
   funder of every organisation: *cold* (a fresh connection, the first call) and *warm* (the
   median of further calls); then the page itself in Streamlit's AppTest (a funder account
   whose scope names the 500 organisations; first run in a fresh process, then reruns from the
   page's caches); and a bare DuckDB query reading the same cells (the newest active return of
   each programme × quarter, unsplit, the compared indicator). Where the time goes: a
   ``cProfile`` of a warm ``compare``, printed with ``--profile``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from evaluation.periods import Period

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "correct horse battery"
FUNDER = "funder.bench"
STANDIN_MIN = 5


def _median_ms(times: list[float]) -> float:
    return round(1000 * statistics.median(times), 1)


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


def _copy_large(large: Path, out: Path) -> Path:
    """A copy of the large store (and its pseudonym secret) to compute from."""
    copy = out / "large-copy.duckdb"
    for suffix in ("", ".secret", ".wal"):
        src = large.with_name(large.name + suffix)
        if src.exists():
            shutil.copy2(src, copy.with_name(copy.name + suffix))
    return copy


def _quarters(as_of: dt.date, n: int) -> list[Period]:
    from evaluation.periods import latest_complete_quarter, whole_periods_before

    last = latest_complete_quarter(as_of)
    quarters = whole_periods_before("quarter", last.end, n)[::-1]
    return sorted(quarters, key=lambda p: p.start)


def _stand_in_hidden(cells: pd.DataFrame) -> pd.DataFrame:
    """The stand-in protection (module docstring): hide small counts; an unsplit hidden cell
    gets a published range around its value."""
    import numpy as np
    import pandas as pd

    frame = cells
    num = pd.to_numeric(frame["numerator"], errors="coerce")
    den = pd.to_numeric(frame["denominator"], errors="coerce")
    value = pd.to_numeric(frame["value"], errors="coerce")
    small = (num > 0) & (num < STANDIN_MIN)
    small |= ((den - num) > 0) & ((den - num) < STANDIN_MIN)
    small |= den.isna() & (value > 0) & (value < STANDIN_MIN)
    frame = frame.copy()
    frame["suppressed"] = small.fillna(False).to_numpy()
    unsplit = frame["suppressed"] & (frame["split_column"] == "")
    for c in ("range_low", "range_high", "den_low", "den_high"):
        frame[c] = np.nan
    prop = unsplit & den.notna()
    frame.loc[prop, "range_low"] = (value[prop] - 0.25).clip(lower=0.0)
    frame.loc[prop, "range_high"] = (value[prop] + 0.25).clip(upper=1.0)
    frame.loc[prop, "den_low"] = (den[prop] - 3).clip(lower=1.0)
    frame.loc[prop, "den_high"] = den[prop] + 3
    count = unsplit & den.isna()
    frame.loc[count, "range_low"] = 1.0
    frame.loc[count, "range_high"] = float(STANDIN_MIN - 1)
    return frame


def build_cells(large: Path, out: Path, reuse: bool) -> tuple[pd.DataFrame, list[Period], dict]:
    """Step 1: the stand-in-protected table set, with the programmes' names and organisations."""
    import pandas as pd

    from evaluation.measures.catalogue import load_catalogue
    from evaluation.periods import parse_periods
    from evaluation.sharing.releases.tables import table_set
    from evaluation.store.database import Store

    cached = out / "cells.parquet"
    meta_path = out / "programmes.json"
    if reuse and cached.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        periods = list(parse_periods(",".join(meta["periods"])))
        return pd.read_parquet(cached), periods, meta
    copy = _copy_large(large, out)
    with Store.open(copy) as s:
        cur = s.cursor()
        as_of = cur.execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
        progs = cur.execute(
            """SELECT p.programme_id, p.programme_name, s.organisation
               FROM current_programmes p JOIN submissions s USING (submission_id)
               ORDER BY p.programme_id"""
        ).fetchall()
        periods = _quarters(as_of, 8)
        start = time.perf_counter()
        cells = table_set(cur, [p[0] for p in progs], periods, load_catalogue())
        took = time.perf_counter() - start
    cells = _stand_in_hidden(cells)
    cells.to_parquet(cached)
    meta = {
        "periods": [p.spec for p in periods],
        "programmes": [{"id": p[0], "name": p[1], "organisation": p[2]} for p in progs],
        "engine_seconds": round(took, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return cells, periods, meta


def build_funder(
    cells: pd.DataFrame, periods: list[Period], meta: dict, out: Path, senders: int, verified: int
) -> dict:
    """Step 2: 500 senders, 500 keys, 500 signed return files, one funder's store."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from evaluation.sharing.disclosure import DisclosureSettings
    from evaluation.sharing.releases.versions import catalogue_version
    from evaluation.sharing.returns import ReturnContent, import_return, sign, trust
    from evaluation.sharing.returns.content import make_rows, provenance
    from evaluation.sharing.returns.files import write_json
    from evaluation.sharing.returns.importer import _write
    from evaluation.sharing.returns.keys import PublicKey
    from evaluation.store import users
    from evaluation.store.database import Store

    frame = cells
    folder = out / "returns"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    funder_db = out / "funder.duckdb"
    for suffix in ("", ".secret", ".wal"):
        funder_db.with_name(funder_db.name + suffix).unlink(missing_ok=True)
    version = catalogue_version()
    settings = DisclosureSettings().__dict__
    by_programme = dict(tuple(frame.groupby("programme_id", sort=True)))
    chosen = meta["programmes"][:senders]
    approved = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    write_times, import_times, trust_times, stored_times = [], [], [], []
    organisations = []
    with Store.open(funder_db) as funder:
        for n, prog in enumerate(chosen):
            organisation = f"{prog['organisation']} · {prog['id']}"
            organisations.append(organisation)
            key = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            key_file = folder / f"key-{n:03d}.json"
            key_file.write_text(PublicKey(organisation, raw).to_json(), encoding="utf-8")
            start = time.perf_counter()
            trust(funder, key_file, actor="bench")
            trust_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            content = ReturnContent(
                provenance=provenance(
                    organisation=organisation,
                    release=1,
                    approved_by="manager.bench",
                    approver_role="cso_manager",
                    approved_at=approved + dt.timedelta(minutes=n),
                    note="",
                    catalogue_version=version,
                    settings=settings,
                    programmes=[
                        {
                            "programme_id": prog["id"],
                            "name": prog["name"],
                            "submission_id": f"bench-{n:03d}",
                            "content_hash": f"{n:064x}",
                        }
                    ],
                    periods=periods,
                    exported_at=approved + dt.timedelta(days=1),
                    exported_by="manager.bench",
                ),
                rows=make_rows(by_programme[prog["id"]]),
            )
            signed = sign(content, key)
            if n < verified:
                path = folder / f"return-{n:03d}.json"
                write_json(signed, path)
                write_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                result = import_return(funder, path, actor="bench")
                import_times.append(time.perf_counter() - start)
                assert result.status == "imported", result.sentence()
            else:
                cur = funder.cursor()
                start = time.perf_counter()
                cur.execute("BEGIN TRANSACTION")
                _write(cur, content, signed.signature.fingerprint, "bench", None, f"bench:{n}")
                cur.execute("COMMIT")
                stored_times.append(time.perf_counter() - start)
                cur.close()
            if (n + 1) % 50 == 0:
                print(f"  {n + 1} returns imported", flush=True)
        users.add_user(
            funder, FUNDER, "funder", tuple(organisations), PASSWORD, actor=users.Operator("bench")
        )
        cur = funder.cursor()
        counts = {
            t: int(cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in ("releases", "release_cells", "trusted_keys", "submissions", "cases")
        }
    size = sum(f.stat().st_size for f in folder.glob("return-*.json"))
    return {
        "funder_db": str(funder_db),
        "senders": len(chosen),
        "rows": counts,
        "return_files_mb": round(size / 1e6, 1),
        "trust_ms_median": _median_ms(trust_times),
        "write_ms_median": _median_ms(write_times),
        "imported_verified": len(import_times),
        "import_ms_median": _median_ms(import_times) if import_times else None,
        "import_ms_max": _ms(max(import_times)) if import_times else None,
        "stored_by_writer": len(stored_times),
        "writer_ms_median": _median_ms(stored_times) if stored_times else None,
    }


def time_compare(funder_db: Path, periods: list[Period], runs: int, profile: bool) -> dict:
    """Step 3: ``compare`` cold and warm, and the bare query of the same cells."""
    import duckdb

    from evaluation.store.access import Scope
    from evaluation.store.database import Store
    from evaluation.views import comparison

    period = periods[-1]
    shared = Scope.everything("shared")
    indicator = comparison.default_indicator(comparison.proportion_indicators())
    assert indicator is not None
    request = comparison.ComparisonRequest(indicator.key, period, shared)
    out: dict[str, object] = {"indicator": indicator.key, "period": period.spec}
    with Store.open(funder_db, read_only=True) as s:
        start = time.perf_counter()
        result = comparison.compare(s.cursor(), request)
        out["compare_cold_ms"] = _ms(time.perf_counter() - start)
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            comparison.compare(s.cursor(), request)
            warm.append(time.perf_counter() - start)
        out["compare_warm_ms_median"] = _median_ms(warm)
        out["compared"] = len(result.funnel.programmes)
        out["hidden"] = int(result.funnel.hidden)
        out["not_compared"] = len(result.funnel.excluded)
        out["trend_rows"] = len(result.trend)
        out["releases_read"] = len(result.releases)
        if profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            comparison.compare(s.cursor(), request)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    bare_sql = """
        WITH asked AS (SELECT unnest(?::DATE[]) AS p_start, unnest(?::DATE[]) AS p_end),
        newest AS (
            SELECT rp.programme_id, a.p_start, a.p_end,
                   arg_max(r.number, (r.approved_at, r.number)) AS release
            FROM releases r
            JOIN release_programmes rp ON rp.release = r.number
            JOIN release_periods pe ON pe.release = r.number
            JOIN asked a ON pe.period_start = a.p_start AND pe.period_end = a.p_end
            WHERE r.status = 'active' GROUP BY ALL)
        SELECT c.programme_id, c.period_start, c.numerator, c.denominator, c.value,
               c.ci_low, c.ci_high, c.suppressed, c.range_low, c.range_high
        FROM release_cells c JOIN newest n ON c.release = n.release
             AND c.programme_id = n.programme_id AND c.period_start = n.p_start
             AND c.period_end = n.p_end
        WHERE c.split_column = '' AND c.indicator_id = ? AND c.indicator_version = ?"""
    params = [
        [p.start for p in periods],
        [p.end for p in periods],
        indicator.id,
        indicator.version,
    ]
    conn = duckdb.connect(str(funder_db), read_only=True)
    start = time.perf_counter()
    rows = conn.execute(bare_sql, params).fetchall()
    out["bare_cold_ms"] = _ms(time.perf_counter() - start)
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        conn.execute(bare_sql, params).fetchall()
        warm.append(time.perf_counter() - start)
    conn.close()
    out["bare_warm_ms_median"] = _median_ms(warm)
    out["bare_rows"] = len(rows)
    return out


def time_page(funder_db: Path, runs: int) -> dict:
    """The Comparison page in AppTest as the funder of the 500 organisations: the first run
    (nothing cached), then reruns (the page's caches)."""
    os.environ["EVALUATION_DB"] = str(funder_db)
    os.environ.pop("EVALUATION_DEMO", None)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.run()
    at.text_input(key="signin_name").input(FUNDER)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="signin_submit").click().run()
    start = time.perf_counter()
    at.switch_page("evaluation/app/pages/comparison.py").run()
    first = time.perf_counter() - start
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    assert not problems, problems
    reruns = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - start)
    captions = " ".join(str(c.value) for c in at.caption)
    return {
        "page_first_ms": _ms(first),
        "page_rerun_ms_median": _median_ms(reruns),
        "page_names_release": "Figures from" in captions,
    }


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=Path, default=Path("/tmp/large/x.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/returns-bench"))
    parser.add_argument("--senders", type=int, default=500)
    parser.add_argument("--verified", type=int, default=25, help="returns imported from files")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse the cells of a former run")
    parser.add_argument("--skip-import", action="store_true", help="time the funder store as is")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    cells, periods, meta = build_cells(args.large, args.out, args.reuse)
    report: dict[str, object] = {
        "engine_seconds": meta.get("engine_seconds"),
        "cells": len(cells),
        "periods": meta["periods"],
    }
    print(f"cells ready ({time.perf_counter() - start:.0f} s)", flush=True)
    funder_db = args.out / "funder.duckdb"
    if not args.skip_import:
        report |= build_funder(cells, periods, meta, args.out, args.senders, args.verified)
        print(f"funder store built ({time.perf_counter() - start:.0f} s)", flush=True)
    report |= time_compare(funder_db, periods, args.runs, args.profile)
    report |= time_page(funder_db, args.runs)
    print(json.dumps(report, indent=2, default=str))
    (args.out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
