"""Validation's fixed cost (issue 15): Great Expectations against the bare libraries, in one run.

    python benchmarks/validation_bench.py              # prints the table, writes benchmarks/out/
    python benchmarks/validation_bench.py --repeat 5   # more repeats (the minimum is kept)

The small package is a CSO's quarter as a workbook: the first demo organisation (13 tables,
about 10 700 rows); the broken one is the same workbook with eight cells spoiled (a month 13, an
unknown gender, a duplicate case reference, a negative and a non-numeric duration, an empty
required cell, a decimal comma). Every figure is printed beside its bare twin from the same run:

* *import*: ``import great_expectations`` as GX imports itself, and as we import it
  (``expectations._import_gx``: scipy.stats and altair deferred), against importing the
  workbook readers; ``-X importtime`` says where the time goes.
* *fixed cost in a process*: the context, the suite (built once), GX's first validation.
* *per expectation*: the slope of one validator run over the number of expectations, on the
  small package's distinct values; twin: the same check by pandas alone.
* *per validator run*: the package's suite in one run (and, for comparison, one expectation per
  column in one run per table, as before issue 15); twin: the same checks by pandas alone.
* *CLI, cold*: ``python -m evaluation check/ingest`` in a fresh process, as a person runs it,
  and GX's import overlapped with reading (as ingest does) against done first; twin: a fresh
  ``python`` reading every sheet with calamine or openpyxl.
* *dashboard, warm*: check and ingest in a process where GX is warm (the dashboard warms it in
  the background at its first page); twin: the bare read in a warm process.

Each fresh-process figure is the minimum of ``--repeat`` runs (2 cores shared with other work
make the spread wide); the machine is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
WORK = OUT / "validation"

SPOIL = (  # (sheet, column, spreadsheet row, new cell value)
    ("cases", "opened_on", 5, "2024-13-45"),
    ("cases", "opened_on", 6, "1975-01-01"),
    ("cases", "gender", 7, "martian"),
    ("cases", "case_ref", 9, None),  # None: the value of the row above (a duplicate)
    ("contacts", "minutes", 12, -5),
    ("contacts", "minutes", 13, "abc"),
    ("contacts", "contact_on", 14, ""),
    ("funding", "amount_eur", 3, "12,5"),
)


# -- packages ------------------------------------------------------------------------------


def packages() -> tuple[Path, Path]:
    """The small package and its broken twin (written once into ``benchmarks/out/``)."""
    WORK.mkdir(parents=True, exist_ok=True)
    small, broken = WORK / "small.xlsx", WORK / "broken.xlsx"
    if not small.exists():
        from evaluation.demo.generate import generate, write_package

        write_package(generate(seed=7, scale="demo")[0], small, "xlsx")
    if not broken.exists():
        import openpyxl

        wb = openpyxl.load_workbook(small)
        for sheet, column, row, value in SPOIL:
            ws = wb[sheet]
            at = [c.value for c in ws[1]].index(column) + 1
            cell = ws.cell(row=row, column=at)
            cell.value = ws.cell(row=row - 1, column=at).value if value is None else value
        wb.save(broken)
    return small, broken


# -- workers (each in a fresh process; the last line of stdout is JSON) ----------------------


def _bare_calamine(path: str) -> int:
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)


def _bare_openpyxl(path: str) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for ws in wb.worksheets for _row in ws.iter_rows(values_only=True))
    finally:
        wb.close()


def worker_bare(reader: str, path: str) -> dict[str, Any]:
    start = time.perf_counter()
    rows = (_bare_calamine if reader == "calamine" else _bare_openpyxl)(path)
    return {"rows": rows, "seconds": time.perf_counter() - start}


def worker_import(what: str) -> dict[str, Any]:
    start = time.perf_counter()
    if what == "gx":
        import great_expectations  # noqa: F401
    elif what == "ours":
        from evaluation.intake import expectations

        expectations._import_gx()
    else:
        __import__(what)
    return {"seconds": time.perf_counter() - start}


def worker_cold(mode: str, path: str) -> dict[str, Any]:
    """check_package in a fresh process; GX's import overlapped with reading (as ingest does)
    or done first (``sequential``)."""
    t0 = time.perf_counter()
    from evaluation.intake import expectations
    from evaluation.intake.ingest import check_package

    imported = time.perf_counter()
    if mode == "sequential":
        expectations.warm()
    warmed = time.perf_counter()
    report = check_package(path)
    done = time.perf_counter()
    return {
        "our_imports": imported - t0,
        "warm_first": warmed - imported,
        "check": done - warmed,
        "seconds": done - t0,
        "ok": report.ok,
    }


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _i in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _staged(path: str) -> tuple[Any, Any]:
    import duckdb

    from evaluation.intake.container import open_package
    from evaluation.intake.limits import Limits
    from evaluation.intake.profiles import NO_PROFILE
    from evaluation.intake.staging import stage_package

    conn = duckdb.connect()
    conn.execute("SET enable_progress_bar = false")
    with open_package(Path(path), Limits.from_env(), None) as package:
        staged = stage_package(conn, package, NO_PROFILE, lambda _m, _f: None)
    return conn, staged


def _package_frame(conn: Any, staged: Any) -> tuple[Any, list[Any]]:
    from evaluation.intake import expectations as ex

    checked = ex.package_frame(conn, staged, ex.groups())
    assert checked is not None, "the small package has values to check"
    frame, parts, _cells = checked
    return frame, parts


def _pandas_unexpected(frame: Any, name: str, cls: str, kwargs: dict[str, Any]) -> list[int]:
    """The rows a GX expectation would find, by pandas alone (the bare twin)."""
    import pandas as pd

    s = frame[name].dropna()
    if cls == "ExpectColumnValuesToBeInSet":
        bad = ~s.isin(set(kwargs["value_set"]))
    elif cls == "ExpectColumnValuesToMatchRegex":
        bad = ~s.astype(str).str.contains(kwargs["regex"], regex=True)
    elif cls == "ExpectColumnValuesToMatchStrftimeFormat":
        bad = pd.to_datetime(s, format=kwargs["strftime_format"], errors="coerce").isna()
    elif cls == "ExpectColumnValueLengthsToBeBetween":
        bad = ~s.astype(str).str.len().between(kwargs["min_value"], kwargs["max_value"])
    else:  # ExpectColumnValuesToBeBetween
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        bad = pd.Series(False, index=s.index)
        if low is not None:
            bad |= s < low
        if high is not None:
            bad |= s > high
    return frame.loc[bad[bad].index, "gid"].tolist()


def _per_column_runs(conn: Any, staged: Any, batches: Any) -> Any:
    """One expectation per column and rule, one validator run per table (as before issue 15);
    returns a function doing it."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import numpy as np
    import pandas as pd

    from evaluation.intake import expectations as ex

    runs = []
    for name, st in staged.tables.items():
        if not st.columns or not st.rows:
            continue
        columns: dict[str, Any] = {}
        exps = []
        for c in st.columns:
            rows = conn.execute(
                "SELECT value, sum(n) AS n FROM staged_values WHERE tbl = ? AND col = ? "
                "GROUP BY value",
                [name, c],
            ).df()
            v = rows["value"]
            fields = {
                "value": v.to_numpy(dtype=object),
                "pair": v.to_numpy(dtype=object),
                "nulls": np.where(v.isna(), rows["n"], 0).astype(float),
                "dup": np.where(v.isna(), 0, rows["n"]).astype(float),
                "num": pd.to_numeric(v, errors="coerce").to_numpy(dtype=float),
                "days": (
                    pd.to_datetime(v, format="%Y-%m-%d", errors="coerce") - pd.Timestamp(0)
                ).dt.days.to_numpy(dtype=float),
            }
            for rule, fld, cls, kwargs in ex._checks(st.table.column(c)):
                col = f"{c}__{fld}"
                columns[col] = pd.Series(fields[fld])
                exps.append(getattr(gxe, cls)(column=col, **kwargs, meta={"rule": rule}))
        if exps:
            frame = pd.DataFrame(columns)
            frame["gid"] = range(len(frame))
            runs.append((frame, exps))

    def run() -> int:
        n = 0
        for frame, exps in runs:
            suite = gx.ExpectationSuite(name="per_column", expectations=list(exps))
            batch = batches.get_batch(batch_parameters={"dataframe": frame})
            n += len(batch.validate(suite, result_format="BOOLEAN_ONLY").results)
        return n

    return run


def worker_warm(small: str, broken: str, repeat: int) -> dict[str, Any]:
    """Everything measured in one process: GX's fixed cost step by step, then warm figures."""
    out: dict[str, Any] = {}
    t = time.perf_counter()
    from evaluation.errors import PackageRefused
    from evaluation.intake import expectations as ex
    from evaluation.intake import ingest as ingest_module
    from evaluation.store.database import Store

    out["our_imports"] = time.perf_counter() - t
    steps = (
        ("gx_import", ex._import_gx),
        ("context", ex.gx_context),
        ("suite", ex._suite),
        ("first_run", ex.warm),
    )
    for key, fn in steps:
        t = time.perf_counter()
        fn()
        out[key] = time.perf_counter() - t
    out["built"] = ex.built()
    out["expectations"] = len(ex.groups())

    import great_expectations as gx
    import great_expectations.expectations as gxe

    # per expectation: k copies of one expectation in one run, on the package's values
    conn, staged = _staged(small)
    frame, _parts = _package_frame(conn, staged)
    suite, batches = ex._suite()
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    date_col = next(g.name for g in ex.groups() if g.cls == "ExpectColumnValuesToMatchRegex")
    slope: dict[str, dict[int, float]] = {"gx": {}, "pandas": {}}
    for k in (1, 8, 32):
        exps = [
            gxe.ExpectColumnValuesToMatchRegex(
                column=date_col, regex=rf"^\d{{4}}-\d{{2}}-\d{{{i % 2 + 2}}}$"
            )
            for i in range(k)
        ]
        many = gx.ExpectationSuite(name=f"k{k}", expectations=exps)
        slope["gx"][k] = _best(
            lambda s=many: batch.validate(s, result_format="BOOLEAN_ONLY"), repeat
        )
        slope["pandas"][k] = _best(
            lambda k=k: [
                _pandas_unexpected(
                    frame, date_col, "ExpectColumnValuesToMatchRegex", {"regex": r"^\d{4}$"}
                )
                for _i in range(k)
            ],
            repeat,
        )
    out["per_expectation"] = {w: (s[32] - s[1]) / 31 for w, s in slope.items()}
    out["per_run_fixed"] = {w: s[1] - out["per_expectation"][w] for w, s in slope.items()}
    out["frame_rows"] = len(frame)

    # one validator run of the package's suite, and the same checks by pandas alone
    out["suite_run"] = _best(lambda: batch.validate(suite, result_format="BOOLEAN_ONLY"), repeat)
    out["suite_pandas"] = _best(
        lambda: [_pandas_unexpected(frame, g.name, g.cls, g.kwargs) for g in ex.groups()], repeat
    )
    per_column = _per_column_runs(conn, staged, batches)
    out["per_column_expectations"] = per_column()
    out["per_column_runs"] = _best(per_column, max(1, repeat // 2))
    out["validate_columns"] = _best(lambda: ex.validate_columns(conn, staged), repeat)
    bconn, bstaged = _staged(broken)
    out["broken_failures"] = len(ex.validate_columns(bconn, bstaged))
    out["validate_columns_broken"] = _best(lambda: ex.validate_columns(bconn, bstaged), repeat)

    # the whole check and load, as the running dashboard does them
    out["check_small"] = _best(lambda: ingest_module.check_package(small), repeat)
    out["check_broken"] = _best(lambda: ingest_module.check_package(broken), repeat)
    loads, refusals = [], []
    for i in range(repeat):
        db = WORK / f"warm-{i}.duckdb"
        db.unlink(missing_ok=True)
        with Store.open(db) as store:
            t = time.perf_counter()
            ingest_module.ingest(small, store)
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            try:
                ingest_module.ingest(broken, store)
            except PackageRefused:
                refusals.append(time.perf_counter() - t)
        for leftover in WORK.glob(f"warm-{i}.duckdb*"):
            leftover.unlink()
    out["ingest_small"] = min(loads)
    out["ingest_broken"] = min(refusals) if refusals else None

    # where a warm check spends its time
    parts = ("stage_package", "validate", "package_frame", "_failures")
    spent: dict[str, float] = dict.fromkeys(parts, 0.0)

    def timed(module: Any, name: str) -> None:
        fn = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t

        setattr(module, name, wrapper)

    timed(ingest_module, "stage_package")
    timed(ingest_module, "validate")
    timed(ex, "package_frame")
    timed(ex, "_failures")  # GX's runs, in a thread of their own beside the SQL rules
    t = time.perf_counter()
    ingest_module.check_package(small)
    total = time.perf_counter() - t
    out["check_parts"] = {
        "open and read": total - spent["stage_package"] - spent["validate"],
        "stage": spent["stage_package"],
        "validate": spent["validate"],
        "of it GX's values": spent["package_frame"],
        "GX's suite in its thread, beside the SQL rules and gate": spent["_failures"],
    }

    # the bare twins, warm (their modules imported)
    _bare_calamine(small), _bare_openpyxl(small)
    out["bare_calamine"] = _best(lambda: _bare_calamine(small), repeat)
    out["bare_openpyxl"] = _best(lambda: _bare_openpyxl(small), repeat)
    out["rows"] = _bare_calamine(small)
    return out


WORKERS = {"bare": worker_bare, "import": worker_import, "cold": worker_cold, "warm": worker_warm}


# -- the parent: fresh processes, the table ---------------------------------------------------


def _fresh(args: list[str], *, env: dict[str, str] | None = None) -> tuple[float, Any]:
    """(wall seconds, the JSON the worker printed) of a fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    wall = time.perf_counter() - start
    data = None
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            data = json.loads(line)
            break
        except ValueError:
            continue
    if proc.returncode not in (0, 1) or (data is None and "--worker" in args):
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, data


def _worker(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", *args]


def _min_wall(args: list[str], repeat: int) -> float:
    return min(_fresh(args)[0] for _i in range(repeat))


def importtime(code: str) -> dict[str, Any]:
    """``-X importtime`` of ``code``: total and the self time by top-level package."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    by: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| +(\S+)", line)
        if m:
            top = m.group(3).split(".")[0]
            by[top] = by.get(top, 0.0) + int(m.group(1)) / 1e6
    return {"total": sum(by.values()), "top": sorted(by.items(), key=lambda kv: -kv[1])[:8]}


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the minimum)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        fn: Any = WORKERS[name]
        params = [int(a) if a.isdigit() else a for a in rest]
        print(json.dumps(fn(*params)))
        return

    small, broken = packages()
    r = args.repeat
    res: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}",
    }
    py = sys.executable
    print("interpreter and imports…", flush=True)
    res["python"] = _min_wall([py, "-c", "pass"], r)
    for what in ("gx", "ours", "python_calamine", "openpyxl", "pandas"):
        res[f"import_{what}"] = min(
            _fresh(_worker("import", what))[1]["seconds"] for _i in range(r)
        )
    res["importtime_gx"] = importtime("import great_expectations")
    res["importtime_ours"] = importtime(
        "import pandas, duckdb, pyarrow\n"  # what the CLI has imported before GX
        "from evaluation.intake import expectations as e\n"
        "import time; t = time.perf_counter(); e._import_gx()"
    )
    res["importtime_pre"] = importtime(
        "import pandas, duckdb, pyarrow\nfrom evaluation.intake import expectations as e"
    )

    print("fresh processes: bare reads, the CLI…", flush=True)
    res["bare_calamine_cold"] = _min_wall(_worker("bare", "calamine", str(small)), r)
    res["bare_openpyxl_cold"] = _min_wall(_worker("bare", "openpyxl", str(small)), r)
    db = WORK / "cli.duckdb"
    cli = [py, "-m", "evaluation"]
    absent = WORK / "no-store.duckdb"
    res["cli_check_small"] = _min_wall([*cli, "check", str(small), "--db", str(absent)], r)
    res["cli_check_broken"] = _min_wall([*cli, "check", str(broken), "--db", str(absent)], r)
    loads, refusals = [], []
    for _i in range(r):
        for p in WORK.glob("cli.duckdb*"):
            p.unlink()
        _fresh([*cli, "init", "--db", str(db)])
        loads.append(_fresh([*cli, "ingest", str(small), "--db", str(db)])[0])
        refusals.append(_fresh([*cli, "ingest", str(broken), "--db", str(db)])[0])
    res["cli_ingest_small"], res["cli_ingest_broken"] = min(loads), min(refusals)
    for p in WORK.glob("cli.duckdb*"):
        p.unlink()
    cold: dict[str, list[dict[str, Any]]] = {"overlap": [], "sequential": []}
    for _i in range(r):
        for mode in cold:  # alternating, so that the machine's load hits both alike
            cold[mode].append(_fresh(_worker("cold", mode, str(small)))[1])
    res["cold"] = {m: min(runs, key=lambda x: x["seconds"]) for m, runs in cold.items()}

    print("one warm process: GX step by step, per expectation, the dashboard…", flush=True)
    res["warm"] = _fresh(_worker("warm", str(small), str(broken), str(r)))[1]
    (OUT / "validation.json").write_text(json.dumps(res, indent=2))
    report(res)
    shutil.rmtree(WORK / "tmp", ignore_errors=True)


def report(res: dict[str, Any]) -> None:
    """The table: each figure beside its bare twin(s) and the ratio."""
    w = res["warm"]
    cal_cold, xl_cold = res["bare_calamine_cold"], res["bare_openpyxl_cold"]
    cal, xl = w["bare_calamine"], w["bare_openpyxl"]
    pandas = ("pandas alone", w["suite_pandas"])
    Twins = tuple[tuple[str, float | None], ...]
    rows: list[tuple[str, float | None, Twins] | str] = [
        "import, in a fresh process (after the interpreter)",
        ("import great_expectations, as GX does", res["import_gx"], (("calamine read", cal_cold),)),
        (
            "import GX as we do (2 modules deferred)",
            res["import_ours"],
            (("openpyxl", res["import_openpyxl"]),),
        ),
        f"GX's fixed cost in a process, once ({w['expectations']} expectations)",
        ("context (ephemeral) and pandas source", w["context"], ()),
        ("the suite, built once per process", w["suite"], ()),
        ("GX's first validation (a tiny frame)", w["first_run"], ()),
        f"validation, warm ({w['frame_rows']:,} rows of distinct values)",
        (
            "each expectation in a run",
            w["per_expectation"]["gx"],
            (("pandas alone", w["per_expectation"]["pandas"]),),
        ),
        ("each validator run, besides its expectations", w["per_run_fixed"]["gx"], ()),
        ("the package's suite, one run", w["suite_run"], (pandas,)),
        (
            f"as before: {w['per_column_expectations']} expectations, a run a table",
            w["per_column_runs"],
            (pandas,),
        ),
        ("validate_columns, small package", w["validate_columns"], (pandas,)),
        (
            f"validate_columns, broken ({w['broken_failures']} failures)",
            w["validate_columns_broken"],
            (pandas,),
        ),
        "CLI, cold: a fresh process (wall), twin: a fresh python reading every sheet",
        ("python -c pass", res["python"], ()),
        *(
            (label, res[key], (("calamine", cal_cold), ("openpyxl", xl_cold)))
            for label, key in (
                ("check, small package", "cli_check_small"),
                ("ingest, small package", "cli_ingest_small"),
                ("check, broken package", "cli_check_broken"),
                ("ingest, broken package (refused)", "cli_ingest_broken"),
            )
        ),
        (
            "check, GX's import overlapping the read",
            res["cold"]["overlap"]["seconds"],
            (("GX first, then check", res["cold"]["sequential"]["seconds"]),),
        ),
        "dashboard, warm (GX warmed in the background), twin: the read in a warm process",
        ("check, small package", w["check_small"], (("calamine", cal), ("openpyxl", xl))),
        ("ingest, small package", w["ingest_small"], (("calamine", cal), ("openpyxl", xl))),
        ("check, broken package", w["check_broken"], (("calamine", cal), ("openpyxl", xl))),
        (
            "ingest, broken package (refused)",
            w["ingest_broken"],
            (("calamine", cal), ("openpyxl", xl)),
        ),
    ]

    def ms(s: float | None) -> str:
        return "–" if s is None else f"{s * 1000:,.0f} ms" if s < 10 else f"{s:,.1f} s"

    print(f"\nmachine: {res['machine']}; small package: {w['rows']:,} rows with headers")
    print(f"{'':<50}{'ours':>10}   bare twin(s): time, ours ÷ twin")
    for r in rows:
        if isinstance(r, str):
            print(r)
            continue
        what, ours, twins = r
        cells = [
            f"{name} {ms(t)}" + (f" ({ours / t:,.1f}×)" if ours and t else "") for name, t in twins
        ]
        print(f"  {what:<48}{ms(ours):>10}   {'; '.join(cells)}")
    for key, label in (("importtime_gx", "as GX does"), ("importtime_ours", "as we do")):
        top = ", ".join(f"{k} {v:.2f}" for k, v in res[key]["top"][:6])
        print(f"-X importtime, {label}: {res[key]['total']:.2f} s of self time: {top}")
    parts = ", ".join(f"{k} {ms(v)}" for k, v in w["check_parts"].items())
    print(f"a warm check of the small package: {parts}")
    print(f"built in the warm process: {w['built']} (once each)")


if __name__ == "__main__":
    main()
