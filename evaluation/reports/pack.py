"""Writing report packs: one programme's report in every format a template asks for, every
programme's report for a template and period (the batch), and a zip for a download.

A pack is the files of one ``Report``: ``<template>_<programme>_<period>.xlsx`` / ``.docx`` /
``.html`` / ``.pdf`` and, when the template has a data annex, the tidy data as ``_data.csv``
(made inert against formula injection like every CSV we write). The batch computes every
programme's figures in one pass of the engine and writes the files in worker processes.

A pack is written in one language (``lang``: ``report --lang de``, the reader's on the Reports
page; default the language of the moment). A worker process starts in English, so the language
is handed to every worker explicitly, and each speaks it while it builds, writes or draws.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import as_completed
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from evaluation.measures.catalogue import Catalogue
from evaluation.periods import Period
from evaluation.reports.model import Report, ReportError, build_reports
from evaluation.reports.spec import FORMATS, ReportTemplate
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.vocabulary.language import DEFAULT, LANGUAGES, _, current, normalise, using

if TYPE_CHECKING:
    from evaluation.reports.charts import ChartSpec

Progress = Callable[[str, float], None]


def check_formats(template: ReportTemplate, formats: Sequence[str] | None) -> tuple[str, ...]:
    """The formats to write: those asked for, else the template's. Unknown ones are refused."""
    chosen = tuple(
        dict.fromkeys(f.strip().lower() for f in (formats or template.formats) if f.strip())
    )
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ReportError(
            _(
                "The formats are {formats}; “{format}” is not one of them.",
                formats=", ".join(FORMATS),
                format=(unknown or [""])[0][:20],
            )
        )
    return chosen


def check_language(lang: str | None) -> str:
    """The language to write in: ``lang`` (``de``, ``de_AT``), else the language of the
    moment. One the platform does not speak is refused with a sentence."""
    if not lang:
        return current()
    if normalise(lang) == DEFAULT and lang.replace("-", "_").split("_")[0].lower() != DEFAULT:
        raise ReportError(
            _(
                "Reports are written in {languages}; “{lang}” is not one of them.",
                languages=", ".join(LANGUAGES),
                lang=lang[:20],
            )
        )
    return normalise(lang)


def draw_charts(
    report: Report,
    workers: int | None = None,
    *,
    min_parallel: int | None = None,
    charts: Sequence[ChartSpec] | None = None,
) -> None:
    """Draw the report's chart images (for Word and PDF), or those of ``charts`` (the Reports
    page's preview), now, as ``charts_drawn`` would, in ``workers`` processes (default: one per
    core) where that pays."""
    workers = (os.cpu_count() or 1) if workers is None else workers
    with charts_drawn(report, workers, min_parallel=min_parallel, charts=charts):
        pass


@contextmanager
def charts_drawn(
    report: Report,
    workers: int,
    *,
    min_parallel: int | None = None,
    charts: Sequence[ChartSpec] | None = None,
) -> Iterator[None]:
    """The report's chart images (for Word and PDF), drawn once, while the writers write;
    ``charts``: only these of the report's charts.

    An image drawn before with the same content, language and size is reused (``to_png``
    keeps them). The rest are drawn here on demand (``Report.chart_png``), ~60-130 ms each, or,
    when ``workers`` ≥ 1 and there are at least ``min_parallel`` of them, in that many worker
    processes *while* the body runs: the writers lay out their text meanwhile and wait only for
    a chart not drawn yet. By default ``min_parallel`` is ``MIN_PARALLEL_WARM`` when this
    process's fork server was started with the chart modules imported
    (``charts.start_chart_workers``: the command line's ``report``, the dashboard once idle),
    so a worker starts in ~20 ms; else ``MIN_PARALLEL_CHARTS``, as a cold worker's imports
    cost more than a report's charts take to draw (``reports_bench.py --break-even``). A batch
    of reports runs in parallel over the reports instead (``write_packs``). On leaving, every
    image asked for is on the report.
    """
    from evaluation.reports.charts import WORKER_MODULES, cached_png, png_in, png_key
    from evaluation.workers import ready, worker_pool

    threshold = min_parallel
    if threshold is None:
        threshold = MIN_PARALLEL_WARM if ready(WORKER_MODULES) else MIN_PARALLEL_CHARTS
    with using(report.lang):
        missing = []
        for chart in report.charts if charts is None else charts:
            if id(chart) in report.chart_images:
                continue
            png = cached_png(png_key(chart))
            if png is None:
                missing.append(chart)
            else:
                report.chart_images[id(chart)] = png
    if workers < 1 or len(missing) < max(threshold, 2):
        yield
        with using(report.lang):
            for chart in missing:
                report.chart_png(chart)
        return
    with worker_pool(min(workers, len(missing)), WORKER_MODULES) as pool:
        try:
            for chart in missing:  # in the document's order: the first needed are drawn first
                report.chart_pending[id(chart)] = pool.submit(png_in, report.lang, chart)
            yield
            for chart in missing:
                report.chart_png(chart)
        finally:
            for pending in report.chart_pending.values():
                pending.cancel()
            report.chart_pending.clear()


MIN_PARALLEL_CHARTS = 100
"""Fewer charts are drawn in this process. On 2 quiet cores a pool pays from about this many:
its start and its workers' imports cost ~3 s against ~63 ms a chart, which two workers halve
(2 × 3 s / 0.063 s ≈ 100); on a busy machine never (``reports_bench.py --break-even``)."""

MIN_PARALLEL_WARM = 4
"""Fewer charts are drawn in this process even when the fork server has the chart modules
imported: a pool then starts in ~50 ms, and each worker's first chart costs ~0.1 s more than
the next (its fonts and caches), against ~0.12 s a chart (``reports_bench.py --break-even``)."""


def write_report(
    report: Report, out_dir: Path, formats: Sequence[str], *, chart_workers: int | None = None
) -> list[Path]:
    """Write ``report`` in ``formats`` into ``out_dir``; returns the files written, in the
    order of ``formats``.

    The chart images for Word and PDF may be drawn in ``chart_workers`` processes (default:
    one per core) while this one writes the files (``charts_drawn``: only where that pays);
    the formats without charts are written first, while the charts are drawn.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / report.file_stem
    workers = (os.cpu_count() or 1) if chart_workers is None else chart_workers
    drawing = charts_drawn(report, workers) if {"docx", "pdf"} & set(formats) else nullcontext()
    written: dict[str, Path] = {}
    with drawing:
        for fmt in sorted(formats, key=lambda f: f in ("docx", "pdf")):
            path = written[fmt] = stem.with_name(f"{stem.name}.{fmt}")
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
    paths = [written[fmt] for fmt in formats]
    if "data" in report.template.annexes:
        from evaluation.views.spreadsheet import safe_frame

        path = stem.with_name(f"{stem.name}_data.csv")
        safe_frame(report.data).to_csv(path, index=False)
        paths.append(path)
    return paths


def pack_bytes(report: Report, formats: Sequence[str]) -> bytes:
    """``report`` in ``formats`` as one zip, for a download (written in a temporary folder),
    in the report's language whichever thread asks (a deferred download runs outside the page)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, using(report.lang):
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
    lang: str | None = None,
) -> list[Path]:
    """Every chosen programme's pack (all programmes in scope when ``programmes`` is None), in
    ``lang`` (default: the language of the moment).

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
    from evaluation.workers import worker_pool

    progress = progress or (lambda _m, _f: None)
    lang = check_language(lang)
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
            chart_workers=workers if workers > 1 else 0,
            lang=lang,
        )
    size = max(1, min(CHUNK, math.ceil(len(ids) / (workers * 4))))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    written: list[Path] = []
    done = 0
    with using(lang):
        progress(_("Writing {n} reports in {workers} processes", n=len(ids), workers=workers), 0.0)
    with worker_pool(workers, BATCH_MODULES) as pool:
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
                lang,
            ): len(chunk)
            for chunk in chunks
        }
        for fut in as_completed(futures):
            written += fut.result()
            done += futures[fut]
            with using(lang):
                progress(_("Wrote {n} of {total} reports", n=done, total=len(ids)), done / len(ids))
    return sorted(written)


CHUNK = 25
"""Most programmes a worker computes in one pass (small enough to spread the work evenly)."""

BATCH_MODULES = ("evaluation.reports.pack",)
"""What a batch worker imports first (the model and the engine), imported once in the fork
server when a batch starts it; charts and writers are imported where they are needed."""


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
    chart_workers: int = 0,
    lang: str = "en",
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
            lang=lang,
        )
    ):
        written += write_report(report, out_dir, formats, chart_workers=chart_workers)
        with using(lang):
            done = _("Wrote {n} of {total} reports", n=k + 1, total=len(ids))
        progress(done, 0.15 + 0.85 * (k + 1) / len(ids))
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
    lang: str = "en",
) -> list[Path]:
    """One worker's chunk of the batch, in ``lang`` (a worker process starts in English)."""
    from evaluation.store.database import Store

    with Store.open(db_path, read_only=True) as store, using(lang):
        return _write_here(
            store,
            template,
            period,
            ids,
            out_dir,
            formats,
            scope,
            catalogue,
            lambda _m, _f: None,
            lang=lang,
        )
