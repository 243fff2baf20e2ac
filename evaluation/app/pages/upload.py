"""Upload: check a programme data package, see what to fix, and load it into the store."""

from __future__ import annotations

import streamlit as st

from evaluation.app import files, render, state
from evaluation.app.session import current_viewer
from evaluation.intake.ingest import IngestResult, check_package, ingest
from evaluation.intake.problems import ValidationReport
from evaluation.intake.profiles import available_profiles
from evaluation.vocabulary import language
from evaluation.vocabulary.language import _

NO_PROFILE = "none"
CHECKED, LOADED = "upload_checked", "upload_loaded"

viewer = current_viewer()
st.title(_("Upload a programme data package"))
st.markdown(
    _(
        "Upload the quarter's export: the filled-in template workbook (.xlsx) or a .zip of CSV "
        "files, one per table. The package is checked first; nothing is stored until you load "
        "it. Only pseudonymised data is accepted: names, contact details and notes are refused."
    )
)

with st.container(horizontal=True, vertical_alignment="bottom"):
    profile_choice = render.selectbox(
        _("Mapping profile"),
        [NO_PROFILE, *available_profiles()],
        key="upload_profile",
        format_func=lambda p: (
            _("No profile: the template or the data format") if p == NO_PROFILE else p
        ),
        help=_(
            "For exports straight from a case-management system whose tables and columns "
            "have other names. Choose no profile for the template or a package in the format."
        ),
    )
    st.download_button(
        _("Blank template workbook"),
        data=state.template_later(),  # written on a click, not on the first page
        file_name="exit-evaluation-template.xlsx",
        mime=files.XLSX_MIME,
        key="download_template",
        icon=":material/download:",
        help=_("An Excel workbook with one sheet per table, drop-down lists and instructions."),
    )
profile = None if profile_choice == NO_PROFILE else profile_choice

upload = render.file_uploader(
    _("Programme data package"), type=list(files.UPLOAD_TYPES), key="upload_file"
)


def checked_report(key: str) -> ValidationReport:
    """The report of this upload, checked once and kept for later reruns of the page."""
    kept = st.session_state.get(CHECKED)
    if kept and kept[0] == key and kept[1].lang == language.current():
        return kept[1]  # checked before, its sentences in the reader's language
    assert upload is not None  # the page checks only once a file is chosen
    bar = render.ProgressBar(_("Checking the package"))
    try:
        with files.saved_upload(upload) as path:
            report = check_package(
                path,
                profile=profile,
                progress=bar,
                source_name=upload.name,
                store=state.store(),
                scope=viewer.scope,
            )
    finally:
        bar.done()
    st.session_state[CHECKED] = (key, report)
    st.session_state.pop(LOADED, None)
    return report


def load(key: str) -> IngestResult:
    assert upload is not None  # the page loads only once a file is chosen
    bar = render.ProgressBar(_("Loading the package"))
    try:
        with files.saved_upload(upload) as path:
            result = ingest(
                path,
                state.store(),
                profile=profile,
                progress=bar,
                actor=viewer.name,
                source_name=upload.name,
                scope=viewer.scope,
                role=viewer.role,
            )
    finally:
        bar.done()
    state.clear_caches()
    st.session_state[LOADED] = (key, result)
    return result


if upload is not None:
    key = files.upload_key(upload, profile)
    report = checked_report(key)
    render.show_report(report)
    with st.container(horizontal=True):
        clicked = st.button(
            _("Load into the store"),
            key="load_button",
            type="primary",
            disabled=not report.ok,
            icon=":material/database_upload:",
            help=None if report.ok else _("Fix the problems above and upload the package again."),
        )
        if report.problems:
            st.download_button(
                _("Problem list (.xlsx)"),
                data=files.problem_list_bytes(report),
                file_name=files.problem_list_name(upload.name),
                mime=files.XLSX_MIME,
                key="download_problems",
                icon=":material/download:",
                help=_("Every problem in a spreadsheet you can work through and tick off."),
            )
    if clicked and report.ok:
        load(key)
    loaded = st.session_state.get(LOADED)
    if loaded and loaded[0] == key:
        render.show_result(loaded[1])
