"""How the dashboard shows the package's answers to a person: reports, results, progress, errors.

Texts from the package may quote what a user wrote (a file, sheet or column name), and Streamlit
reads every text as Markdown (links, images, ``$`` maths, ``:colour[...]``). ``md()`` therefore
escapes everything except the package's own ``code`` spans, which stay code.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import streamlit as st

from evaluation.errors import EvaluationError
from evaluation.intake.ingest import IngestResult
from evaluation.intake.problems import Problem, ValidationReport
from evaluation.sharing.releases.model import NotReleased
from evaluation.store.failures import storage_failure
from evaluation.views import overview, releases
from evaluation.vocabulary import language, numbers
from evaluation.vocabulary.language import _, n_

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


def release_periods(releases: Iterable[tuple[int, str]]) -> None:
    """An expander listing the periods of each release (number, the periods in words), in the
    order given: the tables show a short summary of a release's periods, this the whole list."""
    with st.expander(_("Periods of each release"), icon=":material/date_range:"):
        st.markdown(
            "\n".join(
                "- " + _("**Release {n}:** {periods}", n=number, periods=md(periods))
                for number, periods in releases
            )
        )


def in_this_language(function: Callable[[Any], str]) -> Callable[[Any], str]:
    """``function`` (a widget's ``format_func``) speaking the language of this run whenever it
    is called: Streamlit may call it later, elsewhere (a test harness, another thread)."""
    lang = language.current()

    def labelled(value: Any) -> str:
        with language.using(lang):
            return function(value)

    return labelled


def in_run_language(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` (a widget's ``on_click``/``on_change``) speaking the reader's language:
    Streamlit runs callbacks before the page has set the language of the run
    (``session.in_language``: the language of the session's latest run)."""

    @functools.wraps(callback)
    def spoken(*args: Any, **kwargs: Any) -> Any:
        from evaluation.app.session import in_language  # (session imports this module)

        return in_language(callback)(*args, **kwargs)

    return spoken


def _spoken(options: dict[str, Any]) -> dict[str, Any]:
    """A widget's keyword arguments with its ``format_func`` and callbacks in the reader's
    language (a callback that is not a function, such as ``on_click="ignore"``, as it is)."""
    out = dict(options)
    if out.get("format_func") is not None:
        out["format_func"] = in_this_language(out["format_func"])
    for name in ("on_click", "on_change"):
        if callable(out.get(name)):
            out[name] = in_run_language(out[name])
    return out


def _where(where: Any) -> Any:
    return st if where is None else where


# The dashboard's widgets: Streamlit's, drawn ``where`` (a column, a container, a form; the
# page's main area by default), with what they may call later (``format_func``, ``on_click``,
# ``on_change``) in the reader's language, so a page needs no special case for it.


def selectbox(label: str, options: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """``st.selectbox`` in the reader's language."""
    return _where(where).selectbox(label, options, **_spoken(kwargs))


def multiselect(label: str, options: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """``st.multiselect`` in the reader's language."""
    return _where(where).multiselect(label, options, **_spoken(kwargs))


def radio(label: str, options: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """``st.radio`` in the reader's language."""
    return _where(where).radio(label, options, **_spoken(kwargs))


def button(label: str, *, where: Any = None, **kwargs: Any) -> bool:
    """``st.button`` in the reader's language."""
    return bool(_where(where).button(label, **_spoken(kwargs)))


def form_submit_button(label: str, *, where: Any = None, **kwargs: Any) -> bool:
    """``st.form_submit_button`` in the reader's language."""
    return bool(_where(where).form_submit_button(label, **_spoken(kwargs)))


def download_button(label: str, data: Any, *, where: Any = None, **kwargs: Any) -> bool:
    """``st.download_button`` in the reader's language."""
    return bool(_where(where).download_button(label, data, **_spoken(kwargs)))


def file_uploader(label: str, *, type: list[str], where: Any = None, **kwargs: Any) -> Any:
    """``st.file_uploader`` in the reader's language: its own words ("Upload", "200MB per file
    • XLSX, ZIP") are fixed English in Streamlit's frontend (streamlit/streamlit#13500), so
    they are hidden by a style scoped to this widget's key and drawn again from the vocabulary
    (``::after`` content, which screen readers read; the hidden English is out of the
    accessibility tree). The size limit is the server's ``server.maxUploadSize``."""
    key = kwargs.get("key")
    if key:
        limit = numbers.number(int(st.get_option("server.maxUploadSize")))
        kinds = ", ".join(t.upper() for t in type)
        words = {
            "button": _("Choose a file"),
            "limit": _("up to {size} MB per file · {kinds}", size=limit, kinds=kinds),
        }
        box = f".st-key-{_css_name(str(key))}"
        st.html(
            "<style>"
            f"{box} [data-testid=stFileUploaderDropzone] button p,"
            f"{box} [data-testid=stFileUploaderDropzoneInstructions] span"
            "{visibility:hidden;font-size:0;}"
            f"{box} [data-testid=stFileUploaderDropzone] button p::after"
            f"{{visibility:visible;font-size:1rem;content:{_css_text(words['button'])};}}"
            f"{box} [data-testid=stFileUploaderDropzoneInstructions] span::after"
            f"{{visibility:visible;font-size:0.875rem;content:{_css_text(words['limit'])};}}"
            "</style>"
        )
    return _where(where).file_uploader(label, type=type, **_spoken(kwargs))


def _css_name(key: str) -> str:
    """A widget key as Streamlit writes it into the class of its container (``st-key-…``)."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _css_text(text: str) -> str:
    """``text`` as a CSS string: quoted, every sign but letters, digits and plain punctuation
    escaped (``\\22 `` for a quote), so a translation can never end the style."""
    safe = " .,:;·•-–()"
    return '"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in text) + '"'


DATE_FORMATS = {"de": ("DD.MM.YYYY", "%d.%m.%Y")}
"""How a language writes a day, for ``st.date_input`` and for Python; ISO otherwise."""


def date_input_format() -> str:
    """The ``format`` of an ``st.date_input`` in the reader's language (``DD.MM.YYYY``)."""
    return DATE_FORMATS.get(language.current(), ("YYYY-MM-DD", ""))[0]


def datetime_column_format(seconds: bool = False) -> str:
    """The ``format`` of an ``st.column_config.DatetimeColumn`` in the reader's language."""
    day = date_input_format()
    return f"{day} HH:mm:ss" if seconds else f"{day} HH:mm"


def day(value: object) -> str:
    """A day (a ``date`` or ``datetime``) as the reader's language writes it: ``31.12.2025``,
    ``2025-12-31``."""
    python = DATE_FORMATS.get(language.current(), ("", "%Y-%m-%d"))[1]
    strftime = getattr(value, "strftime", None)
    return strftime(python) if strftime else str(value)


def count(n: int) -> str:
    """A count in the reader's language: ``1,234`` or ``1.234``."""
    return numbers.count(n, language.current())


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
            _(
                "Something went wrong on our side; nothing was changed. The details are in "
                "the server's log: please tell your administrator."
            ),
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
    return problem.place()  # the file's own table and column names, as code


def _problem_text(problem: Problem) -> str:
    fix = problem.fix[:1].upper() + problem.fix[1:] if problem.fix else ""
    text = f"**{md(_place(problem))}**: {md(problem.message)}."
    if fix:
        text += "  \n" + _("*How to fix:* {fix}.", fix=md(fix.rstrip(".")))
    return text


def _counts(problems: list[Problem]) -> str:
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    parts = []
    if n_err:
        parts.append(n_("{n} to fix", "{n} to fix", n_err))
    if n_warn:
        parts.append(n_("{n} warning", "{n} warnings", n_warn))
    return ", ".join(parts)


def show_report(report: ValidationReport) -> None:
    """The summary, then one expander per step of fixing (``ValidationReport.steps``), in the
    order to fix them."""
    if report.ok:
        tail = (
            _("It can be loaded into the store.")
            if not report.problems
            else _("The warnings do not stop loading, but check them first.")
        )
        st.success(md(report.summary()) + " " + tail, icon=":material/check_circle:")
    else:
        st.error(
            md(report.summary()) + " " + _("Nothing can be loaded until they are fixed."),
            icon=":material/error:",
        )
    if report.gate_refused:
        st.warning(
            _(
                "Some problems suggest personal data in the package. Only pseudonymised "
                "data may be uploaded: remove it in your system and export again."
            ),
            icon=":material/shield_person:",
        )
    for step, problems in report.steps():  # in the order to fix them
        has_errors = any(p.severity == "error" for p in problems)
        with st.expander(
            f"{md(step)}: {_counts(problems)}",
            expanded=has_errors,
            icon=":material/table:",
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
        st.markdown(_("**Programmes:** {ids}", ids=md(", ".join(result.programmes))))
        period = (
            _("{first} to {last}", first=day(result.first_date), last=day(result.data_as_of))
            if result.first_date
            else _("data as of {day}", day=day(result.data_as_of))
        )
        st.markdown(_("**Period covered:** {period}", period=md(period)))
        if result.replaced:
            st.markdown(
                _(
                    "**Replaces the earlier data of:** {ids}",
                    ids=md(", ".join(sorted(result.replaced))),
                )
            )
        if result.report.warnings:
            st.markdown(_("**Warnings:** {n} (listed above)", n=count(len(result.report.warnings))))
    with right:
        st.dataframe(overview.row_count_table(result.row_counts), hide_index=True, width="stretch")


def trusted_keys(keys: Sequence[TrustedKey]) -> None:
    """The keys a store trusts, as the Send and Upload-a-return pages show them."""
    st.dataframe(
        releases.trusted_key_table(keys),
        hide_index=True,
        width="stretch",
        column_config={
            "organisation": _("Organisation"),
            "fingerprint": _("Fingerprint"),
            "trusted_at": st.column_config.DatetimeColumn(
                _("Trusted (UTC)"), format=date_input_format()
            ),
            "trusted_by": _("Trusted by"),
        },
    )


# What Streamlit cuts with an ellipsis, the dashboard lets wrap: a tile's title, a button's
# label (German words are long); a word breaks only where it is wider than its place. On a
# phone's width the headings are smaller, so a long word ("Programmübersicht") fits its line
# instead of breaking in the middle. (No ``hyphens: auto``: the page's ``lang`` is Streamlit's
# "en", whose rules would hyphenate German words wrongly.)
PAGE_STYLE = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: break-word;
}
.stButton button p, .stDownloadButton button p, .stFormSubmitButton button p {
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: break-word;
}
.stButton button .stMarkdownEllipsis, .stDownloadButton button .stMarkdownEllipsis,
.stFormSubmitButton button .stMarkdownEllipsis { overflow: visible; }
[data-testid="stTable"] th, [data-testid="stTable"] td { overflow-wrap: break-word; }
@media (max-width: 640px) {
  [data-testid="stMain"] h1 { font-size: 2rem; }
  [data-testid="stMain"] h2 { font-size: 1.5rem; }
  [data-testid="stMain"] h3 { font-size: 1.25rem; }
}
</style>"""


def page_style() -> None:
    """The dashboard's few rules of layout (``PAGE_STYLE``): texts wrap rather than being cut.
    A ``<style>`` alone takes no room on the page."""
    st.html(PAGE_STYLE)
