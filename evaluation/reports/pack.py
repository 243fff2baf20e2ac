"""Writing report packs: one programme's report in every format a template asks for, every
programme's report for a template and period (the batch), and a zip for a download.

A pack is the files of one ``Report``: ``<template>_<programme>_<period>.xlsx`` / ``.docx`` /
``.html`` / ``.pdf`` and, when the template has a data annex, the tidy data as ``_data.csv``
(made inert against formula injection like every CSV we write). The batch computes every
programme's figures in one pass of the engine and writes the files in worker processes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from evaluation.access import Scope
from evaluation.catalogue import Catalogue
from evaluation.periods import Period
from evaluation.reports.model import Report, ReportError, build_reports
from evaluation.reports.spec import FORMATS, ReportTemplate

Progress = Callable[[str, float], None]


def check_formats(template: ReportTemplate, formats: Sequence[str] | None) -> tuple[str, ...]:
    """The formats to write: those asked for, else the template's. Unknown ones are refused."""
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in (formats or template.formats)
                                 if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ReportError(f"The formats are {', '.join(FORMATS)}; "
                          f"“{(unknown or [''])[0][:20]}” is not one of them.")
    return chosen


def write_report(report: Report, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``report`` in ``formats`` into ``out_dir``; returns the files written."""
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
        from evaluation.spreadsheet import safe_frame

        path = stem.with_name(f"{stem.name}_data.csv")
        safe_frame(report.data).to_csv(path, index=False)
        written.append(path)
    return written


def zip_files(paths: Iterable[Path], root: Path | None = None) -> bytes:
    """The files as one zip (names relative to ``root``, else bare names)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in paths:
            zf.write(p, arcname=str(p.relative_to(root)) if root else p.name)
    return buf.getvalue()


def write_packs(store_or_cursor: object, template: ReportTemplate, period: Period,
                out_dir: Path, *, programmes: Sequence[str] | None = None,
                formats: Sequence[str] | None = None, scope: Scope | None = None,
                catalogue: Catalogue | None = None, progress: Progress | None = None,
                workers: int | None = None) -> list[Path]:
    """Every chosen programme's pack (all programmes in scope when ``programmes`` is None).

    The figures of all programmes come from one pass of the engine; the files are written by
    ``workers`` processes (default: the machine's cores, one when there is one report).
    """
    progress = progress or (lambda _m, _f: None)
    chosen = check_formats(template, formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    def building(message: str, fraction: float) -> None:
        progress(message if fraction < 0.3 else "Computing the indicators", 0.3 * fraction)

    reports = build_reports(store_or_cursor, template, period, programmes, scope=scope,
                            catalogue=catalogue, progress=building)
    if programmes is not None and len(programmes) == 1:
        workers = 1
    workers = workers or min(os.cpu_count() or 1, 4)
    written: list[Path] = []
    if workers <= 1:
        items = list(reports)
        for k, report in enumerate(items):
            written += write_report(report, out_dir, chosen)
            progress(f"Wrote {k + 1} of {len(items)} reports", 0.3 + 0.7 * (k + 1) / len(items))
        return written
    futures: list[Future] = []
    # forkserver: the workers must not inherit the store's open DuckDB connection and threads
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for report in reports:
            report._png.clear()
            futures.append(pool.submit(write_report, report, out_dir, chosen))
        total = len(futures)
        for k, fut in enumerate(futures):
            written += fut.result()
            progress(f"Wrote {k + 1} of {total} reports", 0.3 + 0.7 * (k + 1) / total)
    return written
