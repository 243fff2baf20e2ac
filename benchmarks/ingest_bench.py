"""Ingest benchmark: our full path against the bare library doing the same read, in one run.

* CSV: the large demo's 10 million contacts as one package (with its programmes and cases),
  through our full path — open, stage, validate (GX + SQL + gate), load into a database file —
  against DuckDB's bare ``read_csv`` into a table of a database file.
* CSV with quotes: the same package with the ``setting`` of every 50th contact in double
  quotes (as a CSV export quotes a value holding a comma), and with every value quoted (as
  R's ``write.csv`` or LibreOffice's "quote all text cells" write it). The first is read by
  pyarrow after the quote screen, the second by DuckDB's strict reader (docs/ingest.md); each
  against DuckDB's bare ``read_csv`` of the same file.
* XLSX: a workbook package of about 100 000 contact rows through our full path, against
  python-calamine's bare read of the same contacts sheet, and fastexcel's (the reader our path
  uses, with python-calamine for the sheets fastexcel cannot read exactly).

Each measurement runs in its own process so peak memory (max RSS) is its own. Run from the
repository root::

    python benchmarks/ingest_bench.py            # writes benchmarks/out/ and prints a table
    python benchmarks/ingest_bench.py --quick    # 1 million contacts, for a smoke run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"


def _merged_package(max_contacts: int | None, name: str):
    """All large-demo programmes and cases as one package (one fictional national organisation)."""
    from evaluation.demo.generate import DemoPackage, generate

    packages = generate(seed=7, scale="large")
    tables: dict[str, pa.Table] = {}
    for t in ("programmes", "cases", "contacts"):
        tables[t] = pa.concat_tables([p.tables[t] for p in packages if t in p.tables])
    about = packages[0].tables["about"]
    org = pc.if_else(
        pc.equal(about["key"], "organisation"),
        pa.scalar("National benchmark network (fictional)"),
        about["value"],
    )
    tables["about"] = pa.table({"key": about["key"], "value": org})
    if max_contacts is not None and tables["contacts"].num_rows > max_contacts:
        keep_cases = set()
        counts = tables["contacts"]["case_ref"].value_counts().to_pylist()
        total = 0
        for item in counts:
            if total >= max_contacts:
                break
            keep_cases.add(item["values"])
            total += item["counts"]
        mask = pa.array([c in keep_cases for c in tables["cases"]["case_ref"].to_pylist()])
        tables["cases"] = tables["cases"].filter(mask)
        cmask = pc.is_in(tables["contacts"]["case_ref"], pa.array(sorted(keep_cases)))
        tables["contacts"] = tables["contacts"].filter(cmask)
        progs = pc.is_in(
            tables["programmes"]["programme_id"], pc.unique(tables["cases"]["programme_id"])
        )
        tables["programmes"] = tables["programmes"].filter(progs)
    order = ["about", "programmes", "cases", "contacts"]
    return DemoPackage(
        name=name,
        organisation="National benchmark network (fictional)",
        tables={t: tables[t] for t in order},
    )


def _peak_mb() -> float:
    """Peak resident memory of this process. ``ru_maxrss`` would do, but Linux carries it over
    from the parent that started the process (the one that wrote the packages, 1.6 GB);
    ``VmHWM`` is the process's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours(package: str, db: str, warm: bool, queue: mp.Queue) -> None:
    """Our full path in a fresh process: cold (as the CLI runs it, GX imported on the way)
    or warm (as the running dashboard does, GX already imported)."""
    start = time.perf_counter()
    if warm:  # as the dashboard has it by the first upload: GX imported, suite built and run once
        from evaluation.intake.expectations import warm as warm_gx

        warm_gx()
        start = time.perf_counter()
    from evaluation.intake.ingest import ingest
    from evaluation.store.database import Store

    with Store.open(db) as store:
        result = ingest(package, store)
    queue.put(
        {
            "seconds": time.perf_counter() - start,
            "peak_mb": _peak_mb(),
            "rows": result.row_counts.get("contacts", 0),
            "status": result.status,
        }
    )


def _bare_duckdb(csv: str, db: str, queue: mp.Queue) -> None:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(db)
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{csv}')")
    rows = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
    con.close()
    queue.put({"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": rows})


def _quoted_copy(plain: Path, to: Path, every: int) -> None:
    """The CSV package ``plain`` with the ``setting`` of every ``every``-th contact in double
    quotes (``every=1``: every value of every table quoted); the values stay the same."""
    import csv

    to.mkdir(parents=True, exist_ok=True)
    for src in plain.glob("*.csv"):
        if every == 1:
            with src.open(newline="") as f, (to / src.name).open("w", newline="") as out:
                csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(csv.reader(f))
        elif src.name != "contacts.csv":
            shutil.copy(src, to / src.name)
        else:
            with src.open() as f, (to / src.name).open("w") as out:
                for i, line in enumerate(f):
                    if i and i % every == 0:
                        head, _, setting = line.rstrip("\n").rpartition(",")
                        line = f'{head},"{setting}"\n'
                    out.write(line)


def _bare_calamine(xlsx: str, queue: mp.Queue) -> None:
    import python_calamine

    start = time.perf_counter()
    wb = python_calamine.CalamineWorkbook.from_path(xlsx)
    rows = wb.get_sheet_by_name("contacts").to_python()
    queue.put(
        {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": len(rows) - 1}
    )


def _bare_fastexcel(xlsx: str, queue: mp.Queue) -> None:
    """fastexcel's bare read of the contacts sheet into Arrow columns: the reader our path
    uses for workbooks (``staging._read_sheet_arrow``), without anything of ours."""
    import fastexcel

    start = time.perf_counter()
    batch = fastexcel.read_excel(xlsx).load_sheet("contacts").to_arrow()
    queue.put(
        {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": batch.num_rows}
    )


def _measure(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 million contacts instead of 10")
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    args = parser.parse_args()
    from evaluation.demo.generate import write_package

    OUT.mkdir(parents=True, exist_ok=True)
    csv_dir = OUT / ("csv-package-quick" if args.quick else "csv-package")
    if not (csv_dir / "contacts.csv").exists():
        print("writing the CSV package…", flush=True)
        pkg = _merged_package(1_000_000 if args.quick else None, csv_dir.name)
        write_package(pkg, csv_dir, "folder")
    quoted = {}
    for every, name in ((50, "some"), (1, "all")):
        quoted[name] = csv_dir.with_name(f"{csv_dir.name}-quoted-{name}")
        if not (quoted[name] / "contacts.csv").exists():
            print(f"writing the CSV package with {name} values quoted…", flush=True)
            _quoted_copy(csv_dir, quoted[name], every)
    xlsx = OUT / "xlsx-package.xlsx"
    if not xlsx.exists():
        print("writing the XLSX package…", flush=True)
        write_package(_merged_package(args.xlsx_rows, "xlsx-package"), xlsx, "xlsx")

    results: dict = {}
    saved = OUT / "ingest.json"

    def save() -> None:
        saved.write_text(json.dumps(results, indent=2))

    for p in OUT.glob("ours-*.duckdb*"):
        p.unlink()
    for p in OUT.glob("bare-*.duckdb*"):
        p.unlink()
    steps = {
        "csv_ours": ("CSV, our full path, cold (CLI)", _ours, str(csv_dir), "ours-csv", False),
        "csv_ours_warm": ("CSV, our full path, warm", _ours, str(csv_dir), "ours-csv-w", True),
        "csv_bare": (
            "CSV, bare DuckDB read_csv",
            _bare_duckdb,
            str(csv_dir / "contacts.csv"),
            "bare-csv",
        ),
        "csvq_some_ours_warm": (
            "CSV, 1 in 50 quoted, ours, warm",
            _ours,
            str(quoted["some"]),
            "ours-csvq-some",
            True,
        ),
        "csvq_some_bare": (
            "CSV, 1 in 50 quoted, bare",
            _bare_duckdb,
            str(quoted["some"] / "contacts.csv"),
            "bare-csvq-some",
        ),
        "csvq_all_ours_warm": (
            "CSV, all quoted, ours, warm",
            _ours,
            str(quoted["all"]),
            "ours-csvq-all",
            True,
        ),
        "csvq_all_bare": (
            "CSV, all quoted, bare",
            _bare_duckdb,
            str(quoted["all"] / "contacts.csv"),
            "bare-csvq-all",
        ),
        "xlsx_ours": ("XLSX, our full path, cold (CLI)", _ours, str(xlsx), "ours-xlsx", False),
        "xlsx_ours_warm": ("XLSX, our full path, warm", _ours, str(xlsx), "ours-xlsx-w", True),
        "xlsx_bare": ("XLSX, bare calamine read", _bare_calamine, str(xlsx)),
        "xlsx_bare_fastexcel": ("XLSX, bare fastexcel read", _bare_fastexcel, str(xlsx)),
    }
    for key, (label, target, source, *rest) in steps.items():
        print(f"{label}…", flush=True)
        call = (source, str(OUT / f"{rest[0]}.duckdb"), *rest[1:]) if rest else (source,)
        results[key] = _measure(target, *call)
        results[key]["label"] = label
        save()
    for r in results.values():
        r["rows_per_s"] = r["rows"] / r["seconds"]
    for k in ("csv", "xlsx"):
        bare = results[f"{k}_bare"]["seconds"]
        results[f"{k}_ratio_cold"] = results[f"{k}_ours"]["seconds"] / bare
        results[f"{k}_ratio_warm"] = results[f"{k}_ours_warm"]["seconds"] / bare
    for k in ("csvq_some", "csvq_all"):
        results[f"{k}_ratio_warm"] = (
            results[f"{k}_ours_warm"]["seconds"] / results[f"{k}_bare"]["seconds"]
        )
    fastexcel = results["xlsx_bare_fastexcel"]["seconds"]
    results["xlsx_ratio_cold_fastexcel"] = results["xlsx_ours"]["seconds"] / fastexcel
    results["xlsx_ratio_warm_fastexcel"] = results["xlsx_ours_warm"]["seconds"] / fastexcel
    save()
    print(f"\n{'path':<36}{'contact rows':>14}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
    for key in steps:
        r = results[key]
        print(
            f"{r['label']:<36}{r['rows']:>14,}{r['seconds']:>10.1f}{r['rows_per_s']:>12,.0f}"
            f"{r['peak_mb']:>10,.0f}"
        )
    for k in ("csv", "xlsx"):
        print(
            f"ratio ours/bare {k.upper()}: cold {results[f'{k}_ratio_cold']:.2f}x, "
            f"warm {results[f'{k}_ratio_warm']:.2f}x"
        )
    for k, label in (("csvq_some", "CSV, 1 in 50 quoted"), ("csvq_all", "CSV, all quoted")):
        print(f"ratio ours/bare {label}: warm {results[f'{k}_ratio_warm']:.2f}x")
    print(
        f"ratio ours/bare fastexcel XLSX: cold {results['xlsx_ratio_cold_fastexcel']:.2f}x, "
        f"warm {results['xlsx_ratio_warm_fastexcel']:.2f}x"
    )
    for tmp in OUT.glob("*.duckdb.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
