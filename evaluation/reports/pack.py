"""Writing report packs: one programme's report in every format a template asks for, every
programme's report for a template and period (the batch), and a zip for a download.

A pack is the files of one ``Report``: ``<template>_<programme>_<period>.xlsx`` / ``.docx`` /
``.html`` / ``.pdf`` and, when the template has a data annex, the tidy data as ``_data.csv``
(made inert against formula injection like every CSV we write). The batch computes every
programme's figures in one pass of the engine and writes the files in worker processes.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from pathlib import Path

import duckdb

from evaluation.measures.catalogue import Catalogue
from evaluation.periods import Period
from evaluation.reports.model import Report, ReportError, build_reports
from evaluation.reports.spec import FORMATS, ReportTemplate
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.workers import worker_pool

Progress = Callable[[str, float], None]


def check_formats(template: ReportTemplate, formats: Sequence[str] | None) -> tuple[str, ...]:
    """The formats to write: those asked for, else the template's. Unknown ones are refused."""
    chosen = tuple(
        dict.fromkeys(f.strip().lower() for f in (formats or template.formats) if f.strip())
    )
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ReportError(
            f"The formats are {', '.join(FORMATS)}; "
            f"“{(unknown or [''])[0][:20]}” is not one of them."
        )
    return chosen


def draw_charts(report: Report, workers: int) -> None:
    """Draw the report's chart images (for Word and PDF) in ``workers`` processes at once.

    matplotlib takes ~0.15 s a chart and holds the interpreter, so a report of 27 charts
    spends 4 s drawing them in one process; the images are cached on the report, where the
    Word and PDF writers find them.
    """
    from evaluation.reports.charts import to_png

    charts = [c for c in report.charts if id(c) not in report.chart_images]
    if workers <= 1 or len(charts) < MIN_PARALLEL_CHARTS:
        return
    with worker_pool(workers) as pool:
        chunk = math.ceil(len(charts) / workers)
        for chart, png in zip(charts, pool.map(to_png, charts, chunksize=chunk), strict=True):
            report.chart_images[id(chart)] = png


MIN_PARALLEL_CHARTS = 8
"""Fewer charts are drawn in this process: starting workers would cost more than it saves."""


def write_report(
    report: Report, out_dir: Path, formats: Sequence[str], *, chart_workers: int = 1
) -> list[Path]:
    """Write ``report`` in ``formats`` into ``out_dir``; returns the files written.

    ``chart_workers`` > 1 draws the chart images for Word and PDF in that many processes.
    """
    if {"docx", "pdf"} & set(formats):
        draw_charts(report, chart_workers)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / report.file_stem
    written = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        if fmt == "xlsx":
            from evaluation.reports.xlsx import write_xlsx

            write_xlsx(report, path)
        elif fmt == "html":
            from evaluation.reports.html import write_html

            write_html(report, path)
        elif fmt == "docx":
            from evaluation.reports.docx import write_docx

            write_docx(report, path)
        elif fmt == "pdf":
            from evaluation.reports.pdf import write_pdf

            write_pdf(report, path)
        written.append(path)
    if "data" in report.template.annexes:
        from evaluation.views.spreadsheet import safe_frame

        path = stem.with_name(f"{stem.name}_data.csv")
        safe_frame(report.data).to_csv(path, index=False)
        written.append(path)
    return written


def pack_bytes(report: Report, formats: Sequence[str]) -> bytes:
    """``report`` in ``formats`` as one zip, for a download (written in a temporary folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return zip_files(write_report(report, Path(tmp), formats))


def zip_files(paths: Iterable[Path], root: Path | None = None) -> bytes:
    """The files as one zip (names relative to ``root``, else bare names)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in paths:
            zf.write(p, arcname=str(p.relative_to(root)) if root else p.name)
    return buf.getvalue()


def write_packs(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    template: ReportTemplate,
    period: Period,
    out_dir: Path,
    *,
    programmes: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
    scope: Scope | None = None,
    catalogue: Catalogue | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Every chosen programme's pack (all programmes in scope when ``programmes`` is None).

    With one worker (or one programme) everything runs here: the figures of all programmes
    come from one pass of the engine, then the files are written. With more, the programmes
    are cut into chunks and each worker process opens the store read-only, computes its chunk
    in one pass and writes its files, so the protection of small numbers (a linear program per
    hidden figure) and the writing run on every core. A programme's report is the same either
    way: protection never links two programmes.
    """
    from evaluation.measures.catalogue import load_catalogue
    from evaluation.reports.model import check_period, choose_programmes
    from evaluation.store.database import cursor_of

    progress = progress or (lambda _m, _f: None)
    chosen = check_formats(template, formats)
    check_period(template, period)
    scope = scope or Scope.everything()
    catalogue = catalogue or load_catalogue()
    ids = list(choose_programmes(cursor_of(store_or_cursor), scope, programmes)["programme_id"])
    if not ids:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or min(os.cpu_count() or 1, 4)
    db_path = getattr(store_or_cursor, "path", None)
    if workers <= 1 or len(ids) < 2 * workers or db_path is None:
        return _write_here(
            store_or_cursor,
            template,
            period,
            ids,
            out_dir,
            chosen,
            scope,
            catalogue,
            progress,
            chart_workers=workers,
        )
    size = max(1, min(CHUNK, math.ceil(len(ids) / (workers * 4))))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    written: list[Path] = []
    done = 0
    progress(f"Writing {len(ids)} reports in {workers} processes", 0.0)
    with worker_pool(workers) as pool:
        futures = {
            pool.submit(
                _write_chunk,
                Path(db_path),
                template,
                period,
                chunk,
                out_dir,
                chosen,
                scope,
                catalogue,
            ): len(chunk)
            for chunk in chunks
        }
        for fut in as_completed(futures):
            written += fut.result()
            done += futures[fut]
            progress(f"Wrote {done} of {len(ids)} reports", done / len(ids))
    return sorted(written)


CHUNK = 25
"""Most programmes a worker computes in one pass (small enough to spread the work evenly)."""


def _write_here(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    template: ReportTemplate,
    period: Period,
    ids: list[str],
    out_dir: Path,
    formats: tuple[str, ...],
    scope: Scope,
    catalogue: Catalogue,
    progress: Progress,
    chart_workers: int = 1,
) -> list[Path]:
    def building(message: str, fraction: float) -> None:
        if fraction < 0.3:
            progress(message, 0.5 * fraction)

    written: list[Path] = []
    for k, report in enumerate(
        build_reports(
            store_or_cursor,
            template,
            period,
            ids,
            scope=scope,
            catalogue=catalogue,
            progress=building,
        )
    ):
        written += write_report(report, out_dir, formats, chart_workers=chart_workers)
        progress(f"Wrote {k + 1} of {len(ids)} reports", 0.15 + 0.85 * (k + 1) / len(ids))
    return written


def _write_chunk(
    db_path: Path,
    template: ReportTemplate,
    period: Period,
    ids: list[str],
    out_dir: Path,
    formats: tuple[str, ...],
    scope: Scope,
    catalogue: Catalogue,
) -> list[Path]:
    from evaluation.store.database import Store

    with Store.open(db_path, read_only=True) as store:
        return _write_here(
            store, template, period, ids, out_dir, formats, scope, catalogue, lambda _m, _f: None
        )
