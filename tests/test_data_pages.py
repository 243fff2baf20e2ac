"""The CSO manager's data pages read as words, in English and in German: Upload, Submissions,
Programme, Approvals, Send a return, and the funder's Upload a return.

What a person reads there holds no code of the data format, no period id, no Python ``None``
and no "(1 rows)" (``raw_codes`` and a plural check on every title, sentence, label, option,
table header and cell, metric and chart text); the Submissions table shows its status within
the width a 1280-pixel screen leaves beside the sidebar; every download button says what it
downloads, differently from the others on its page, in few enough words not to be cut; the
approval preview marks a hidden figure differently from one without data and says which is
which.

Real parts: the oracle package in a real store with two quarters approved, a public key and a
return of its own, the pages run by Streamlit's AppTest from their files with the language of
the run set in the script's own thread (as the dashboard sets it per run).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.intake.ingest import ingest
from evaluation.periods import parse_periods
from evaluation.sharing.returns import export_public_key, export_return, trust
from evaluation.store import users
from evaluation.store.database import Store
from evaluation.views import programme as programme_view
from evaluation.vocabulary.language import _, using
from tests.conftest import MINIMAL, ORACLE, approve_releases, page_in_language
from tests.raw_codes import raw_codes

pytestmark = pytest.mark.slow  # each page is a Streamlit run (seconds)

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "evaluation" / "app" / "pages"
TIMEOUT = 300
PASSWORD = "correct horse battery"
ORGANISATION = "Oracle Test Org (fictional)"
MANAGER, ADMIN = "manager.data", "admin.data"
APPROVED = "2025-Q1,2025-Q2"
TITLES = {
    "upload": "Upload a programme data package",
    "submissions": "Submissions",
    "programme": "Programme overview",
    "approvals": "Approvals",
    "send": "Send a return",
    "upload_return": "Upload a return",
}
SINGULAR_AS_PLURAL = re.compile(
    r"(?<![\d.,])1 (rows|programmes|figures|periods|tables|problems|warnings|cases|files)\b"
)
"""A count of one with a plural noun: "(1 rows)" must never be shown again."""
SCREEN = 1280 - 336 - 2 * 48
"""The table width a 1280-pixel screen leaves: minus the sidebar and the main area's padding."""


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The oracle store with ``APPROVED`` released, a manager and an administrator, its own
    public key trusted (so its return can be checked on the Upload-a-return page), the key
    file and a return file; and a package with problems to upload."""
    folder = tmp_path_factory.mktemp("data_pages")
    db = folder / "store.duckdb"
    with Store.open(db) as store:
        assert ingest(ORACLE, store, actor="test").status == "loaded"
        users.add_user(
            store, MANAGER, "cso_manager", (ORGANISATION,), PASSWORD, actor=users.OPERATOR
        )
        users.add_user(store, ADMIN, "admin", (), PASSWORD, actor=users.OPERATOR)
        approve_releases(store, APPROVED)
        export_public_key(store, ORGANISATION, folder / "public-key.json")
        trust(store, folder / "public-key.json", actor=ADMIN)
        programmes = [
            r[0]
            for r in store.cursor()
            .execute("SELECT programme_id FROM current_programmes ORDER BY 1")
            .fetchall()
        ]
        export_return(
            store, programmes, parse_periods("2025-Q2"), folder / "return.json", actor=MANAGER
        )
    bad = folder / "bad"
    shutil.copytree(MINIMAL, bad)
    cases = (bad / "cases.csv").read_text(encoding="utf-8")
    (bad / "cases.csv").write_text(
        cases.replace(",male,25_34,false", ",mal,25_34,false"), encoding="utf-8"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(bad.glob("*.csv")):
            zf.write(path, path.name)
    (folder / "bad.zip").write_bytes(buf.getvalue())
    return {"db": db, "return": folder / "return.json", "bad": folder / "bad.zip"}


@pytest.fixture()
def db(exchange: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EVALUATION_DB", str(exchange["db"]))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    yield exchange["db"]


def _run(name: str, user: str, lang: str) -> AppTest:
    """The page ``name`` as ``user`` in ``lang`` (``conftest.page_in_language``)."""
    return page_in_language(PAGES / f"{name}.py", user, lang, TIMEOUT)


def _columns(frame: object) -> dict[str, dict[str, object]]:
    """A table's column configuration as the browser receives it (headers, widths)."""
    return json.loads(frame.proto.columns or "{}")  # type: ignore[attr-defined]


def _figure_texts(spec: str) -> list[str]:
    fig = json.loads(spec)
    out: list[str] = []
    for trace in fig.get("data", []):
        for key in ("name", "text", "x", "y", "hovertext"):
            value = trace.get(key)
            values = value if isinstance(value, list) else [value]
            out += [v for v in values if isinstance(v, str) and v]
    for key, value in fig.get("layout", {}).items():
        if key.startswith(("xaxis", "yaxis", "title", "legend")) and isinstance(value, dict):
            title = value.get("title", value)
            text = title.get("text") if isinstance(title, dict) else title
            if isinstance(text, str):
                out.append(text)
    return out


def _shown(at: AppTest) -> list[str]:
    """Every text the page shows: headings, sentences, labels, options and help of its
    widgets, metrics, the headers and cells of its tables, what its charts write."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        texts += [str(e.value) for e in at.get(kind)]
    texts += [str(e.value) for e in at.success]
    texts += [str(e.label) for e in at.expander]
    for m in at.metric:
        texts += [str(m.label), str(m.value)]
    for widget in (*at.selectbox, *at.multiselect, *at.radio):
        texts += [str(widget.label), *(str(o) for o in widget.options), str(widget.help or "")]
    for widget in (*at.button, *at.get("download_button"), *at.get("file_uploader")):
        texts += [str(widget.proto.label), str(widget.proto.help)]
    for frame in at.dataframe:
        config = _columns(frame)
        shown = list(frame.proto.column_order) or [str(c) for c in frame.value.columns]
        texts += [str(config.get(c, {}).get("label", c)) for c in shown]
        texts += [str(config.get(c, {}).get("help", "")) for c in shown]
        table = frame.value
        for column in shown:
            if column in table.columns:
                texts += [str(v) for v in table[column].tolist() if isinstance(v, str)]
    for chart in at.get("plotly_chart"):
        texts += _figure_texts(chart.proto.spec)
    return [t for t in texts if t]


def _pages(lang: str, paths: dict[str, Path]) -> Iterator[tuple[str, AppTest]]:
    """Every data page in ``lang``, each with what a person would have done on it."""
    at = _run("upload", MANAGER, lang)
    yield "upload", at
    at.file_uploader(key="upload_file").set_value(
        ("bad.zip", paths["bad"].read_bytes(), "application/zip")
    )
    at.run()
    yield "upload with problems", at
    yield "submissions", _run("submissions", MANAGER, lang)
    yield "programme", _run("programme", MANAGER, lang)
    at = _run("approvals", MANAGER, lang)
    at.selectbox(key="approvals_periods").set_value("2025-Q2").run()
    at.button(key="approvals_preview").click().run()
    assert_page_ok(at, f"approvals preview in {lang}")
    yield "approvals", at
    at.selectbox(key="approvals_split").set_value("age_band").run()
    assert_page_ok(at, f"approvals by age in {lang}")
    yield "approvals by age band", at
    at = _run("send", MANAGER, lang)
    at.selectbox(key="send_periods").set_value("2025-Q2").run()
    at.button(key="send_prepare").click().run()
    assert_page_ok(at, f"send in {lang}")
    yield "send", at
    at = _run("upload_return", ADMIN, lang)
    at.file_uploader(key="return_file").set_value(
        ("return.json", paths["return"].read_bytes(), "application/json")
    )
    at.run()
    assert_page_ok(at, f"upload a return in {lang}")
    yield "upload_return", at


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_data_pages_show_no_code(db: Path, exchange: dict[str, Path], lang: str) -> None:
    found: list[str] = []
    with using(lang):
        shown = [(name, at, _shown(at)) for name, at in _pages(lang, exchange)]
        titles = {name: _(TITLES[name.split(" ")[0]]) for name, _at, _texts in shown}
    for name, at, texts in shown:
        assert [t.value for t in at.title] == [titles[name]], name  # in the run's language
        for text in texts:
            if name == "upload with problems" and "`" in text:
                continue  # the problem list quotes the column a fix is made in, as written
            codes = raw_codes(text) + SINGULAR_AS_PLURAL.findall(text)
            if codes:
                found.append(f"{name}: {codes} in “{text[:160]}”")
    assert not found, "\n".join(found)


def test_the_submissions_status_is_in_view_at_1280_pixels(db: Path) -> None:
    at = _run("submissions", MANAGER, "en")
    (frame,) = at.dataframe
    order = list(frame.proto.column_order)
    config = _columns(frame)
    status = order.index("current_for")
    assert status <= 2, order
    assert config["current_for"]["label"] == "Status"
    widths = [config[c].get("width") for c in order[: status + 1]]
    assert all(isinstance(w, int) for w in widths), widths  # none left to its content
    assert sum(widths) <= SCREEN, widths  # type: ignore[arg-type]
    assert frame.value["current_for"].tolist() == ["current"]
    assert "P-A" not in " ".join(frame.value["programmes"])  # programmes by name


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_download_button_says_what_it_downloads(
    db: Path, exchange: dict[str, Path], lang: str
) -> None:
    with using(lang):
        pages = [(name, at, at.get("download_button")) for name, at in _pages(lang, exchange)]
        sent = {_("Download the return (.xlsx)"), _("Download the public key")}
    for name, _at, buttons in pages:
        if not buttons:
            continue
        labels = [str(b.proto.label) for b in buttons]
        assert len(set(labels)) == len(labels), (name, labels)  # never two alike
        for button in buttons:
            label = str(button.proto.label)
            assert len(label) <= 36, (name, label)  # short: never cut on the button
            assert "return-release" not in label, (name, label)  # not a file name
            assert button.proto.help, (name, label)  # what it is, and for whom
        if name == "send":
            assert set(labels) == sent


def test_the_preview_marks_hidden_figures_apart_from_missing_ones(db: Path) -> None:
    with using("de"):
        at = _run("approvals", MANAGER, "de")
        at.selectbox(key="approvals_periods").set_value("2025-Q2").run()
        at.button(key="approvals_preview").click().run()
        hidden, no_data = _("hidden"), _("no data")
    assert_page_ok(at, "preview")
    preview = at.dataframe[0].value
    assert hidden != no_data
    assert preview["hidden"].any()
    assert (preview.loc[preview["hidden"], "value"] == hidden).all()
    assert not (preview.loc[~preview["hidden"], "value"] == hidden).any()
    legend = " ".join(str(c.value) for c in at.caption)
    assert hidden in legend and no_data in legend
    assert "Was ein Zuwendungsgeber erhält" in [s.value for s in at.subheader]


def test_the_programme_page_says_what_each_field_means_in_the_readers_language(
    db: Path,
) -> None:
    """The completeness table's meanings are the reader's words (``FIELD_MEANINGS``), not the
    data format's English notes, and its columns up to the meaning fit a 1280-pixel screen."""
    at = _run("programme", MANAGER, "de")
    (frame,) = [f for f in at.dataframe if "meaning" in f.value.columns]
    with using("de"):
        german = {_(m) for m in programme_view.FIELD_MEANINGS.values()}
    meanings = set(frame.value["meaning"])
    assert meanings and meanings <= german, meanings - german
    config = _columns(frame)
    order = list(frame.proto.column_order)
    widths = [config[c]["width"] for c in order[: order.index("meaning") + 1]]
    assert all(isinstance(w, int) for w in widths) and sum(widths) <= SCREEN, widths
