"""Funder-ready reports: choose a template, a programme and a period; preview; download a zip.

Everything comes from ``evaluation.reports``: the templates and their periods (``spec``), the
report (``model.build_report``, computed in the user's scope, so a funder's report is always the
shared, suppressed one) and the files (``pack``), through the caches of ``state``, which
``clear_caches()`` empties after an ingest.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_period
from evaluation.app.session import current_viewer
from evaluation.periods import PeriodChoices
from evaluation.reports import spec
from evaluation.reports.charts import to_plotly
from evaluation.reports.model import Table
from evaluation.views.programmes import programmes_in_scope

FORMAT_NAMES = {
    "xlsx": "Excel (XLSX)",
    "docx": "Word (DOCX)",
    "html": "Web page (HTML)",
    "pdf": "PDF",
}
PREVIEW_CHARTS = 4


def _table(table: Table) -> pd.DataFrame:
    """A report table as the preview shows it: the cells' text under the header."""
    return pd.DataFrame([[c.text for c in row] for row in table.rows], columns=table.header)


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    st.title("Reports")
    st.caption(
        "One upload, every funder's report: choose the funder's template and period, "
        "check the summary, and download the files to send (or edit and send)."
    )
    templates = state.report_templates()
    with state.cursor() as cur:
        programmes = programmes_in_scope(cur, scope)
    if programmes.empty:
        st.info(
            "No programme you may see has data in the store yet. Load a package on the "
            "Upload page.",
            icon=":material/info:",
        )
        return
    by_id = {t.id: t for t in templates}
    left, middle, right = st.columns([2, 2, 1])
    tid = left.selectbox(
        "Template",
        list(by_id),
        key="reports_template",
        format_func=lambda t: f"{by_id[t].title} — {by_id[t].funder.name}",
    )
    template = by_id[tid]
    names = dict(zip(programmes["programme_id"], programmes["programme"], strict=True))
    pid = middle.selectbox(
        "Programme", list(names), key="reports_programme", format_func=lambda p: f"{names[p]} ({p})"
    )
    info = programmes[programmes["programme_id"] == pid].iloc[0]
    periods = spec.period_choices(template, info["data_as_of"], info["first_date"])
    if not periods:
        st.info(
            f"The programme's data does not cover a whole period of this template yet "
            f"({template.period.describe()}).",
            icon=":material/info:",
        )
        return
    period = pick_period(
        PeriodChoices.of(periods),
        key=f"reports_period_{tid}",
        help=f"This template reports {template.period.describe()}; only "
        "periods that are over in your data are offered.",
        where=right,
    )
    formats = st.multiselect(
        "Formats",
        list(FORMAT_NAMES),
        default=list(template.formats),
        format_func=FORMAT_NAMES.__getitem__,
        key=f"reports_formats_{tid}",
    )
    if template.description:
        st.caption(render.md(template.description))
    bar = render.ProgressBar("Computing the report…")
    version = state.data_version()  # a new submission makes new reports
    report = state.report(scope, tid, pid, period, version)
    bar.done()
    if report.audience == "shared" and "release" in report.data.columns:
        reads.record_read(  # the preview and the report pack offered for download
            viewer,
            report.data["release"],
            "page:reports",
            {"template": tid, "programme": pid, "period": period.spec},
        )
    audience = (
        f"Shared: small numbers are hidden, fit to send. {report.release}."
        if report.audience == "shared"
        else "Internal: figures are not suppressed; do not send outside the organisation."
    )
    st.caption(
        render.md(
            f"{report.organisation} · {report.period.label} "
            f"({report.period.start} to {report.period.end}) · data as of "
            f"{report.data_as_of} · {audience}"
        )
    )
    if formats:
        with st.spinner("Writing the files…"):
            data = state.report_pack(scope, tid, pid, period, version, tuple(formats))
        st.download_button(
            f"Download the report ({', '.join(formats)}, zip)",
            data,
            file_name=f"{report.file_stem}.zip",
            mime="application/zip",
            icon=":material/download:",
            type="primary",
            key="reports_download",
        )
    else:
        st.info("Choose at least one format to download.", icon=":material/info:")
    st.subheader(template.wording.summary_heading)
    st.dataframe(_table(report.summary), hide_index=True, width="stretch")
    st.caption(render.md(report.summary.note))
    if report.narrative:
        st.subheader(template.wording.narrative_heading)
        st.warning(render.md(report.draft_notice), icon=":material/edit_note:")
        for text in report.narrative:
            st.markdown(render.md(text))
    charts = report.charts[:PREVIEW_CHARTS]
    if charts:
        st.subheader("Charts (first of the report)")
        cols = st.columns(2)
        for n, chart in enumerate(charts):
            cols[n % 2].plotly_chart(to_plotly(chart), key=f"reports_chart_{n}")
    with st.expander("What is in the report"):
        st.markdown(
            render.md(
                "Sections: "
                + "; ".join(s.heading for s in report.sections)
                + ". Annexes: "
                + ", ".join(template.annexes)
                + "."
            )
        )
        st.markdown(
            "\n".join(f"- **{render.md(k)}**: {render.md(v)}" for k, v in report.provenance)
        )


with render.sentences():
    _page()
