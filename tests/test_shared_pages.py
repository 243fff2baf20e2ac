"""The funder's pages and files read releases and say so: the Data overview, Programme and
Comparison pages name the release(s) their figures come from, record each shared read on the
audit trail once per view (not once per Streamlit rerun), show completeness as released (blank
where a cell is hidden), and judge rates by the settings recorded with the release; the
command line's shared reads are on the trail too.

The figure pages (Data overview, Indicator explorer, Compare programmes, Reports) read as words
for every role, in English and in German: no code of the data format, period id, notation of
the specification or Python ``None`` in any text, table cell or chart label (``raw_codes``).

Real parts throughout: the oracle package loaded into a real store, one release approved for
it, the pages run by Streamlit's AppTest straight from their files as a signed-in funder (or
another role), the command line run as a separate process.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import reads, session
from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.periods import parse_periods
from evaluation.reports.model import build_reports
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases import approve
from evaluation.sharing.releases.read import release_settings
from evaluation.store import users
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views import comparison, overview
from evaluation.vocabulary.language import _, using
from tests.conftest import ORACLE, approve_releases, copy_store, page_in_language
from tests.raw_codes import raw_codes

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "evaluation" / "app" / "pages"
TIMEOUT = 180
PASSWORD = "correct horse battery"
ORGANISATION = "Oracle Test Org (fictional)"
FUNDER = "funder.shared"
ROLES = {  # role → the account of it (the funder's is FUNDER)
    "admin": "admin.shared",
    "cso_manager": "manager.shared",
    "funder": FUNDER,
    "evaluator": "evaluator.shared",
}
FIGURE_PAGES = ("overview", "explorer", "comparison", "reports")
SCREEN = 1280 - 336 - 2 * 48
"""The table width a 1280-pixel screen leaves: minus the sidebar and the main area's padding."""
APPROVED = "2024-Q3,2024-Q4,2025-Q1,2025-Q2"
SHARED = Scope.everything("shared")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The oracle package, a funder of its organisation, and one release of ``APPROVED``."""
    path = tmp_path_factory.mktemp("shared_pages") / "store.duckdb"
    with Store.open(path) as store:
        assert ingest(ORACLE, store, actor="test").status == "loaded"
        for role, name in ROLES.items():
            scope = () if role == "admin" else (ORGANISATION,)
            users.add_user(store, name, role, scope, PASSWORD, actor=users.OPERATOR)
        approve_releases(store, APPROVED)
    return path


@pytest.fixture()
def page_env(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    yield db


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER_KEY] = FUNDER
    at.run()
    assert_page_ok(at, name)
    return at


def _page_in(name: str, user: str, lang: str) -> AppTest:
    """The page ``name`` as ``user`` in ``lang`` (``conftest.page_in_language``)."""
    return page_in_language(PAGES / f"{name}.py", user, lang, TIMEOUT)


def _figure_texts(spec: str) -> list[str]:
    """What a Plotly chart writes on the page: trace names and texts, category values, titles
    and annotations (not the hover templates' placeholders)."""
    fig = json.loads(spec)
    out: list[str] = []
    for trace in fig.get("data", []):
        for key in ("name", "text", "x", "y"):
            value = trace.get(key)
            values = value if isinstance(value, list) else [value]
            out += [v for v in values if isinstance(v, str) and v]
    layout = fig.get("layout", {})
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis", "title", "legend")) and isinstance(value, dict):
            title = value.get("title", value)
            text = title.get("text") if isinstance(title, dict) else title
            if isinstance(text, str):
                out.append(text)
            out += [str(t) for t in value.get("ticktext", []) or []]
    out += [str(a.get("text", "")) for a in layout.get("annotations", [])]
    return out


def _shown(at: AppTest) -> list[str]:
    """Every text the page shows: headings, sentences, labels and options of its widgets,
    the headers and cells of its tables, what its charts write."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        texts += [str(e.value) for e in at.get(kind)]
    texts += [str(e.label) for e in at.expander]
    for m in at.metric:
        texts += [str(m.label), str(m.value)]
    for widget in (*at.selectbox, *at.multiselect):
        texts += [str(widget.label), *(str(o) for o in widget.options)]
    for b in at.get("download_button"):
        texts += [b.proto.label, b.proto.help]
    for frame in (*at.dataframe, *at.table):  # interactive and static tables
        table = frame.value
        texts += [str(c) for c in table.columns]
        texts += [str(v) for v in table.to_numpy().ravel().tolist() if isinstance(v, str)]
    for chart in at.get("plotly_chart"):
        texts += _figure_texts(chart.proto.spec)
    return texts


def _reads(db: Path, target: str) -> list[tuple[str, str, int, str]]:
    with Store.open(db) as store:
        rows = (
            store.cursor()
            .execute(
                "SELECT actor, role, release, CAST(detail AS VARCHAR) FROM audit_log "
                "WHERE action = 'shared_read' AND target = ? ORDER BY rowid",
                [target],
            )
            .fetchall()
        )
    return [(str(a), str(r), int(n), str(d)) for a, r, n, d in rows]


def _text(elements: object) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


def _released_completeness(db: Path, indicator: str, programme: str, spec: str) -> object:
    (period,) = parse_periods(spec)
    with Store.open(db) as store:
        found = (
            store.cursor()
            .execute(
                "SELECT suppressed, completeness FROM release_cells WHERE indicator_id = ? "
                "AND programme_id = ? AND period_start = ? AND period_end = ? "
                "AND split_column = ''",
                [indicator, programme, period.start, period.end],
            )
            .fetchall()
        )
    (row,) = found
    return row


# -- Data overview ----------------------------------------------------------------------------


@pytest.mark.slow  # builds and approves the oracle store once per module (~15 s)
def test_the_funders_overview_names_its_release_and_records_the_read_once(
    page_env: Path,
) -> None:
    at = _page("overview")
    at.run()
    at.run()  # two reruns of the same view: still one read on record
    assert_page_ok(at, "overview")
    reads_ = _reads(page_env, "page:overview")
    assert [(a, r, n) for a, r, n, _ in reads_] == [(FUNDER, "funder", 1)]
    info = _text(at.info)
    assert "Figures from Release 1, approved " in info
    table = at.dataframe[0].value
    assert set(table["Release"]) == {1}
    assert set(table["Periods released"]) == {"4 periods, Jul 2024 – Jun 2025"}  # in few words
    (listed,) = [e for e in at.expander if e.label == "Periods of each release"]
    assert "**Release 1:** 2024 Q3, 2024 Q4, 2025 Q1, 2025 Q2" in _text(listed.markdown)
    config = json.loads(at.dataframe[0].proto.columns or "{}")
    order = list(table.columns)
    up_to = order[: order.index("Data as of") + 1]  # programme, release, periods, data as of
    assert "Programme" in up_to and "Periods released" in up_to
    widths = [config[c]["width"] for c in up_to]
    assert all(isinstance(w, int) for w in widths) and sum(widths) <= SCREEN, widths
    assert "programme_id" not in table.columns  # programmes by name, not by code
    assert not {"Cases", "Open", "Contacts"} & set(table.columns)
    assert {m.label: m.value for m in at.metric}["Releases"] == "1"


def test_the_released_overview_lists_programmes_without_a_release_too(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store.duckdb") as store:
        assert ingest(ORACLE, store, actor="test").status == "loaded"
        before = overview.released_overview(store.cursor(), SHARED)
        assert before["release"].isna().all()
        assert set(before["periods"]) == {overview.NOT_RELEASED}
        assert before["data_as_of"].isna().all()  # no release: nothing about its data shown
        approve(store, ["P-A", "P-B"], parse_periods("2025-Q2"), actor=users.OPERATOR)
        after = overview.released_overview(store.cursor(), SHARED).set_index("programme_id")
    assert after.loc["P-A", "release"] == 1 and after.loc["P-A", "periods"] == "2025 Q2"
    assert after.loc["P-A", "period_span"] == "2025 Q2"  # one period: its own label
    assert str(after.loc["P-A", "data_as_of"]) == "2025-06-30"
    assert pd.isna(after.loc["P-C", "release"])
    assert sorted(overview.RELEASED_ORDER) == sorted(overview.RELEASED_COLUMNS)


# -- Programme ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_programme_page_serves_completeness_from_the_release(page_env: Path) -> None:
    at = _page("programme")
    at.run()
    at.run()
    assert "figures from Release 1, approved " in _text(at.caption)
    reads_ = _reads(page_env, "page:programme")
    assert [(a, n) for a, n in ((a, n) for a, _, n, _ in reads_)] == [(FUNDER, 1)]
    assert json.loads(reads_[0][3]) == {"period": "2025-Q2", "programme": "P-A"}

    for pid in ("P-A", "P-B"):
        at.selectbox(key="programme_programme").set_value(pid).run()
        assert_page_ok(at, pid)
        shown = at.dataframe[-1].value.set_index("indicator")
        assert "rows" not in shown.columns and "filled" not in shown.columns
        hidden, released = _released_completeness(page_env, "C06", pid, "2025-Q2")
        share = shown.loc["C06", "share"]
        if hidden or released is None:  # hidden, or a share of fewer than 10 cases: blank
            assert pd.isna(share)
        else:
            assert math.isclose(share, released)
    # the example covers both cases: P-A's C06 hidden, P-B's shown
    assert _released_completeness(page_env, "C06", "P-A", "2025-Q2")[0]
    assert not _released_completeness(page_env, "C06", "P-B", "2025-Q2")[0]
    # P-B's C06 is shown, but its completeness is a share of 3 cases: not released (rule 3)
    assert _released_completeness(page_env, "C06", "P-B", "2025-Q2")[1] is None
    # another programme is another read; P-A again in this session is not
    at.selectbox(key="programme_programme").set_value("P-A").run()
    assert [json.loads(d)["programme"] for *_, d in _reads(page_env, "page:programme")] == [
        "P-A",
        "P-B",
    ]


# -- Comparison -------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_comparison_records_each_read_once_and_names_its_release(page_env: Path) -> None:
    at = _page("comparison")
    at.run()
    at.run()
    assert "Figures from Release 1, approved " in _text(at.caption)
    first = _reads(page_env, "page:comparison")
    assert [(a, r, n) for a, r, n, _ in first] == [(FUNDER, "funder", 1)]
    at.selectbox(key="comparison_indicator").set_value("C06").run()
    assert_page_ok(at, "C06")
    at.run()
    after = _reads(page_env, "page:comparison")
    assert len(after) == 2 and json.loads(after[1][3])["indicator"].startswith("C06")


def test_a_read_is_recorded_once_per_session_view(page_env: Path) -> None:
    """``reads.record_read`` keys on viewer, target, releases and request: the same read in a
    new session is on record again, an internal viewer's never."""
    script = """
import streamlit as st
from evaluation.app import reads
from evaluation.store.access import Scope, Viewer
funder = Viewer("fay", "funder", Scope.everything("shared"))
st.session_state["n"] = reads.record_read(funder, [1, 1.0, None], "page:test", {"a": 1})
st.session_state["m"] = reads.record_read(
    Viewer("ada", "admin", Scope.everything()), [1], "page:test", {"a": 1}
)
"""
    for _session in range(2):  # two sessions
        at = AppTest.from_string(script, default_timeout=TIMEOUT).run()
        assert not at.exception
        assert (at.session_state["n"], at.session_state["m"]) == (1, 0)
        at.run()
        assert at.session_state["n"] == 0 and len(at.session_state[reads.READS_KEY]) == 1
    assert [(a, n) for a, _, n, _ in _reads(page_env, "page:test")] == [("fay", 1), ("fay", 1)]


# -- the release's settings ---------------------------------------------------------------------


def test_the_comparison_applies_the_settings_recorded_with_the_release(tmp_path: Path) -> None:
    """A release protected with a smaller rule 3 threshold (5) shows P-A's O06 rate on 7
    releases in 2025 H1; the shared comparison compares it by that threshold, where the
    default (10) would leave it out, as the internal comparison does. Of several releases,
    the strictest of each threshold applies."""
    h1 = parse_periods("2025-H1")
    lenient = DisclosureSettings(min_count=0, max_small=0, min_denominator=5, min_width=0)
    with Store.open(tmp_path / "store.duckdb") as store:
        assert ingest(ORACLE, store, actor="test").status == "loaded"
        release = approve(store, ["P-A", "P-B"], h1, actor=users.OPERATOR, settings=lenient)
        other = approve(store, ["P-C", "P-D"], parse_periods("2024-Q4"), actor=users.OPERATOR)
        assert release_settings(store, [release.number]) == lenient
        assert release_settings(store, []) == DisclosureSettings()
        strictest = DisclosureSettings(min_count=0, max_small=4, min_denominator=10, min_width=5)
        assert release_settings(store, [release.number, other.number]) == strictest
        shared = comparison.compare(
            store, comparison.ComparisonRequest("O06", h1[0], SHARED, trend_periods=1)
        )
        internal = comparison.compare(
            store, comparison.ComparisonRequest("O06", h1[0], trend_periods=1)
        )
    assert shared.funnel.min_denominator == 5
    assert internal.funnel.min_denominator == comparison.MIN_DENOMINATOR == 10
    compared = shared.funnel.programmes.set_index("programme_id")
    assert compared.loc["P-A", "shown"] and compared.loc["P-A", "denominator"] == 7
    left_out = internal.funnel.excluded.set_index("programme_id")
    assert left_out.loc["P-A", "reason"] == "fewer than 10 in the denominator"
    assert shared.releases == (release.number,)
    assert shared.release.startswith(f"Release {release.number}, approved ")


# -- reports ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_shared_report_reads_its_completeness_from_the_release(
    db: Path, tmp_path: Path, report_templates
) -> None:
    """With the case rows gone, the shared report's data quality is unchanged: it comes from
    the release, each indicator's share as released, hidden where the cell is, and the report
    names both releases it read."""
    copy = copy_store(db, tmp_path / "copy.duckdb")
    template = report_templates.get("standard")  # C06, C07 and C09 use optional fields
    (q2,) = parse_periods("2025-Q2")
    with Store.open(copy) as store:
        approve_releases(store, "2023-Q3,2023-Q4,2024-Q1,2024-Q2")  # the rest of its trend
        (before,) = build_reports(store, template, q2, ["P-B"], scope=SHARED)
        store.cursor().execute("DELETE FROM cases")
        (after,) = build_reports(store, template, q2, ["P-B"], scope=SHARED)
    assert before.release.startswith("Release 1, approved ") and "; Release 2, " in before.release
    (table,) = before.data_quality
    assert table.header[0] == "Indicator"
    assert [[c.text for c in r] for r in table.rows] == [
        [c.text for c in r] for r in after.data_quality[0].rows
    ]
    cells = {r[0].value: r[3] for r in table.rows}
    assert set(cells) == {"C06", "C07", "C09"}
    for ind, cell in cells.items():
        hidden, released = _released_completeness(db, str(ind), "P-B", "2025-Q2")
        if hidden or released is None:  # hidden, or a share of fewer than 10 cases
            assert cell.state == "hidden" and cell.value is None
        else:
            assert cell.value is not None and math.isclose(float(cell.value), released)
    # P-B had fewer than 10 cases open: no completeness of it is released
    assert all(c.state == "hidden" for c in cells.values())


# -- the command line ---------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_the_command_lines_shared_reads_are_on_the_trail(db: Path, tmp_path: Path) -> None:
    copy = copy_store(db, tmp_path / "cli.duckdb")
    shared = _cli(
        "indicators", "--db", str(copy), "--period", "2025-Q2", "--indicator", "C01",
        "--audience", "shared", "--out", str(tmp_path / "c01.csv"),
    )  # fmt: skip
    assert shared.returncode == 0, shared.stderr
    internal = _cli("indicators", "--db", str(copy), "--period", "2025-Q2", "--indicator", "C01")
    assert internal.returncode == 0, internal.stderr
    refused = _cli(
        "indicators", "--db", str(copy), "--period", "2023-Q2", "--audience", "shared"
    )  # fmt: skip
    assert refused.returncode == 1
    report = _cli(
        "report", "--db", str(copy), "--template", "municipality-quarterly", "--period",
        "2025-Q2", "--programme", "P-B", "--formats", "xlsx", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    with Store.open(copy) as store:
        rows = (
            store.cursor()
            .execute(
                "SELECT actor, role, release, target FROM audit_log "
                "WHERE action = 'shared_read' AND actor = 'cli' ORDER BY rowid"
            )
            .fetchall()
        )
    assert rows == [("cli", None, 1, "file:c01.csv"), ("cli", None, 1, "file:out")]


# -- words, not codes, for every role and in every language -------------------------------------


@pytest.mark.slow  # four pages per role and language (~20 s each)
@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("role", list(ROLES))
def test_the_figure_pages_show_no_code(page_env: Path, role: str, lang: str) -> None:
    found: dict[str, list[tuple[list[str], str]]] = {}
    for name in FIGURE_PAGES:
        at = _page_in(name, ROLES[role], lang)
        with using(lang):  # the page speaks the language of the run
            assert [t.value for t in at.title] == [
                _(
                    {
                        "overview": "Data overview",
                        "explorer": "Indicator explorer",
                        "comparison": "Compare programmes",
                        "reports": "Reports",
                    }[name]
                )
            ]
        for text in _shown(at):
            codes = raw_codes(text)
            if codes:
                found.setdefault(name, []).append((codes, text[:160]))
    assert not found, "\n".join(
        f"{page}: {codes} in “{text}”" for page, items in found.items() for codes, text in items
    )


@pytest.mark.slow
def test_the_overview_names_new_exit_cases_once(page_env: Path) -> None:
    """One name for one number: the Data overview's chart counts what C01 counts and takes its
    name; no other name (``New cases per quarter``) stands for it."""
    at = _page_in("overview", ROLES["cso_manager"], "en")
    name = load_catalogue().get("C01").name
    assert [s.value for s in at.subheader] == [f"{name} per quarter"]
    assert "New cases per quarter" not in " ".join(_shown(at))
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["title"]["text"] == name
    with Store.open(page_env) as store:
        per_quarter = overview.cases_per_quarter(store.cursor())
        (q2,) = parse_periods("2025-Q2")
        c01 = compute(store.cursor(), IndicatorRequest(periods=(q2,), indicators=("C01",)))
    counted = per_quarter[per_quarter["quarter"] == q2.label].set_index("programme_id")
    for row in c01.to_dict("records"):
        if row["programme_id"] in counted.index:
            assert counted.loc[row["programme_id"], "new_exit_cases"] == row["value"]


@pytest.mark.slow
def test_a_comparison_with_nothing_to_draw_is_one_sentence(page_env: Path) -> None:
    at = _page_in("comparison", FUNDER, "en")
    with Store.open(page_env) as store:
        result = comparison.compare(
            store, comparison.ComparisonRequest("O06", parse_periods("2025-Q2")[0], SHARED)
        )
    sentence = comparison.funnel_sentence(result.funnel)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    if sentence is not None:  # one programme, or a flat funnel: no chart of it
        assert sentence.replace("\\", "") in _text(at.info)
        assert not any("Pooled rate" in str(t.get("name")) for c in charts for t in c["data"])


# -- every page -------------------------------------------------------------------------------


def _bodies(node: ast.AST) -> Iterator[tuple[ast.AST, list[ast.stmt]]]:
    """The statement lists Streamlit's "magic" reads: a module's, a function's, and those of
    ``with``, ``if``, ``for``, ``while`` and ``try`` blocks (not a class body's)."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            yield node, body
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.ClassDef):
            yield from _bodies(child)


def test_no_page_draws_a_stray_string() -> None:
    """Streamlit draws a page's bare expressions ("magic"): a string standing alone (the note
    of a constant, written as a docstring after it) appears on the page, in English, above its
    title. Only a module's or a function's first statement (its docstring) is left alone."""
    found = []
    for path in sorted(PAGES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for owner, body in _bodies(tree):
            for n, stmt in enumerate(body):
                docstring = n == 0 and isinstance(owner, ast.Module | ast.FunctionDef)
                if (
                    isinstance(stmt, ast.Expr)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                    and not docstring
                ):
                    found.append(f"{path.name}:{stmt.lineno}: {stmt.value.value[:60]!r}")
    assert not found, "\n".join(found)


def test_widgets_speak_the_language_of_the_run() -> None:
    """A widget drawn with ``render``'s helpers needs nothing more to speak the reader's
    language: its ``format_func`` speaks the run's (whoever calls it), and its callback the
    language of the session's latest run (Streamlit runs callbacks before the page sets one)."""
    script = """
import streamlit as st
from evaluation.app import render, session
from evaluation.vocabulary import language
from evaluation.vocabulary.language import _

session.speak("de")

def heard() -> None:
    st.session_state["heard"] = _("Programme")

render.selectbox("Pick", ["x"], key="pick", format_func=lambda v: _("Programme"))
render.button("Go", key="go", on_click=heard)
"""
    at = AppTest.from_string(script, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.selectbox(key="pick").options == ["Programm"]  # formatted in the test's thread
    at.button(key="go").click().run()
    assert at.session_state["heard"] == "Programm"
