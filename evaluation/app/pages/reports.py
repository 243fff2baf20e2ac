"""Funder-ready reports: choose a template, a programme and a period; preview; download a zip.

An internal report (a CSO manager's or administrator's: nothing hidden) is offered under a file
name that says so (``…-internal-not-for-sharing.zip``), on a button that says who may receive
it: only the organisation's own staff. A shared report keeps its plain name.

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
from evaluation.periods import PeriodChoices, label
from evaluation.reports import spec
from evaluation.reports.model import Report, Table
from evaluation.reports.pack import draw_charts
from evaluation.views import explore
from evaluation.views.explore import date_text
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary.language import N_, _, current

FORMAT_NAMES = {
    "xlsx": N_("Excel (XLSX)"),
    "docx": N_("Word (DOCX)"),
    "html": N_("Web page (HTML)"),
    "pdf": N_("PDF"),
}
ANNEX_NAMES = {
    "definitions": N_("Definitions"),
    "data_quality": N_("Data quality"),
    "method": N_("Method"),
    "provenance": N_("Provenance"),
    "data": N_("Data"),
}
PREVIEW_CHARTS = 4


def file_name(report: Report) -> str:
    """The zip's name: the report's, ending ``-internal-not-for-sharing`` when its figures are
    not suppressed (the internal audience), so the file says so wherever it is saved."""
    return explore.file_name(report.file_stem, "zip", shared=report.audience == "shared")


def _table(table: Table) -> pd.DataFrame:
    """A report table as the preview shows it: the cells' text under the header."""
    return pd.DataFrame([[c.text for c in row] for row in table.rows], columns=table.header)


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    st.title(_("Reports"))
    st.caption(
        _(
            "One upload, every funder's report: choose the funder's template and period, "
            "check the summary, and download the files to send (or edit and send)."
        )
    )
    templates = state.report_templates()
    with state.cursor() as cur:
        programmes = programmes_in_scope(cur, scope)
    if programmes.empty:
        st.info(
            _(
                "No programme you may see has data in the store yet. Load a package on the "
                "Upload page."
            ),
            icon=":material/info:",
        )
        return
    by_id = {t.id: t for t in templates}
    left, middle, right = st.columns([2, 2, 1])
    tid = render.selectbox(
        _("Template"),
        list(by_id),
        key="reports_template",
        format_func=lambda t: f"{_(by_id[t].title)} — {_(by_id[t].funder.name)}",
        where=left,
    )
    template = by_id[tid]
    names = explore.programme_names(programmes)  # names; an id only to tell two apart
    pid = render.selectbox(
        _("Programme"),
        list(names),
        key="reports_programme",
        format_func=lambda p: names[p],
        where=middle,
    )
    info = programmes[programmes["programme_id"] == pid].iloc[0]
    periods = spec.period_choices(template, info["data_as_of"], info["first_date"])
    if not periods:
        st.info(
            _(
                "The programme's data does not cover a whole period of this template yet "
                "({periods}).",
                periods=template.period.describe(),
            ),
            icon=":material/info:",
        )
        return
    period = pick_period(
        PeriodChoices.of(periods),
        key=f"reports_period_{tid}",
        label=_("Period"),
        help=_(
            "This template reports {periods}; only periods that are over in your data are offered.",
            periods=template.period.describe(),
        ),
        where=right,
    )
    formats = render.multiselect(
        _("Formats"),
        list(FORMAT_NAMES),
        default=list(template.formats),
        format_func=lambda f: _(FORMAT_NAMES[f]),
        key=f"reports_formats_{tid}",
    )
    if template.description:
        st.caption(render.md(_(template.description)))
    bar = render.ProgressBar(_("Computing the report…"))
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
    shared = report.audience == "shared"
    audience = (
        _("Shared: small numbers are hidden, fit to send. {release}.", release=report.release)
        if shared
        else _("Internal: no number is hidden. Only the organisation's own staff may receive it.")
    )
    st.caption(
        render.md(
            _(
                "{organisation} · {period} ({start} to {end}) · data as of {as_of} · {audience}",
                organisation=report.organisation,  # with the demo mark in the reader's language
                period=label(report.period, current()),
                start=date_text(report.period.start),
                end=date_text(report.period.end),
                as_of=date_text(report.data_as_of),
                audience=audience,
            )
        )
    )
    if formats:
        # the files are written when the button is clicked (a deferred download)
        data = state.report_pack_later(scope, tid, pid, period, version, tuple(formats))
        kinds = ", ".join(f.upper() for f in formats)
        button, beside = st.columns([2, 3])
        button.download_button(
            _("Download the report ({formats}, zip)", formats=kinds)
            if shared
            else _("Download the internal report ({formats}, zip)", formats=kinds),
            data,
            file_name=file_name(report),
            mime="application/zip",
            icon=":material/download:",
            type="primary",
            key="reports_download",
            help=None
            if shared
            else _(
                "Internal: no number is hidden. Only the organisation's own staff may "
                "receive these files; to send a report to a funder, approve a release and "
                "send the shared report."
            ),
        )
        if not shared:
            beside.warning(
                _(
                    "Internal files, not for sharing: only the organisation's own staff may "
                    "receive them."
                ),
                icon=":material/lock:",
            )
    else:
        st.info(_("Choose at least one format to download."), icon=":material/info:")
    st.subheader(_(template.wording.summary_heading))
    # A static table, as in the report: long indicator names and headers ("95-%-Intervall")
    # wrap within the page's width rather than being cut.
    st.table(_table(report.summary), hide_index=True)
    st.caption(render.md(report.summary.note))
    if report.narrative:
        st.subheader(_(template.wording.narrative_heading))
        st.warning(render.md(report.draft_notice), icon=":material/edit_note:")
        for text in report.narrative:
            st.markdown(render.md(text))
    charts = report.charts[:PREVIEW_CHARTS]
    if charts:
        st.subheader(_("Charts (first of the report)"))
        # the very images the Word and PDF files hold (drawn once per content, kept for the
        # download): no Plotly in the browser, whose first chart of a session cost about
        # 0.8 s on two cores; drawn in the chart workers once their server runs (``serve``
        # starts it), so the page never imports matplotlib itself (0.5 s)
        draw_charts(report, charts=charts)
        cols = st.columns(2)
        for n, chart in enumerate(charts):
            cols[n % 2].image(report.chart_png(chart), width="stretch")
    with st.expander(_("What is in the report")):
        st.markdown(
            render.md(
                _(
                    "Sections: {sections}. Annexes: {annexes}.",
                    sections="; ".join(s.heading for s in report.sections),
                    annexes=", ".join(_(ANNEX_NAMES.get(a, a)) for a in template.annexes),
                )
            )
        )
        st.markdown(
            "\n".join(f"- **{render.md(k)}**: {render.md(v)}" for k, v in report.provenance)
        )


with render.sentences():
    _page()
