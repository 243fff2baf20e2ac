"""Returns: signed aggregate returns from a CSO's store, and a funder's store built only from them.

Real stores throughout: the sender is the oracle package ingested and approved (two releases:
the second one newer data of one programme), its returns written as real files; every funder
is a fresh store that trusted the sender's real public key file. Refusals are checked with
real damaged files, and "changes nothing" by the store's fingerprint and audit rows.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import ORACLE, approve_releases
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evaluation.cli import main
from evaluation.intake.ingest import ingest
from evaluation.measures.engine.request import IndicatorRequest
from evaluation.periods import Period, parse_periods
from evaluation.sharing.releases import approve
from evaluation.sharing.releases.model import NotReleased
from evaluation.sharing.releases.read import released
from evaluation.sharing.returns import (
    ReturnContent,
    ReturnError,
    build_return,
    content_hash,
    export_public_key,
    export_return,
    import_return,
    read_public_key,
    returned_names,
    sign,
    trust,
    trusted_keys,
    write_return,
)
from evaluation.sharing.returns.content import canonical_bytes, from_object, to_object
from evaluation.sharing.returns.files import parse_signed, read_return
from evaluation.sharing.returns.keys import fingerprint, key_path, keys_dir, signing_key
from evaluation.sharing.returns.workbook import FIGURE_HEADER, FIGURES, HIDDEN_NOTE, SIGNED
from evaluation.store.database import Store
from evaluation.store.users import OPERATOR

pytestmark = pytest.mark.slow

Q1, Q2 = parse_periods("2025-Q1,2025-Q2")
PROGRAMMES = ["P-A", "P-B", "P-C", "P-D"]


@dataclass
class Sender:
    store: Store
    organisation: str
    folder: Path
    key_file: Path
    first_xlsx: Path
    """Release 1: every programme, 2025 Q1 and Q2."""
    first_json: Path
    small_xlsx: Path
    """Release 1, P-C in 2025 Q2 only: the file the refusals damage."""
    small_json: Path
    second_json: Path
    """Release 2: P-B in 2025 Q1 with newer data (approved after release 1)."""


@pytest.fixture(scope="module")
def sender(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sender]:
    folder = tmp_path_factory.mktemp("sender")
    store = Store.open(folder / "sender.duckdb")
    assert ingest(ORACLE, store).status == "loaded"
    approve_releases(store, "2025-Q1,2025-Q2")
    org = store.cursor().execute("SELECT organisation FROM submissions").fetchall()[0][0]
    key_file = folder / "public-key.json"
    export_public_key(store, org, key_file)
    paths = {}
    for name, progs, periods in (
        ("first.xlsx", PROGRAMMES, [Q1, Q2]),
        ("first.json", PROGRAMMES, [Q1, Q2]),
        ("small.xlsx", ["P-C"], [Q2]),
        ("small.json", ["P-C"], [Q2]),
    ):
        paths[name] = export_return(store, progs, periods, folder / name, actor="cli").path
    newer = folder / "newer"
    shutil.copytree(ORACLE, newer)
    about = (newer / "about.csv").read_text(encoding="utf-8")
    (newer / "about.csv").write_text(about.replace("2025-06-30", "2025-07-15"), encoding="utf-8")
    assert ingest(newer, store).status == "loaded"
    approve(store, ["P-B"], [Q1], actor=OPERATOR, note="newer data")
    second = export_return(store, ["P-B"], [Q1], folder / "second.json", actor="cli").path
    yield Sender(
        store,
        org,
        folder,
        key_file,
        paths["first.xlsx"],
        paths["first.json"],
        paths["small.xlsx"],
        paths["small.json"],
        second,
    )
    store.close()


FunderFactory = Callable[..., Store]


@pytest.fixture
def funder(tmp_path: Path, sender: Sender) -> Iterator[FunderFactory]:
    """A fresh funder's store (no submissions, no cases) that trusted the sender's key."""
    opened: list[Store] = []

    def make(trusting: bool = True) -> Store:
        s = Store.open(tmp_path / f"funder{len(opened)}.duckdb")
        opened.append(s)
        if trusting:
            assert trust(s, sender.key_file, actor="cli").status == "trusted"
        return s

    yield make
    for s in opened:
        s.close()


def state(store: Store) -> tuple[dict[str, tuple[int, int]], int]:
    """Every table's count and hash, and the number of audit rows: what "changes nothing"
    compares."""
    audit = store.cursor().execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    return store.fingerprint(), int(audit)


def refused(store: Store, path: Path, reason: str) -> str:
    before = state(store)
    with pytest.raises(ReturnError) as err:
        import_return(store, path, actor="cli")
    assert err.value.reason == reason, str(err.value)
    assert state(store) == before
    message = str(err.value)
    assert message.endswith(".") and "nothing was imported" in message
    assert "Traceback" not in message
    return message


def shared(store: Store, split: tuple[str, ...] = ()) -> pd.DataFrame:
    request = IndicatorRequest(periods=(Q1, Q2), split_by=split, programmes=tuple(PROGRAMMES))
    return released(store, request)


# -- the round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_a_funder_store_built_from_returns_shows_the_senders_shared_figures(
    sender: Sender, funder: FunderFactory, order: str
) -> None:
    f = funder()
    files = [sender.first_xlsx, sender.second_json]
    if order == "newest first":
        files.reverse()
    for path in files:
        result = import_return(f, path, actor="cli")
        assert result.status in ("imported", "superseded older"), result.sentence()
    assert f.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(0,)]
    assert f.cursor().execute("SELECT count(*) FROM cases").fetchall() == [(0,)]
    origin = dict(f.cursor().execute("SELECT number, origin_number FROM releases").fetchall())
    for split in ((), ("gender",), ("age_band",)):
        mine, theirs = shared(sender.store, split), shared(f, split)
        assert len(mine) > 0 and len(mine) == len(theirs)
        cols = [c for c in mine.columns if c != "release"]
        pd.testing.assert_frame_equal(mine[cols], theirs[cols], check_dtype=False)
        # the same release served each figure: the funder's local number maps to the sender's
        assert list(theirs["release"].map(origin)) == list(mine["release"])
        hidden = theirs[theirs["suppressed"]]
        assert len(hidden) > 0 and hidden["value"].isna().all()
        assert hidden["numerator"].isna().all() and hidden["completeness"].isna().all()
    # P-B's 2025 Q1 comes from the newer release, the rest from the first
    assert set(mine.loc[mine["programme_id"] == "P-B", "release"]) == {1, 2}
    names = returned_names(f.cursor())
    assert names["P-A"] == "Programme A with every table (fictional)"


def test_hidden_cells_never_carry_their_true_figures_in_a_return(sender: Sender) -> None:
    content = build_return(sender.store, PROGRAMMES, [Q2], exported_by="cli")
    hidden = [r for r in content.rows if r["suppressed"]]
    assert hidden
    for r in hidden:
        assert all(r[c] is None for c in ("numerator", "denominator", "value", "ci_low"))
        if r["split_column"]:
            assert r["range_low"] is None
    true = sender.store.cursor().execute(
        "SELECT count(*) FROM release_cells WHERE release = 1 AND suppressed "
        "AND numerator IS NOT NULL AND period_start = ?",
        [Q2.start],
    )
    assert true.fetchall()[0][0] > 0  # the sender's own table keeps them; the return does not


def test_the_same_return_twice_changes_nothing_and_says_so(
    sender: Sender, funder: FunderFactory
) -> None:
    f = funder()
    first = import_return(f, sender.small_xlsx, actor="cli")
    assert first.status == "imported"
    before = state(f)
    for path in (sender.small_xlsx, sender.small_json):
        again = import_return(f, path, actor="cli")
        assert again.status == "already imported" and again.release == first.release
        assert "nothing was changed" in again.sentence()
    assert state(f) == before


def test_a_newer_release_supersedes_the_older_and_both_stay_on_record(
    sender: Sender, funder: FunderFactory
) -> None:
    f = funder()
    older = import_return(f, sender.first_json, actor="cli")
    newer = import_return(f, sender.second_json, actor="cli")
    assert newer.status == "superseded older" and newer.superseded == (older.release,)
    assert "stays on record" in newer.sentence()
    rows = (
        f.cursor()
        .execute("SELECT number, origin_number, status, source FROM releases ORDER BY number")
        .fetchall()
    )
    assert rows == [(1, 1, "active", "return"), (2, 2, "active", "return")]
    frame = released(f, IndicatorRequest(periods=(Q1,), programmes=("P-B", "P-A")))
    assert set(frame.loc[frame["programme_id"] == "P-B", "release"]) == {2}
    assert set(frame.loc[frame["programme_id"] == "P-A", "release"]) == {1}
    audit = (
        f.cursor()
        .execute("SELECT count(*) FROM audit_log WHERE action = 'import_return'")
        .fetchall()
    )
    assert audit == [(2,)]


# -- export refusals --------------------------------------------------------------------------


def test_export_refuses_what_is_not_released_naming_it_and_who_can_approve(
    sender: Sender, tmp_path: Path
) -> None:
    (q3,) = parse_periods("2025-Q3")
    with pytest.raises(NotReleased, match=r"No approved release covers P-A.*2025 Q3.*approve"):
        export_return(sender.store, ["P-A"], [q3], tmp_path / "r.json", actor="cli")
    with pytest.raises(
        ReturnError,
        match="release 1 holds P-A, P-C, P-D for 2025 Q1; release 2 holds P-B for 2025 Q1",
    ):
        export_return(sender.store, PROGRAMMES, [Q1], tmp_path / "r.json", actor="cli")
    with pytest.raises(ReturnError, match="no programme P-Z"):
        export_return(sender.store, ["P-Z"], [Q1], tmp_path / "r.json", actor="cli")
    assert not list(tmp_path.iterdir())


# -- import refusals --------------------------------------------------------------------------


def _edit_workbook(src: Path, dst: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def test_a_figure_changed_in_the_readable_sheet_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[FIGURES]
        for row in ws.iter_rows(min_row=2):
            for cell in row[10:13]:  # value, numerator, denominator
                if isinstance(cell.value, int | float):
                    cell.value += 1
                    return
        raise AssertionError("no figure to change")

    path = _edit_workbook(sender.small_xlsx, tmp_path / "edited.xlsx", change)
    message = refused(funder(), path, "tampered")
    assert 'sheet "Figures"' in message


def test_a_figure_changed_in_the_signed_content_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[SIGNED]
        for row in ws.iter_rows():
            if str(row[0].value).startswith("Content part "):
                text = row[1].value
                found = re.search(r'"denominator":(\d)', text)
                assert found is not None
                at = found.start(1)
                row[1].value = text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1 :]
                return

    path = _edit_workbook(sender.small_xlsx, tmp_path / "edited.xlsx", change)
    message = refused(funder(), path, "tampered")
    assert "signature does not match" in message


def test_a_figure_changed_in_the_json_form_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    obj = json.loads(sender.small_json.read_text())
    row = next(r for r in obj["content"]["rows"] if r["denominator"])
    row["denominator"] += 1
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(obj, indent=1))
    refused(funder(), path, "tampered")


def test_truncated_files_are_refused(sender: Sender, funder: FunderFactory, tmp_path: Path) -> None:
    f = funder()
    for src in (sender.small_xlsx, sender.small_json):
        raw = src.read_bytes()
        cut = tmp_path / f"cut{src.suffix}"
        cut.write_bytes(raw[: len(raw) * 2 // 3])
        assert "cut off" in refused(f, cut, "truncated")


def test_unsigned_returns_are_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    f = funder()
    obj = json.loads(sender.small_json.read_text())
    del obj["signature"]
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(obj))
    refused(f, path, "unsigned")

    def clear(wb: openpyxl.Workbook) -> None:
        for row in wb[SIGNED].iter_rows():
            if row[0].value == "Signature":
                row[1].value = None

    refused(f, _edit_workbook(sender.small_xlsx, tmp_path / "u.xlsx", clear), "unsigned")


def test_a_return_signed_with_a_key_the_funder_does_not_trust_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    # the genuine return, but the funder never trusted the key
    assert "does not trust" in refused(funder(trusting=False), sender.small_json, "unknown key")
    # the same content signed by somebody else's key
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="mallory")
    forged = tmp_path / "forged.json"
    write_return(sign(content, Ed25519PrivateKey.generate()), forged)
    refused(funder(), forged, "unknown key")


def test_a_return_made_under_another_catalogue_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="cli")
    other = ReturnContent(
        provenance={**content.provenance, "catalogue_version": "0" * 64}, rows=content.rows
    )
    path = tmp_path / "other-catalogue.json"
    write_return(sign(other, signing_key(sender.store, sender.organisation)), path)
    message = refused(funder(), path, "wrong catalogue")
    assert "catalogue version 0000000000" in message


def _without(sheet: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        wb.remove(wb[sheet])

    return edit


def test_malformed_files_are_refused(sender: Sender, funder: FunderFactory, tmp_path: Path) -> None:
    f = funder()
    text = tmp_path / "notes.xlsx"
    text.write_text("figures for the funder\n")
    assert "not a workbook" in refused(f, text, "malformed")
    other_zip = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("cases.csv", "case_ref\nC-1\n")
    refused(f, other_zip, "malformed")
    for sheet in (FIGURES, SIGNED):
        path = _edit_workbook(
            sender.small_xlsx,
            tmp_path / f"without-{sheet[:3]}.xlsx",
            _without(sheet),
        )
        assert f'no sheet "{sheet}"' in refused(f, path, "malformed")
    bad = tmp_path / "bad.json"
    bad.write_text('{"content": {"provenance": 1}, oops}')
    refused(f, bad, "malformed")
    empty = tmp_path / "empty.json"
    empty.write_text("")
    refused(f, empty, "truncated")


def test_a_signed_content_of_the_wrong_shape_is_refused(sender: Sender) -> None:
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="cli")
    obj = to_object(content)
    assert from_object(json.loads(json.dumps(obj))) == content
    broken = json.loads(json.dumps(obj))
    broken["rows"][0]["suppressed"] = "yes"
    with pytest.raises(ReturnError, match="does not say whether it is hidden"):
        from_object(broken)
    hidden = json.loads(json.dumps(obj))
    row = next(r for r in hidden["rows"] if r["suppressed"])
    row["numerator"] = 3.0
    with pytest.raises(ReturnError, match="hidden but carries figures"):
        from_object(hidden)


# -- the workbook a funder reads ------------------------------------------------------------


def test_the_workbook_is_readable_without_the_platform(sender: Sender) -> None:
    wb = openpyxl.load_workbook(sender.first_xlsx)
    assert wb.sheetnames[:2] == [FIGURES, "Provenance"]
    assert wb[SIGNED].sheet_state == "veryHidden"
    ws = wb[FIGURES]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == FIGURE_HEADER
    content = parse_signed(read_return(sender.first_xlsx)[0])
    assert len(rows) - 1 == len(content.rows) > 1000
    body = pd.DataFrame(rows[1:], columns=FIGURE_HEADER)
    assert set(body["Programme"]) >= {"Programme A with every table (fictional)"}
    assert set(body["Period"]) == {"2025 Q1", "2025 Q2"}
    hidden = body[body["Note"] == HIDDEN_NOTE]
    assert len(hidden) == sum(r["suppressed"] for r in content.rows)
    assert hidden["Value"].isna().all() and hidden["Numerator"].isna().all()
    shown = body[(body["Note"] != HIDDEN_NOTE) & body["Value"].notna()]
    assert len(shown) > 0
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r and r[0]}
    assert prov["Return of"] == sender.organisation and prov["Release"] == 1
    assert prov["Approved by"].startswith("cli")
    assert len(prov["Catalogue version"]) == 64
    sig = json.loads(sender.first_json.read_text())["signature"]
    assert prov["Signed with key (fingerprint)"] == sig["fingerprint"]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)"])
def test_formula_looking_names_stay_inert_text(
    sender: Sender, funder: FunderFactory, tmp_path: Path, name: str
) -> None:
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="cli")
    prov = dict(content.provenance)
    prov["programmes"] = [{**p, "name": name} for p in prov["programmes"]]
    renamed = replace(content, provenance=prov)
    path = tmp_path / "formula.xlsx"
    write_return(sign(renamed, signing_key(sender.store, sender.organisation)), path)
    ws = openpyxl.load_workbook(path)[FIGURES]
    cell = ws.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value == name
    with zipfile.ZipFile(path) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")
    f = funder()
    import_return(f, path, actor="cli")
    assert returned_names(f.cursor())["P-C"] == name


# -- keys -----------------------------------------------------------------------------------


def _private_forms(key_file: Path) -> list[bytes]:
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem_body = b"".join(key_file.read_bytes().splitlines()[1:-1])
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw), pem_body]


def test_the_private_key_stays_beside_the_store_and_never_travels(
    sender: Sender, funder: FunderFactory
) -> None:
    path = key_path(sender.store.path, sender.organisation)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir(sender.store.path).stat().st_mode) == 0o700
    forms = _private_forms(path)
    f = funder()
    import_return(f, sender.first_xlsx, actor="cli")
    sender.store.cursor().execute("CHECKPOINT")
    f.cursor().execute("CHECKPOINT")
    blobs = [sender.store.path.read_bytes(), f.path.read_bytes(), sender.key_file.read_bytes()]
    blobs += [sender.first_json.read_bytes(), sender.second_json.read_bytes()]
    with zipfile.ZipFile(sender.first_xlsx) as zf:
        blobs += [zf.read(n) for n in zf.namelist()]
    for blob in blobs:
        for form in forms:
            assert form not in blob


def test_keys_are_trusted_once_and_a_second_key_is_added_beside(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    f = funder()
    before = state(f)
    again = trust(f, sender.key_file, actor="cli")
    assert again.status == "already trusted" and "nothing was changed" in again.sentence()
    assert state(f) == before
    other = tmp_path / "moved-store"
    other.mkdir()
    with Store.open(other / "s.duckdb") as moved:
        assert ingest(ORACLE, moved).status == "loaded"
        new_key = export_public_key(moved, sender.organisation, other / "key.json")
    added = trust(f, other / "key.json", actor="cli")
    assert added.status == "added beside" and added.others == (
        read_public_key(sender.key_file).fingerprint,
    )
    assert "already had 1 trusted key" in added.sentence()
    assert {k.fingerprint for k in trusted_keys(f, sender.organisation)} == {
        new_key.fingerprint,
        added.others[0],
    }


def test_a_key_file_that_was_edited_is_refused(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    f = funder(trusting=False)
    obj = json.loads(sender.key_file.read_text())
    obj["organisation"] = "Someone else"
    obj["public_key"] = base64.b64encode(b"\1" * 32).decode()
    edited = tmp_path / "key.json"
    edited.write_text(json.dumps(obj))
    before = state(f)
    with pytest.raises(ReturnError, match="fingerprint does not match"):
        trust(f, edited, actor="cli")
    assert state(f) == before


def test_fingerprints_are_five_groups_of_eight_hex_digits(sender: Sender) -> None:
    key = read_public_key(sender.key_file)
    groups = key.fingerprint.split(" ")
    assert len(groups) == 5 and all(len(g) == 8 and g == g.upper() for g in groups)
    assert key.fingerprint == fingerprint(key.raw)
    assert json.loads(sender.key_file.read_text())["organisation"] == sender.organisation


def test_canonical_bytes_do_not_depend_on_the_order_rows_arrive_in(sender: Sender) -> None:
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="cli")
    shuffled = to_object(content)
    shuffled["rows"] = list(reversed(shuffled["rows"]))
    with pytest.raises(ReturnError, match="not in order"):
        from_object(shuffled)
    assert content_hash(content) == content_hash(from_object(json.loads(canonical_bytes(content))))


# -- the command line -----------------------------------------------------------------------


def test_the_command_line_exchange(
    sender: Sender, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(sender.store.path)
    funder_db = str(tmp_path / "funder.duckdb")
    key = tmp_path / "key.json"
    out = tmp_path / "return.json"
    # the sender's store is open in this process: the CLI shares its connection settings
    assert (
        main(
            ["keys", "export", "--db", db, "--organisation", sender.organisation, "--out", str(key)]
        )
        == 0
    )
    fp = capsys.readouterr().out.strip()
    assert fp == read_public_key(sender.key_file).fingerprint
    assert main(["keys", "export", "--db", db, "--organisation", "Nobody", "--out", str(key)]) == 1
    assert "holds no organisation called 'Nobody'" in capsys.readouterr().err
    assert (
        main(
            [
                "export-return",
                "--db",
                db,
                "--programme",
                "P-C",
                "--period",
                "2025-Q2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "Wrote return.json" in capsys.readouterr().out
    assert main(["import-return", "--db", funder_db, str(out)]) == 1
    assert "does not trust" in capsys.readouterr().err
    assert main(["keys", "trust", "--db", funder_db, str(key)]) == 0
    assert fp in capsys.readouterr().out
    assert main(["import-return", "--db", funder_db, str(out)]) == 0
    assert "Imported the return of" in capsys.readouterr().out
    assert main(["import-return", "--db", funder_db, str(out)]) == 0
    assert "nothing was changed" in capsys.readouterr().out
    assert main(["keys", "list", "--db", funder_db]) == 0
    listing = capsys.readouterr().out
    assert "trusted\t" + sender.organisation in listing and fp in listing


def test_periods_of_a_return_keep_their_kind(sender: Sender) -> None:
    content = build_return(sender.store, ["P-C"], [Q2], exported_by="cli")
    assert content.periods == (Period(Q2.start, Q2.end, "quarter"),)
    assert content.label.startswith(sender.organisation + ", release 1")


def test_an_adx_return_is_written_from_the_same_content_but_not_imported(
    sender: Sender, funder: FunderFactory, tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    path = export_return(sender.store, ["P-C"], [Q2], tmp_path / "return.xml", actor="cli").path
    root = ET.parse(path).getroot()
    assert root.tag.endswith("adx")
    assert "carry no signature" in refused(funder(), path, "unsigned")
