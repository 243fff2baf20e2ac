"""A funder's store holds returns only, and its pages work from them; the Send and Upload-a-return
pages exchange them.

Real stores throughout: the sender is a copy of the oracle store (``oracle_db``: the oracle
package, approved for ``ORACLE_RELEASED``), which writes its public key file and a real return
file; the funder is a fresh store that trusted that key file and imported the return, with a
funder's account. Each funder page runs in Streamlit's AppTest and must show no error, the
figures the sender shares, and where they come from (organisation, release, approval date).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.measures.engine import IndicatorRequest
from evaluation.periods import parse_periods
from evaluation.reports.model import build_report
from evaluation.reports.spec import load_templates
from evaluation.sharing.returns import (
    build_return,
    export_public_key,
    export_return,
    import_return,
    public_key,
    trust,
    trusted_keys,
)
from evaluation.store import users
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views import comparison, explore
from evaluation.views.programmes import programmes_in_scope

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PASSWORD = "correct horse battery"
TIMEOUT = 300
PERIODS = ",".join(
    [
        *(f"{y}-Q{q}" for y, q in [(2023, 3), (2023, 4), *((2024, q) for q in (1, 2, 3, 4))]),
        "2025-Q1,2025-Q2,2024-H1,2024-H2,2025-H1,2024",
    ]
)
"""What the return carries: the 8 quarters of the comparison's trend up to 2025 Q2 (the
oracle's data end on 30 June 2025), the half-years and the year the reports read."""
PAGES = {
    "overview": "evaluation/app/pages/overview.py",
    "explorer": "evaluation/app/pages/explorer.py",
    "comparison": "evaluation/app/pages/comparison.py",
    "reports": "evaluation/app/pages/reports.py",
    "send": "evaluation/app/pages/send.py",
    "upload_return": "evaluation/app/pages/upload_return.py",
}
SHARED = Scope.everything("shared")


@dataclass(frozen=True)
class Exchange:
    organisation: str
    sender: Path
    funder: Path
    key_file: Path
    return_file: Path
    small_return: Path
    """P-C in 2025 Q2 only: what the upload page imports into an empty store."""


def _copy_store(src: Path, dst: Path) -> Path:
    for suffix in ("", ".secret"):
        if src.with_name(src.name + suffix).exists():
            shutil.copy2(src.with_name(src.name + suffix), dst.with_name(dst.name + suffix))
    return dst


def _accounts(store: Store, organisation: str, *roles: str) -> None:
    names = {
        "admin": ("admin.test", ()),
        "cso_manager": ("manager.test", (organisation,)),
        "funder": ("funder.test", (organisation,)),
    }
    for role in roles:
        name, scope = names[role]
        users.add_user(store, name, role, scope, PASSWORD, actor=users.Operator("test"))


@pytest.fixture(scope="module")
def exchange(oracle_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Exchange:
    folder = tmp_path_factory.mktemp("exchange")
    sender = _copy_store(oracle_db, folder / "sender.duckdb")
    with Store.open(sender) as s:
        organisation = s.cursor().execute("SELECT organisation FROM submissions").fetchall()[0][0]
        programmes = [
            r[0]
            for r in s.cursor()
            .execute("SELECT programme_id FROM current_programmes ORDER BY 1")
            .fetchall()
        ]
        export_public_key(s, organisation, folder / "public-key.json")
        export_return(
            s, programmes, parse_periods(PERIODS), folder / "return.json", actor="manager.test"
        )
        export_return(
            s, ["P-C"], parse_periods("2025-Q2"), folder / "small.json", actor="manager.test"
        )
        _accounts(s, organisation, "admin", "cso_manager")
    funder = folder / "funder.duckdb"
    with Store.open(funder) as f:
        trust(f, folder / "public-key.json", actor="admin.test")
        assert import_return(f, folder / "return.json", actor="admin.test").status == "imported"
        _accounts(f, organisation, "admin", "funder")
    return Exchange(
        organisation,
        sender,
        funder,
        folder / "public-key.json",
        folder / "return.json",
        folder / "small.json",
    )


@pytest.fixture
def funder_cursor(exchange: Exchange) -> Iterator[object]:
    with Store.open(exchange.funder) as f:
        yield f.cursor()


@pytest.fixture
def sender_cursor(exchange: Exchange) -> Iterator[object]:
    with Store.open(exchange.sender) as s:
        yield s.cursor()


def _app(db: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> AppTest:
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="signin_submit").click().run()
    assert not at.exception
    return at


def _text(elements: object) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


def _label(exchange: Exchange) -> str:
    """How the funder's pages name the release their figures come from."""
    return f"the return of {exchange.organisation} (their release 1), approved"


# -- the store ------------------------------------------------------------------------------


def test_a_funder_store_holds_returns_only(funder_cursor) -> None:
    cur = funder_cursor
    for table in ("submissions", "cases", "contacts", "programmes"):
        assert cur.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
    assert cur.execute("SELECT DISTINCT source FROM releases").fetchall() == [("return",)]


def test_a_funder_sees_the_returned_programmes_with_their_names_and_data_end(
    exchange: Exchange, funder_cursor, sender_cursor
) -> None:
    mine = programmes_in_scope(sender_cursor, SHARED)
    theirs = programmes_in_scope(funder_cursor, SHARED)
    cols = ["programme_id", "programme", "organisation", "data_as_of"]
    pd.testing.assert_frame_equal(mine[cols], theirs[cols], check_dtype=False)
    assert set(theirs["data_as_of"]) == {dt.date(2025, 6, 30)}  # the last whole period
    assert (theirs["tables"] == ()).all()
    # the store's own staff read case data, which a funder's store does not hold
    assert programmes_in_scope(funder_cursor, Scope.everything()).empty


# -- the figures equal the sender's shared figures ------------------------------------------


def test_the_comparison_equals_the_senders(funder_cursor, sender_cursor) -> None:
    for indicator in ("O06", "C06"):
        request = comparison.ComparisonRequest(indicator, parse_periods("2025-Q2")[0], SHARED)
        mine = comparison.compare(sender_cursor, request)
        theirs = comparison.compare(funder_cursor, request)
        pd.testing.assert_frame_equal(
            comparison.programme_table(mine.funnel), comparison.programme_table(theirs.funnel)
        )
        assert mine.funnel.hidden == theirs.funnel.hidden
        trend = ["programme_id", "period", "numerator", "denominator", "value", "shown"]
        pd.testing.assert_frame_equal(mine.trend[trend], theirs.trend[trend])
        assert theirs.releases == (1,)


@pytest.mark.parametrize("split", [(), ("gender",), ("age_band",)])
def test_the_explorer_equals_the_senders(funder_cursor, sender_cursor, split) -> None:
    request = IndicatorRequest(periods=tuple(parse_periods(PERIODS)), split_by=split, scope=SHARED)
    mine = explore.run(sender_cursor, request).frame
    theirs = explore.run(funder_cursor, request).frame
    assert len(mine) > 0 and theirs["suppressed"].any()
    pd.testing.assert_frame_equal(mine, theirs)


def test_a_report_equals_the_senders(exchange: Exchange, funder_cursor, sender_cursor) -> None:
    template = load_templates().get("municipality-quarterly")
    period = parse_periods("2025-Q2")[0]
    mine = build_report(sender_cursor, template, "P-A", period, scope=SHARED)
    theirs = build_report(funder_cursor, template, "P-A", period, scope=SHARED)
    cells = [[c.text for c in row] for row in theirs.summary.rows]
    assert [[c.text for c in row] for row in mine.summary.rows] == cells
    assert "hidden" in json.dumps(cells)
    pd.testing.assert_frame_equal(mine.data, theirs.data)
    assert (mine.organisation, mine.programme, mine.data_as_of) == (
        theirs.organisation,
        theirs.programme,
        theirs.data_as_of,
    )


# -- every funder page, on the store of returns ---------------------------------------------


@pytest.mark.parametrize("page", ["overview", "explorer", "comparison", "reports"])
def test_each_funder_page_works_on_a_store_of_returns(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = _app(exchange.funder, monkeypatch, "funder.test")
    at.switch_page(PAGES[page]).run()
    assert_page_ok(at, page)
    assert "has data in the store yet" not in _text(at.info)
    shown = _text(at.caption) + _text(at.info) + _text(at.markdown)
    if page == "overview":
        table = at.dataframe[0].value  # programmes by the names the returns carried
        assert len(table) == 4 and not table["Programme"].str.match(r"P-[A-D]$").any()
        assert set(table["Organisation"]) == {exchange.organisation}
        assert set(table["Release"]) == {1}
    elif page == "reports":
        assert "Release 1" in shown and exchange.organisation in shown
    else:
        assert _label(exchange) in shown, shown


def test_the_comparison_page_shows_the_senders_table(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch, sender_cursor
) -> None:
    at = _app(exchange.funder, monkeypatch, "funder.test")
    at.switch_page(PAGES["comparison"]).run()
    assert_page_ok(at)
    period = parse_periods("2025-Q2")[0]  # the page opens on the latest whole quarter
    indicator = at.selectbox(key="comparison_indicator").value
    mine = comparison.compare(
        sender_cursor, comparison.ComparisonRequest(str(indicator), period, SHARED)
    )
    shown = at.dataframe[0].value.reset_index(drop=True)
    expected = comparison.display_table(mine.funnel).reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)


# -- Upload a return ------------------------------------------------------------------------


@pytest.fixture
def empty_funder(exchange: Exchange, tmp_path: Path) -> Path:
    path = tmp_path / "empty-funder.duckdb"
    with Store.open(path) as f:
        _accounts(f, exchange.organisation, "admin", "funder")
    return path


def _counts(db: Path) -> tuple[int, int, int]:
    with Store.open(db) as s:
        cur = s.cursor()
        return tuple(  # type: ignore[return-value]
            int(cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in ("releases", "release_cells", "trusted_keys")
        )


def test_an_administrator_trusts_a_key_then_a_funder_previews_and_imports(
    exchange: Exchange, empty_funder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(empty_funder, monkeypatch, "admin.test")
    at.switch_page(PAGES["upload_return"]).run()
    assert_page_ok(at)
    at.file_uploader(key="return_key_file").set_value(
        ("their-key.json", exchange.key_file.read_bytes(), "application/json")
    )
    at.run()
    fingerprint = json.loads(exchange.key_file.read_text(encoding="utf-8"))["fingerprint"]
    assert fingerprint in _text(at.code)
    assert at.button(key="return_key_trust").disabled  # compare by phone first
    at.checkbox(key="return_key_compared").check().run()
    at.button(key="return_key_trust").click().run()
    assert_page_ok(at)
    assert f"Trusted the key of {exchange.organisation}" in _text(at.success)
    listed = at.dataframe[-1].value
    assert list(listed["fingerprint"]) == [fingerprint]

    # a funder does not trust keys, but sees the trusted ones, and imports
    at = _app(empty_funder, monkeypatch, "funder.test")
    at.switch_page(PAGES["upload_return"]).run()
    assert_page_ok(at)
    assert not [u for u in at.get("file_uploader") if u.key == "return_key_file"]
    assert list(at.dataframe[-1].value["fingerprint"]) == [fingerprint]
    at.file_uploader(key="return_file").set_value(
        ("small.json", exchange.small_return.read_bytes(), "application/json")
    )
    at.run()
    assert_page_ok(at)
    metrics = {m.label: m.value for m in at.metric}
    with Store.open(exchange.sender) as s:
        content = build_return(s, ["P-C"], parse_periods("2025-Q2"), exported_by="x")
    assert metrics["Figures"] == f"{len(content.rows):,}"
    assert metrics["Hidden"] == f"{sum(r['suppressed'] for r in content.rows):,}"
    assert metrics["Their release"] == "1"
    text = _text(at.markdown)
    assert exchange.organisation in text and "2025 Q2" in text and fingerprint in text
    assert _counts(empty_funder)[:2] == (0, 0)  # the preview changed nothing
    at.button(key="return_import").click().run()
    assert_page_ok(at)
    assert f"Imported the return of {exchange.organisation}" in _text(at.success)
    assert _counts(empty_funder)[0] == 1
    at.button(key="return_import").click().run()  # the same return again: a no-op
    assert "nothing was changed" in _text(at.info)
    assert _counts(empty_funder)[0] == 1


def test_a_return_with_an_untrusted_key_or_a_changed_figure_is_refused(
    exchange: Exchange, empty_funder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _app(empty_funder, monkeypatch, "funder.test")
    at.switch_page(PAGES["upload_return"]).run()
    at.file_uploader(key="return_file").set_value(
        ("small.json", exchange.small_return.read_bytes(), "application/json")
    )
    at.run()
    assert not at.exception
    assert "a key this store does not trust" in _text(at.error)
    assert not [b for b in at.button if b.key == "return_import"]
    with Store.open(empty_funder) as f:
        trust(f, exchange.key_file, actor="admin.test")
    obj = json.loads(exchange.small_return.read_text(encoding="ascii"))
    shown = next(r for r in obj["content"]["rows"] if r["value"] is not None)
    shown["value"] = shown["value"] + 1
    at.file_uploader(key="return_file").set_value(
        ("changed.json", json.dumps(obj).encode("ascii"), "application/json")
    )
    at.run()
    assert not at.exception
    assert "does not match its content" in _text(at.error)
    assert "Traceback" not in _text(at.error)
    assert _counts(empty_funder) == (0, 0, 1)


def test_a_funder_cannot_import_a_return_of_an_organisation_outside_their_account(
    exchange: Exchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "other-funder.duckdb"
    with Store.open(path) as f:
        users.add_user(
            f,
            "funder.test",
            "funder",
            ("Another org (fictional)",),
            PASSWORD,
            actor=users.Operator("test"),
        )
        trust(f, exchange.key_file, actor="admin.test")
    at = _app(path, monkeypatch, "funder.test")
    at.switch_page(PAGES["upload_return"]).run()
    at.file_uploader(key="return_file").set_value(
        ("small.json", exchange.small_return.read_bytes(), "application/json")
    )
    at.run()
    assert not at.exception
    assert "whose figures your account does not cover" in _text(at.error)
    assert not [b for b in at.button if b.key == "return_import"]
    assert _counts(path)[0] == 0


# -- Send a return --------------------------------------------------------------------------


def test_a_cso_manager_sees_what_the_return_holds_and_the_download_is_on_the_trail(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(exchange.sender, monkeypatch, "manager.test")
    at.switch_page(PAGES["send"]).run()
    assert_page_ok(at)
    at.selectbox(key="send_periods").set_value("2025-Q2").run()
    assert_page_ok(at)
    with Store.open(exchange.sender) as s:
        programmes = [
            r[0] for r in s.cursor().execute("SELECT programme_id FROM programmes").fetchall()
        ]
        content = build_return(s, programmes, parse_periods("2025-Q2"), exported_by="x")
        key = public_key(s, exchange.organisation, create=False)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Release": "1",
        "Approved": metrics["Approved"],
        "Figures": f"{len(content.rows):,}",
        "Hidden": f"{sum(r['suppressed'] for r in content.rows):,}",
    }
    assert metrics["Approved"] in content.label
    assert key.fingerprint in _text(at.code)
    assert at.download_button(key="send_public_key")
    assert "trusts no other organisation's key" in _text(at.caption)

    def exported() -> int:
        with Store.open(exchange.sender) as s:
            return int(
                s.cursor()
                .execute("SELECT count(*) FROM audit_log WHERE action = 'export_return'")
                .fetchall()[0][0]
            )

    before = exported()
    at.radio(key="send_format").set_value(".json").run()
    at.button(key="send_prepare").click().run()
    assert_page_ok(at)
    assert exported() == before  # preparing the file is not sending it
    at.download_button(key="send_download").click().run()
    assert_page_ok(at)
    assert exported() == before + 1
    assert "Recorded in the audit trail" in _text(at.success)
    with Store.open(exchange.sender) as s:
        row = (
            s.cursor()
            .execute(
                "SELECT actor, role, release, target, detail FROM audit_log "
                "WHERE action = 'export_return' ORDER BY happened_at DESC LIMIT 1"
            )
            .fetchall()[0]
        )
    assert row[:3] == ("manager.test", "cso_manager", 1)
    assert row[3].startswith("file:return-release-1-2025-Q2") and row[3].endswith(".json")
    assert json.loads(row[4])["periods"] == ["2025-Q2"]


def test_the_send_page_lists_the_keys_a_store_trusts(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(exchange.funder, monkeypatch, "admin.test")
    at.switch_page(PAGES["send"]).run()
    assert_page_ok(at)
    with Store.open(exchange.funder) as f:
        trusted = trusted_keys(f)
    # a funder's store sends nothing of its own; it says so, and what it trusts is listed
    assert "No organisation you may send for has an approved release yet" in _text(at.info)
    assert list(at.dataframe[-1].value["fingerprint"]) == [k.fingerprint for k in trusted]
    assert list(at.dataframe[-1].value["organisation"]) == [exchange.organisation]


def test_the_new_pages_are_in_the_navigation_of_their_roles(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered: dict[str, set[str]] = {}
    for name, db in (
        ("manager.test", exchange.sender),
        ("funder.test", exchange.funder),
        ("admin.test", exchange.funder),
    ):
        at = _app(db, monkeypatch, name)
        offered[name] = set()
        for page in ("send", "upload_return"):
            try:
                at.switch_page(PAGES[page])
            except ValueError:  # AppTest: "Could not find a navigation page"
                continue
            offered[name].add(page)
    assert offered == {
        "manager.test": {"send"},
        "funder.test": {"upload_return"},
        "admin.test": {"send", "upload_return"},
    }


def test_a_funder_account_may_name_programmes_of_a_store_of_returns(exchange: Exchange) -> None:
    with Store.open(exchange.funder) as f:
        user = users.User("p-a.funder", "funder", ("P-A",))
        scope = users.scope_for(user, f)
        assert scope.programmes == frozenset({"P-A"})
        assert scope.organisations == frozenset({exchange.organisation})
        assert list(programmes_in_scope(f.cursor(), scope)["programme_id"]) == ["P-A"]


def test_the_release_of_a_return_is_named_with_its_sender(
    exchange: Exchange, funder_cursor
) -> None:
    from evaluation.sharing.releases.read import release_labels, release_note

    frame = explore.run(
        funder_cursor, IndicatorRequest(periods=tuple(parse_periods("2025-Q2")), scope=SHARED)
    ).frame
    label = release_labels(funder_cursor, [1])[1]
    assert label.startswith(f"Release 1: {_label(exchange)} ")
    assert release_note(frame, funder_cursor) == label
    assert release_note(frame) == label.replace(f": {_label(exchange)}", ", approved")
    # many releases are summed up (a store of returns from hundreds of organisations)
    assert release_note(frame, funder_cursor, most=0).startswith(
        "1 release of 1 organisation, approved "
    )


def test_the_trend_of_hundreds_of_programmes_draws_the_largest_twelve() -> None:
    periods = parse_periods("2025-Q1,2025-Q2")
    rows = [
        {
            "programme_id": f"P{n:03d}",
            "programme": f"Programme {n:03d}",
            "period": p.label,
            "period_start": p.start,
            "period_end": p.end,
            "numerator": 5.0,
            "denominator": float(10 + n),
            "value": 5.0 / (10 + n),
            "ci_low": 0.1,
            "ci_high": 0.9,
            "shown": True,
            "reason": "",
            "pooled": 0.3,
            "pooled_low": 0.3,
            "pooled_high": 0.3,
        }
        for n in range(30)
        for p in periods
    ]
    fig = comparison.small_multiples_figure(pd.DataFrame(rows))
    titles = {a.text for a in fig.layout.annotations}
    assert titles == {f"Programme {n:03d}" for n in range(18, 30)}  # the 12 largest
    assert fig.layout.title.text.startswith("12 of 30 programmes")
