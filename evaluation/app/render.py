"""How the dashboard shows the package's answers to a person: reports, results, progress, errors.

Texts from the package may quote what a user wrote (a file, sheet or column name), and Streamlit
reads every text as Markdown (links, images, ``$`` maths, ``:colour[...]``). ``md()`` therefore
escapes everything except the package's own ``code`` spans, which stay code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import streamlit as st

from evaluation.errors import EvaluationError
from evaluation.intake.ingest import IngestResult
from evaluation.intake.problems import Problem, ValidationReport
from evaluation.sharing.releases.model import NotReleased
from evaluation.store.failures import storage_failure
from evaluation.views import overview, releases

if TYPE_CHECKING:
    from evaluation.sharing.returns import TrustedKey

_INLINE = re.compile(r"([\\`*_\[\]<>$~|]|:(?=\S))")
_LINE_START = re.compile(r"^(\s*\d*)([#>+\-.)])", re.MULTILINE)


def _escape(text: str) -> str:
    return _LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\1", text))


def md(text: str) -> str:
    """``text`` as literal Markdown, keeping its balanced backtick spans as code."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick: show every character as it is
        return _escape(text)
    return "".join(f"`{part}`" if i % 2 else _escape(part) for i, part in enumerate(parts))


@contextmanager
def sentences() -> Iterator[None]:
    """Show the package's errors as the sentences they are, never as a traceback."""
    try:
        yield
    except NotReleased as exc:  # not an error: nothing approved yet, and who can approve it
        st.info(md(str(exc)), icon=":material/lock_clock:")
    except EvaluationError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    except Exception as exc:
        if type(exc).__module__.startswith("streamlit"):
            raise  # reruns, stops and page switches are Streamlit's control flow
        failure = storage_failure(exc, where=False)  # a full or read-only disk, no permission
        if failure is not None:
            logging.getLogger("evaluation.app").warning("storage failure on a page: %s", exc)
            st.error(md(str(failure)), icon=":material/error:")
            return
        logging.getLogger("evaluation.app").exception("unexpected error on a page")
        st.error(
            "Something went wrong on our side; nothing was changed. The details are in "
            "the server's log: please tell your administrator.",
            icon=":material/error:",
        )


class ProgressBar:
    """A ``progress(message, fraction)`` callback drawing an ``st.progress`` bar."""

    def __init__(self, text: str) -> None:
        self._bar = st.progress(0.0, text=md(text))

    def __call__(self, message: str, fraction: float) -> None:
        self._bar.progress(min(max(float(fraction), 0.0), 1.0), text=md(message))

    def done(self) -> None:
        self._bar.empty()


def _place(problem: Problem) -> str:
    place = f"Column `{problem.column}`" if problem.column else "The table"
    return f"{place}, {problem.rows_text()}" if problem.rows else place


def _problem_text(problem: Problem) -> str:
    fix = problem.fix[:1].upper() + problem.fix[1:] if problem.fix else ""
    text = f"**{md(_place(problem))}**: {md(problem.message)}."
    if fix:
        text += f"  \n*How to fix:* {md(fix.rstrip('.'))}."
    return text


def _counts(problems: list[Problem]) -> str:
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    parts = []
    if n_err:
        parts.append(f"{n_err} to fix")
    if n_warn:
        parts.append(f"{n_warn} warning{'s' if n_warn != 1 else ''}")
    return ", ".join(parts)


def show_report(report: ValidationReport) -> None:
    """The summary, then one expander per table listing its problems, errors first."""
    if report.ok:
        tail = (
            " It can be loaded into the store."
            if not report.problems
            else " The warnings do not stop loading, but check them first."
        )
        st.success(md(report.summary()) + tail, icon=":material/check_circle:")
    else:
        st.error(
            md(report.summary()) + " Nothing can be loaded until they are fixed.",
            icon=":material/error:",
        )
    if report.gate_refused:
        st.warning(
            "Some problems suggest personal data in the package. Only pseudonymised "
            "data may be uploaded: remove it in your system and export again.",
            icon=":material/shield_person:",
        )
    for table, problems in report.grouped().items():
        has_errors = any(p.severity == "error" for p in problems)
        with st.expander(
            f"Table {md(table)}: {_counts(problems)}", expanded=has_errors, icon=":material/table:"
        ):
            for p in problems:
                if p.severity == "error":
                    st.error(_problem_text(p), icon=":material/close:")
                else:
                    st.warning(_problem_text(p), icon=":material/warning:")


def show_result(result: IngestResult) -> None:
    """What an ingest did: the sentence, then programmes, rows per table and period covered."""
    if result.status == "unchanged":
        st.info(md(result.sentence()), icon=":material/info:")
        return
    st.success(md(result.sentence()), icon=":material/check_circle:")
    left, right = st.columns([2, 1])
    with left:
        st.markdown("**Programmes:** " + md(", ".join(result.programmes)))
        period = (
            f"{result.first_date.isoformat()} to {result.data_as_of.isoformat()}"
            if result.first_date
            else f"data as of {result.data_as_of.isoformat()}"
        )
        st.markdown(f"**Period covered:** {md(period)}")
        if result.replaced:
            st.markdown(
                "**Replaces the earlier data of:** " + md(", ".join(sorted(result.replaced)))
            )
        if result.report.warnings:
            st.markdown(f"**Warnings:** {len(result.report.warnings)} (listed above)")
    with right:
        st.dataframe(overview.row_count_table(result.row_counts), hide_index=True, width="stretch")


def trusted_keys(keys: Sequence[TrustedKey]) -> None:
    """The keys a store trusts, as the Send and Upload-a-return pages show them."""
    st.dataframe(
        releases.trusted_key_table(keys),
        hide_index=True,
        width="stretch",
        column_config={
            "organisation": "Organisation",
            "fingerprint": "Fingerprint",
            "trusted_at": st.column_config.DatetimeColumn("Trusted (UTC)", format="D MMM YYYY"),
            "trusted_by": "Trusted by",
        },
    )
