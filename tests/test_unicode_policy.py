"""The Unicode policy of names and identifiers (``evaluation.store.names``) and where it applies.

Properties (hypothesis): a name with any invisible or text-direction character inserted anywhere
is refused, with a sentence that names where and which character but never the name; names that
are NFKC-equivalent (composed or decomposed accents, full-width letters, ligatures) become one
identifier; clean names pass unchanged but for NFKC; the SQL function of staging folds exactly as
Python does. Then the call sites, with real packages, stores and the command line: a package
whose organisation name holds a zero-width space is refused naming table, column and row, and
loads nothing; a decomposed or full-width spelling of an organisation loads under the same name;
a package whose organisation or programme name looks like one on record (a Cyrillic "а") is
checked and loaded with a warning that quotes the name on record, and the same or a different
name gets none; user names and scope entries follow the same policy, with warnings for
look-alikes; names stored before the policy show their hidden characters in the scope picker.
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from evaluation.errors import PackageRefused
from evaluation.intake.ingest import check_package, ingest
from evaluation.intake.problems import Problem, ValidationReport
from evaluation.store import names, users
from evaluation.store.database import Store
from tests.conftest import PackageBuilder, assert_page_ok

ROOT = Path(__file__).resolve().parents[1]
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
PASSWORD = "correct horse battery"

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark inside the text
    "\u00ad",  # soft hyphen
    "\u061c",  # Arabic letter mark
    *(chr(c) for c in range(0x202A, 0x202F)),  # embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # isolates
    "\x00",
    "\x1b",
    "\x7f",
    "\n",
    "\t",
    "\u0085",
    "\u2028",
    "\u2029",
    "\U000e0041",  # tag latin capital letter A
]
"""Characters the policy must refuse (the issue's list and the rest of Cf/Cc/Zl/Zp)."""

allowed_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cf", "Cc", "Cs", "Zl", "Zp")), max_size=40
)
"""Any text without a forbidden character (letters of every script, marks, symbols, spaces)."""


# -- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_invisible_and_bidirectional_character_is_forbidden(char: str) -> None:
    assert names.is_forbidden(char)
    assert names.forbidden(f"Org{char}anisation") == [names.forbidden(char)[0]]
    assert names.forbidden(char)[0].startswith(f"U+{ord(char):04X} ")


def test_a_tab_is_allowed_only_where_the_caller_says_so() -> None:
    assert names.forbidden("a\tb") == ["U+0009 CONTROL CHARACTER"]
    assert names.forbidden("a\tb", allow_tab=True) == []


@settings(max_examples=300, deadline=None)
@given(text=allowed_text, char=st.sampled_from(INVISIBLE), data=st.data())
def test_any_name_with_an_inserted_invisible_character_is_refused_without_echoing_it(
    text: str, char: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(text)), label="position")
    spoofed = text[:at] + char + text[at:]
    with pytest.raises(names.NameRefused) as caught:
        names.clean(spoofed, "The organisation name in row 2 of the about table")
    message = str(caught.value)
    # the sentence depends on where and which character only: never on the name itself
    with pytest.raises(names.NameRefused) as alone:
        names.clean(char, "The organisation name in row 2 of the about table")
    assert message == str(alone.value)
    assert message.startswith("The organisation name in row 2 of the about table contains")
    assert f"U+{ord(char):04X}" in message and "Nothing was changed." in message


@settings(max_examples=300, deadline=None)
@given(text=allowed_text)
def test_nfkc_equivalent_names_become_one_identifier(text: str) -> None:
    one = names.clean(text, "x")
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert names.clean(unicodedata.normalize(form, text), "x") == one, form
    assert one == unicodedata.normalize("NFKC", text).strip()
    assert names.clean(one, "x") == one  # idempotent
    assert names.forbidden(one) == []  # folding never brings in a forbidden character


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
"""Each printable ASCII character → its full-width form (U+FF01–U+FF5E)."""


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(sorted(FULL_WIDTH)), min_size=1, max_size=30))
def test_a_name_typed_in_full_width_letters_is_the_same_name(text: str) -> None:
    wide = "".join(FULL_WIDTH[ch] for ch in text)
    assert wide != text
    assert names.clean(wide, "x") == names.clean(text, "x") == text


def test_the_spellings_a_person_reads_as_one_name_are_one_name() -> None:
    assert "u\u0308" != "\u00fc"
    assert names.clean("Bru\u0308ckenbau", "x") == names.clean("Br\u00fcckenbau", "x")
    assert names.clean("\uff25\uff58\uff49\uff54", "x") == "Exit"  # full-width Ｅｘｉｔ
    assert names.clean("\ufb01nance", "x") == "finance"  # the ligature ﬁ
    assert names.clean("\u3000Exit\u3000", "x") == "Exit"  # ideographic spaces around it
    assert names.clean("Exit", "x") == "Exit"  # case and the rest as typed


def test_sql_folds_exactly_as_python_does() -> None:
    """Staging folds in SQL (Arrow's utf8_normalize), accounts in Python (``unicodedata``): on
    every assigned character of Python's Unicode version the two agree."""
    chars = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"
    ]
    assert len(chars) > 280_000
    folded = pc.utf8_normalize(pa.array(chars), "NFKC").to_pylist()
    pairs = zip(chars, folded, strict=True)
    assert [f"U+{ord(c):04X}" for c, f in pairs if names.normalise(c) != f] == []
    conn = duckdb.connect()
    names.register_sql(conn)
    names.register_sql(conn.cursor())  # once per database: a second cursor finds it there
    got = conn.cursor().execute(
        f"SELECT {names.SQL_NORMALISE}(v) FROM (VALUES ('Ｅｘｉｔ ﬁ'), (NULL)) t(v)"
    )
    assert got.fetchall() == [("Exit fi",), (None,)]


# -- look-alikes ---------------------------------------------------------------------------------


def test_skeletons_join_look_alike_spellings_only() -> None:
    latin = "Brückenbau Exit"
    cyrillic = latin.replace("a", "\u0430")  # CYRILLIC SMALL LETTER A
    assert cyrillic != latin
    assert names.skeleton(cyrillic) == names.skeleton(latin)
    assert names.skeleton("Modern") == names.skeleton("Modem")  # rn and m
    assert names.skeleton("Brückenbau") != names.skeleton("Bruckenbau")  # ü is not u
    assert names.look_alikes(cyrillic, [latin, "Other Exit", cyrillic]) == [latin]
    assert names.look_alikes(latin, [latin]) == []  # equal is not a look-alike
    assert names.look_alikes(latin, ["BRÜCKENBAU EXIT"]) == ["BRÜCKENBAU EXIT"]  # by case
    assert names.look_alikes("Iabc", ["labc"]) == ["labc"]  # capital I and small l, as written
    assert names.look_alikes(latin, ["Brückenbau Exit 2", "Bridge Exit"]) == []
    assert names.look_alikes("", [latin]) == []


@settings(max_examples=200, deadline=None)
@given(text=allowed_text, data=st.data())
def test_a_name_with_one_letter_swapped_for_its_cyrillic_twin_looks_alike(
    text: str, data: st.DataObject
) -> None:
    twins = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}
    at = data.draw(st.integers(min_value=0, max_value=len(text)), label="position")
    latin = data.draw(st.sampled_from(sorted(twins)), label="letter")
    name = text[:at] + latin + text[at:]
    spoofed = text[:at] + twins[latin] + text[at:]
    assert names.look_alikes(spoofed, [name]) == [name]
    assert names.skeleton(names.skeleton(name)) == names.skeleton(name)  # a key: a fixed point


def test_shown_makes_hidden_characters_visible() -> None:
    assert names.shown("Acme\u200b Ltd") == "Acme⟨U+200B⟩ Ltd"
    assert names.shown("Acme Ltd") == "Acme Ltd"


# -- packages ----------------------------------------------------------------------------------


def _with_organisation(builder: PackageBuilder, organisation: str) -> Path:
    builder.tables["about"] = [
        row if row["key"] != "organisation" else {"key": "organisation", "value": organisation}
        for row in builder.tables["about"]
    ]
    return builder.write("zip")


@pytest.mark.slow
def test_a_package_with_a_zero_width_space_in_its_organisation_is_refused(
    package_factory: Callable[[], PackageBuilder], store: Store, minimal_dir: Path
) -> None:
    ingest(minimal_dir, store, actor="test")
    before = store.fingerprint()
    spoofed = ORGANISATION.replace("Exit", "Ex\u200bit")
    path = _with_organisation(package_factory(), spoofed)

    with pytest.raises(PackageRefused) as refused:
        ingest(path, store, actor="test")
    assert store.fingerprint() == before  # nothing loaded
    assert {s.organisation for s in store.submissions()} == {ORGANISATION}
    report = refused.value.report
    assert isinstance(report, ValidationReport)
    found = [p for p in report.problems if p.rule == "invisible_character"]
    assert len(found) == 1
    problem = found[0]
    assert (problem.table, problem.column, problem.rows, problem.severity) == (
        "about",
        "value",
        (2,),
        "error",
    )
    sentence = problem.sentence()
    assert sentence.startswith("table `about`, column `value`, row 2: has values with an")
    assert "U+200B ZERO WIDTH SPACE" in sentence
    assert spoofed not in sentence and "Brückenbau" not in sentence


def test_a_programme_name_with_a_direction_override_is_refused(
    package_factory: Callable[[], PackageBuilder],
) -> None:
    builder = package_factory()
    builder.tables["programmes"][1]["programme_name"] = "Inside \u202eOut"
    report = check_package(builder.write("zip"))
    found = [p for p in report.problems if p.rule == "invisible_character"]
    assert [(p.table, p.column, p.rows) for p in found] == [("programmes", "programme_name", (3,))]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in found[0].message
    assert not report.ok


@pytest.mark.slow
@pytest.mark.parametrize(
    "spelling",
    [
        unicodedata.normalize("NFD", ORGANISATION),
        ORGANISATION.replace("Exit", "\uff25\uff58\uff49\uff54"),  # full-width Ｅｘｉｔ
    ],
    ids=["decomposed", "full-width"],
)
def test_another_spelling_of_an_organisation_loads_as_the_same_organisation(
    package_factory: Callable[[], PackageBuilder], store: Store, minimal_dir: Path, spelling: str
) -> None:
    ingest(minimal_dir, store, actor="test")
    assert spelling != ORGANISATION
    builder = package_factory()
    builder.tables["programmes"][0]["programme_name"] = "Open Door Exit (fictional), renamed"
    result = ingest(_with_organisation(builder, spelling), store, actor="test")
    assert result.status == "loaded", result.sentence()
    assert result.organisation == ORGANISATION
    assert not result.report.warnings  # the same name: nothing looks alike
    assert {s.organisation for s in store.submissions()} == {ORGANISATION}
    stored = store.cursor().execute("SELECT DISTINCT organisation FROM current_submission")
    assert stored.fetchall() == [(ORGANISATION,)]


# -- look-alikes of names on record --------------------------------------------------------------

LOOK_ALIKE = ORGANISATION.replace("bau", "b\u0430u")  # a Cyrillic а in Brückenbau
"""The minimal package's organisation with a Cyrillic "а" (U+0430): reads the same, is not."""


def _new_programmes(builder: PackageBuilder, suffix: str = "-2") -> PackageBuilder:
    """The package with programme ids of its own (so it is about new programmes)."""
    for rows in builder.tables.values():
        for row in rows:
            if row.get("programme_id"):
                row["programme_id"] = f"{row['programme_id']}{suffix}"
    return builder


def _look_alikes(report: ValidationReport) -> list[Problem]:
    return [p for p in report.problems if p.rule == "looks_like_name_on_record"]


@pytest.mark.slow
def test_an_organisation_that_looks_like_one_on_record_is_loaded_with_a_warning(
    package_factory: Callable[[], PackageBuilder], store: Store, minimal_dir: Path
) -> None:
    ingest(minimal_dir, store, actor="test")
    assert LOOK_ALIKE != ORGANISATION
    path = _with_organisation(_new_programmes(package_factory()), LOOK_ALIKE)

    checked = check_package(path, store=store)
    assert checked.ok  # a warning, not an error
    (warning,) = _look_alikes(checked)
    assert (warning.table, warning.column, warning.rows, warning.severity) == (
        "about",
        "value",
        (2,),
        "warning",
    )
    assert warning.sentence() == (
        "table `about`, column `value`, row 2: the organisation name looks like the "
        f"organisation already on record as “{ORGANISATION}”. If it is the same organisation, "
        "use exactly that spelling."
    )

    result = ingest(path, store, actor="test")  # the load says the same, and loads
    assert result.status == "loaded", result.sentence()
    assert [p.sentence() for p in _look_alikes(result.report)] == [warning.sentence()]
    assert {s.organisation for s in store.submissions()} == {ORGANISATION, LOOK_ALIKE}


@pytest.mark.slow
def test_the_same_or_a_different_name_gets_no_look_alike_warning(
    package_factory: Callable[[], PackageBuilder], loaded_store: Store
) -> None:
    same = check_package(_new_programmes(package_factory()).write("zip"), store=loaded_store)
    assert same.ok and _look_alikes(same) == []
    other = _with_organisation(_new_programmes(package_factory()), "Andere Brücke e.V. (fictional)")
    different = check_package(other, store=loaded_store)
    assert different.ok and _look_alikes(different) == []


@pytest.mark.slow
def test_a_programme_name_that_looks_like_one_on_record_gets_a_warning(
    package_factory: Callable[[], PackageBuilder], loaded_store: Store
) -> None:
    builder = _new_programmes(package_factory())
    on_record = builder.tables["programmes"][0]["programme_name"]
    assert on_record == "Open Door Exit (fictional)"
    builder.tables["programmes"][0]["programme_name"] = "\u041epen Door Exit (fictional)"  # О
    report = check_package(builder.write("zip"), store=loaded_store)
    assert report.ok
    (warning,) = _look_alikes(report)  # the other programme's name is the same: no warning
    assert (warning.table, warning.column, warning.rows) == ("programmes", "programme_name", (2,))
    assert f"looks like the programme already on record as “{on_record}”" in warning.message
    assert warning.fix == "if it is the same programme, use exactly that spelling"
    alone = check_package(builder.write("zip"))  # without a store there is nothing to compare
    assert _look_alikes(alone) == []


# -- accounts ----------------------------------------------------------------------------------


def test_user_names_and_scope_entries_follow_the_policy(store: Store, minimal_dir: Path) -> None:
    ingest(minimal_dir, store, actor="test")
    with pytest.raises(users.UserError, match="Scope entry 2 contains an invisible") as caught:
        users.add_user(
            store,
            "mia",
            "cso_manager",
            ["P-CJS", ORGANISATION.replace(" ", "\u200b ", 1)],
            PASSWORD,
            actor=users.OPERATOR,
        )
    assert "Brückenbau" not in str(caught.value) and "Nothing was changed" in str(caught.value)
    with pytest.raises(users.UserError, match="The user name contains an invisible"):
        users.add_user(store, "mi\u200da", "evaluator", (), PASSWORD, actor=users.OPERATOR)
    assert users.list_users(store) == []

    decomposed = unicodedata.normalize("NFD", ORGANISATION)
    mia = users.add_user(store, "mia", "cso_manager", [decomposed], PASSWORD, actor=users.OPERATOR)
    assert mia.scope == (ORGANISATION,)
    assert users.scope_for(mia, store).organisations == frozenset({ORGANISATION})
    assert users.unknown_scope_ids(store, [decomposed]) == []

    wide = ORGANISATION.replace("Exit", "\uff25\uff58\uff49\uff54")  # full-width Ｅｘｉｔ
    same = users.add_user(store, "\uff4d\uff49\uff41", "cso_manager", [wide], actor=users.OPERATOR)
    assert (same.name, same.scope) == ("mia", (ORGANISATION,))  # ｍｉａ is the account mia
    assert [u.name for u in users.list_users(store)] == ["mia"]
    assert users.authenticate(store, "\uff4d\uff49\uff41", PASSWORD) == same
    assert users.look_alike_warnings(store, same) == []


def test_look_alike_user_names_and_scope_entries_get_a_warning(
    store: Store, minimal_dir: Path
) -> None:
    ingest(minimal_dir, store, actor="test")
    users.add_user(store, "mia", "evaluator", ["P-CJS"], PASSWORD, actor=users.OPERATOR)
    programme = "P-\u0421JS"  # a Cyrillic С
    rnia = users.add_user(
        store, "rnia", "evaluator", [LOOK_ALIKE, programme], PASSWORD, actor=users.OPERATOR
    )
    assert rnia.scope == (LOOK_ALIKE, programme)  # a warning refuses nothing
    assert users.look_alike_warnings(store, rnia) == [
        "The user name rnia looks like the name of another account; if both are meant for "
        "the same person, change that account and remove this one.",
        f"The scope entry “{LOOK_ALIKE}” matches nothing on record but looks like the "
        f"organisation on record as “{ORGANISATION}”; if it is meant to be that organisation, "
        "use exactly that spelling.",
        f"The scope entry “{programme}” matches nothing on record but looks like the programme "
        "on record as “P-CJS”; if it is meant to be that programme, use exactly that spelling.",
    ]
    granted = users.scope_for(rnia, store)
    assert ORGANISATION not in (granted.organisations or ()) and not granted.programmes
    lena = users.add_user(
        store,
        "lena",
        "evaluator",
        [ORGANISATION.upper(), "p-open", "Another organisation"],
        PASSWORD,
        actor=users.OPERATOR,
    )
    assert users.look_alike_warnings(store, lena) == []  # equal but for case, or unlike


@pytest.mark.slow
def test_users_add_on_the_command_line_warns_of_a_look_alike(
    tmp_path: Path, minimal_dir: Path
) -> None:
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        ingest(minimal_dir, store, actor="test")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation",
            "users",
            "add",
            "mia",
            "--role",
            "evaluator",
            "--scope",
            LOOK_ALIKE,
            "--password-stdin",
            "--db",
            str(db),
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"warning: The scope entry “{LOOK_ALIKE}” matches nothing on record but looks like the "
        f"organisation on record as “{ORGANISATION}”"
    ) in done.stderr
    assert "Added the user mia" in done.stdout
    with Store.open(db, read_only=True) as store:
        assert [u.scope for u in users.list_users(store)] == [(LOOK_ALIKE,)]


@pytest.mark.slow
def test_the_users_page_warns_of_a_look_alike_scope_entry(
    tmp_path: Path, minimal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        ingest(minimal_dir, store, actor="test")
        users.add_user(store, "admin.test", "admin", (), PASSWORD, actor=users.OPERATOR)
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180).run()
    at.text_input(key="signin_name").input("admin.test")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="signin_submit").click().run()
    at.switch_page("evaluation/app/pages/users.py").run()
    assert_page_ok(at)

    at.text_input(key="user_name").input("mia")
    at.selectbox(key="user_role").set_value("evaluator")
    at.multiselect(key="user_scope").set_value([LOOK_ALIKE])  # typed: not one of the options
    at.text_input(key="user_password").input(PASSWORD)
    at.button(key="user_save").click().run()
    assert_page_ok(at)
    shown = " ".join(str(w.value) for w in at.warning).replace("\\", "")
    assert "Saved the user mia (Evaluator)." in shown
    assert f"looks like the organisation on record as “{ORGANISATION}”" in shown
    with Store.open(db) as store:  # the app has it open in this process: not read-only
        saved = users.get_user(store, "mia")
        assert saved is not None and saved.scope == (LOOK_ALIKE,)  # saved: a warning only


def test_users_add_on_the_command_line_refuses_a_hidden_character(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation",
            "users",
            "add",
            "mia",
            "--role",
            "evaluator",
            "--scope",
            "Acme\u200b Ltd",
            "--password-stdin",
            "--db",
            str(db),
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Scope entry 1 contains an invisible or text-direction character" in done.stderr
    assert "U+200B ZERO WIDTH SPACE" in done.stderr
    assert "Acme" not in done.stderr and "Traceback" not in done.stderr
    with Store.open(db, read_only=True) as store:
        assert users.list_users(store) == []


def test_a_name_stored_before_the_policy_shows_its_hidden_character(
    store: Store, minimal_dir: Path
) -> None:
    ingest(minimal_dir, store, actor="test")
    look_alike = ORGANISATION.replace("Exit", "Ex\u200bit")
    # what a store loaded before this policy may hold: one programme under a look-alike name
    store.cursor().execute(
        "UPDATE current_submission SET organisation = ? WHERE programme_id = 'P-OPEN'",
        [look_alike],
    )
    labels = {o.id: o.label for o in users.scope_options(store) if o.kind == "organisation"}
    assert labels[ORGANISATION] == f"{ORGANISATION} (organisation)"
    assert labels[look_alike] == "Brückenbau Ex⟨U+200B⟩it e.V. (fictional) (organisation)"
    assert len(set(labels.values())) == 2  # the two no longer read the same
