"""The dashboard's first pages (upload, submissions, data overview) and ``evaluation.overview``.

The pages run in Streamlit's AppTest against a real store built from ``tests/fixtures/minimal``;
the overview functions are checked against a plain-Python count of the same CSV files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evaluation import overview
from evaluation.app.render import md
from evaluation.ingest import ingest
from evaluation.store import Store, Submission

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
APP = str(ROOT / "streamlit_app.py")
PAGES = {
    "upload": "evaluation/app/pages/upload.py",
    "submissions": "evaluation/app/pages/submissions.py",
    "overview": "evaluation/app/pages/overview.py",
}
TIMEOUT = 180  # validation runs Great Expectations: seconds, not milliseconds


def _rows(name: str, folder: Path = MINIMAL) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(folder.glob("*.csv")):
            zf.write(path, path.name)
    return buf.getvalue()


def _text(elements: object) -> str:
    """Every value of an element list, with Markdown escapes removed, as one text."""
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "evaluation.duckdb"
    with Store.open(path) as store:
        ingest(MINIMAL, store, actor="test")
    return path


@pytest.fixture()
def store(loaded_db: Path) -> Iterator[Store]:
    with Store.open(loaded_db) as opened:
        yield opened


@pytest.fixture()
def app(loaded_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EVALUATION_DB", str(loaded_db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _open(at: AppTest, page: str) -> AppTest:
    at.run()
    if page != "upload":
        at.switch_page(PAGES[page]).run()
    assert not at.exception
    return at


# -- evaluation.overview against the real store ------------------------------------------------

def test_programme_overview_counts_match_the_fixture(store: Store) -> None:
    cases, contacts = _rows("cases"), _rows("contacts")
    programme_of = {c["case_ref"]: c["programme_id"] for c in cases}
    n_cases = Counter(c["programme_id"] for c in cases)
    n_open = Counter(c["programme_id"] for c in cases if not c["closed_on"])
    n_contacts = Counter(programme_of[k["case_ref"]] for k in contacts)
    programmes = {p["programme_id"]: p for p in _rows("programmes")}
    about = {r["key"]: r["value"] for r in _rows("about")}

    with store.cursor() as cur:
        frame = overview.programme_overview(cur)

    assert list(frame.columns) == overview.PROGRAMME_COLUMNS
    assert sorted(frame["programme_id"]) == sorted(programmes)
    for row in frame.to_dict("records"):
        pid = row["programme_id"]
        assert row["programme"] == programmes[pid]["programme_name"]
        assert row["organisation"] == about["organisation"]
        assert row["country"] == programmes[pid]["country"]
        assert row["intervention_type"] == programmes[pid]["intervention_type"]
        assert row["setting"] == programmes[pid]["setting"]
        assert (row["cases"], row["open_cases"], row["contacts"]) == (
            n_cases[pid], n_open[pid], n_contacts[pid])
        assert str(row["data_as_of"])[:10] == about["data_as_of"]


def _quarter(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def test_cases_per_quarter_matches_the_fixture_and_fills_gaps(store: Store) -> None:
    cases = _rows("cases")
    as_of = dt.date.fromisoformat({r["key"]: r["value"] for r in _rows("about")}["data_as_of"])
    expected: dict[tuple[str, dt.date], int] = {}
    for pid in {c["programme_id"] for c in cases}:
        opened = [dt.date.fromisoformat(c["opened_on"]) for c in cases
                  if c["programme_id"] == pid]
        q = _quarter(min(opened))
        while q <= _quarter(as_of):
            expected[(pid, q)] = sum(_quarter(d) == q for d in opened)
            q = dt.date(q.year + q.month // 10, (q.month + 2) % 12 + 1, 1)

    with store.cursor() as cur:
        frame = overview.cases_per_quarter(cur)

    assert list(frame.columns) == overview.QUARTER_COLUMNS
    got = {(r["programme_id"], r["quarter_start"].date()): r["new_cases"]
           for r in frame.to_dict("records")}
    assert got == expected
    assert 0 in got.values()  # quarters without new cases are zeros, not missing
    labels = dict(zip(frame["quarter_start"].dt.date, frame["quarter"], strict=True))
    assert labels[dt.date(2024, 4, 1)] == "2024 Q2"
    assert labels[dt.date(2025, 1, 1)] == "2025 Q1"


def test_organisation_filter_is_the_scope_seam(store: Store) -> None:
    organisation = {r["key"]: r["value"] for r in _rows("about")}["organisation"]
    with store.cursor() as cur:
        assert len(overview.programme_overview(cur, {organisation})) == 2
        assert len(overview.cases_per_quarter(cur, [organisation])) > 0
        assert overview.programme_overview(cur, {"Another org (fictional)"}).empty
        assert overview.cases_per_quarter(cur, set()).empty


def test_submission_table(store: Store) -> None:
    subs = store.submissions()
    table = overview.submission_table(subs)
    assert list(table.columns) == overview.SUBMISSION_COLUMNS
    (row,) = table.to_dict("records")
    assert row["source_file"] == "minimal"
    assert row["programmes"] == "P-CJS, P-OPEN"
    assert row["rows"] == sum(subs[0].row_counts.values()) == 18
    assert row["loaded_by"] == "test"
    assert row["current_for"] == "current"
    per_table = overview.submission_rows(subs[0])
    assert per_table.iloc[0].to_dict() == {"table": "contacts", "rows": 7}
    assert dict(zip(per_table["table"], per_table["rows"], strict=True)) == subs[0].row_counts


def test_current_status_names_replaced_programmes() -> None:
    def sub(current: tuple[str, ...]) -> Submission:
        return Submission("S1", "Org (fictional)", dt.date(2025, 6, 30), "h", "a.zip",
                          ("P-A", "P-B"), {"cases": 3}, dt.datetime(2025, 7, 1), "x", current)

    assert overview.current_status(sub(("P-A", "P-B"))) == "current"
    assert overview.current_status(sub(())) == "replaced"
    assert overview.current_status(sub(("P-B",))) == "current for P-B; replaced for P-A"
    assert overview.submission_table([]).empty


def test_md_keeps_code_spans_and_neutralises_markdown() -> None:
    assert md("column `a_b` is empty") == "column `a_b` is empty"
    assert md("![x](http://example.org/t.png)") == "!\\[x\\](http\\://example.org/t.png)"
    assert md("$1 and :red[x] <b>") == "\\$1 and \\:red\\[x\\] \\<b\\>"
    assert md("an ` unmatched") == "an \\` unmatched"
    assert md("# 1. heading") == "\\# 1. heading"


# -- the pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(app: AppTest, page: str, loaded_db: Path) -> None:
    at = _open(app, page)
    assert str(loaded_db.resolve()) in _text(at.sidebar.caption)
    assert "Demo mode" not in _text(at.sidebar.warning)
    assert len(at.title) == 1


def test_demo_badge(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALUATION_DEMO", "1")
    at = _open(app, "upload")
    assert "Demo mode — fictional data" in _text(at.sidebar.warning)


def test_submissions_page_lists_the_submission(app: AppTest) -> None:
    at = _open(app, "submissions")
    frame = at.dataframe[0].value
    assert list(frame["source_file"]) == ["minimal"]
    assert list(frame["current_for"]) == ["current"]
    assert at.selectbox(key="submission_select").value.startswith("S")


def test_overview_page_shows_the_programmes(app: AppTest) -> None:
    at = _open(app, "overview")
    assert sorted(at.dataframe[0].value["programme_id"]) == ["P-CJS", "P-OPEN"]
    assert {m.label: m.value for m in at.metric}["Cases"] == "5"
    assert len(at.multiselect(key="overview_programmes").value) == 2


def test_upload_page_offers_the_template_and_profiles(app: AppTest) -> None:
    at = _open(app, "upload")
    assert at.download_button(key="download_template").label == "Blank template workbook"
    assert at.selectbox(key="upload_profile").value == "none"
    assert not at.button  # no load button before a package is uploaded


def test_a_good_package_validates_loads_and_is_then_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALUATION_DB", str(tmp_path / "fresh.duckdb"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    _open(at, "overview")
    assert "No programme has data" in _text(at.info)

    at.switch_page(PAGES["upload"]).run()
    at.file_uploader(key="upload_file").set_value(
        ("minimal.zip", _zip(MINIMAL), "application/zip"))
    at.run()
    assert not at.exception
    assert "minimal.zip: no problems found" in _text(at.success)
    assert not at.error
    assert not at.button(key="load_button").disabled

    # the report is kept for the session: a rerun does not check the package again
    def no_second_check(*_a: object, **_k: object) -> None:
        raise AssertionError("checked again")

    monkeypatch.setattr("evaluation.ingest.check_package", no_second_check)
    at.run()
    assert not at.exception
    assert "no problems found" in _text(at.success)

    at.button(key="load_button").click().run()
    assert not at.exception
    assert "Loaded minimal.zip as submission" in _text(at.success)
    assert "2024-01-05 to 2025-06-30" in _text(at.markdown)
    rows = at.dataframe[0].value
    assert dict(zip(rows["table"], rows["rows"], strict=True))["cases"] == 5

    at.button(key="load_button").click().run()
    assert not at.exception
    assert "already loaded" in _text(at.info)

    at.switch_page(PAGES["overview"]).run()  # the cached, empty overview was cleared
    assert not at.exception
    assert sorted(at.dataframe[0].value["programme_id"]) == ["P-CJS", "P-OPEN"]


def test_a_bad_package_lists_its_problems_and_cannot_be_loaded(
        app: AppTest, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(MINIMAL, bad)
    cases = (bad / "cases.csv").read_text(encoding="utf-8")
    (bad / "cases.csv").write_text(cases.replace(",male,25_34,false", ",mal,25_34,false"),
                                   encoding="utf-8")
    with (bad / "contacts.csv").open("a", encoding="utf-8") as fh:
        fh.write("Z-999,2024-01-05,60,in_person,counselling,social_worker,community\n")

    at = _open(app, "upload")
    at.file_uploader(key="upload_file").set_value(("bad.zip", _zip(bad), "application/zip"))
    at.run()
    assert not at.exception
    assert "bad.zip: 2 problems to fix in 2 tables" in _text(at.error)
    assert not at.success
    assert [e.label for e in at.expander] == ["Table cases: 1 to fix", "Table contacts: 1 to fix"]
    problems = _text(at.expander[0].error)
    assert "Column `gender`, row 2" in problems
    assert "How to fix:" in problems
    assert at.button(key="load_button").disabled
    assert at.download_button(key="download_problems")


def test_a_refused_file_is_a_sentence_not_a_traceback(app: AppTest) -> None:
    at = _open(app, "upload")
    at.file_uploader(key="upload_file").set_value(("odd.zip", b"not a zip", "application/zip"))
    at.run()
    assert not at.exception
    assert "odd.zip is not really a .zip file" in _text(at.error)


def test_a_damaged_store_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_text("this is not a database", encoding="utf-8")
    monkeypatch.setenv("EVALUATION_DB", str(damaged))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    _open(at, "submissions")
    assert "cannot be opened" in _text(at.error)
