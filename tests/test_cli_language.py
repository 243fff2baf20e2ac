"""The command line in the reader's language: ``--lang``, ``EVALUATION_LANGUAGE``, the locale.

A refusal, a summary, argparse's own words and the help read in German with ``--lang de`` and in
English by default (the locale of servers and CI, ``C.UTF-8``), never with a traceback; the
language of one command does not outlive it. Also ``templates --db`` and the README's promises.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import cli
from evaluation.intake.ingest import ingest
from evaluation.progress import ConsoleProgress
from evaluation.store.database import Store
from evaluation.vocabulary import language

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
LOCALE = ("EVALUATION_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def no_language(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment that names no language (as a fresh server's ``C.UTF-8`` shell)."""
    for name in LOCALE:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], {}, "en"),
        ([], {"LANG": "C.UTF-8"}, "en"),
        ([], {"LANG": "de_DE.UTF-8"}, "de"),
        ([], {"LANG": "de_AT"}, "de"),
        ([], {"LANG": "fr_FR.UTF-8"}, "en"),
        ([], {"LC_ALL": "en_GB.UTF-8", "LANG": "de_DE.UTF-8"}, "en"),
        ([], {"LC_MESSAGES": "de_CH.UTF-8", "LANG": "C"}, "de"),
        ([], {"EVALUATION_LANGUAGE": "de", "LANG": "C.UTF-8"}, "de"),
        (["--lang", "en", "init"], {"EVALUATION_LANGUAGE": "de"}, "en"),
        (["--lang=de", "init"], {}, "de"),
        (["report", "--lang", "de"], {}, "en"),  # the reports' language, not the messages'
    ],
)
def test_the_language_the_command_speaks(
    argv: list[str], env: dict[str, str], expected: str
) -> None:
    assert cli.command_language(argv, env) == expected


def test_a_language_it_does_not_speak_is_refused(
    no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = run(capsys, "--lang", "fr", "init", "--db", str(tmp_path / "s.duckdb"))
    assert code == cli.EXIT_USAGE and "“fr”" in err and "en, de" in err
    no_language.setenv("EVALUATION_LANGUAGE", "klingon")
    code, _out, err = run(capsys, "init", "--db", str(tmp_path / "s.duckdb"))
    assert code == cli.EXIT_USAGE and "EVALUATION_LANGUAGE" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_refusal_and_summary_in_german(
    no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.duckdb"
    code, _out, err = run(capsys, "--lang", "de", "releases", "--db", str(missing))
    assert code == cli.EXIT_REFUSED
    assert f"Unter {missing} gibt es keinen Datenbestand" in err
    assert "There is no store" not in err
    db = tmp_path / "store.duckdb"
    code, out, _err = run(capsys, "--lang", "de", "init", "--db", str(db))
    assert code == cli.EXIT_OK
    assert f"Der Datenbestand {db} ist bereit (Schemaversion" in out
    code, out, _err = run(capsys, "--lang", "de", "releases", "--db", str(db))
    assert code == cli.EXIT_OK and out.strip() == "Es gibt keine Freigaben."
    assert language.current() == "en"  # the command's language ended with it


def test_english_by_default(
    no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    no_language.setenv("LANG", "C.UTF-8")
    missing = tmp_path / "nowhere.duckdb"
    code, _out, err = run(capsys, "releases", "--db", str(missing))
    assert code == cli.EXIT_REFUSED and f"There is no store at {missing}." in err
    code, out, _err = run(capsys, "init", "--db", str(tmp_path / "s.duckdb"))
    assert code == cli.EXIT_OK and "is ready (schema version" in out


def test_the_environment_chooses_and_lang_overrides(
    no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "s.duckdb")
    no_language.setenv("EVALUATION_LANGUAGE", "de")
    assert "ist bereit" in run(capsys, "init", "--db", db)[1]
    assert "is ready" in run(capsys, "--lang", "en", "init", "--db", db)[1]
    no_language.delenv("EVALUATION_LANGUAGE")
    no_language.setenv("LANG", "de_DE.UTF-8")
    assert "ist bereit" in run(capsys, "init", "--db", db)[1]


def test_argparse_speaks_the_language_too(
    no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--lang", "de", "report", "--period", "2025"])
    err = capsys.readouterr().err
    assert done.value.code == cli.EXIT_USAGE
    assert err.startswith("Aufruf: ") and "Fehler: diese Argumente fehlen: --out" in err
    with pytest.raises(SystemExit) as done:
        cli.main(["report", "--period", "2025"])
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and "error: the following arguments are required" in err
    with pytest.raises(SystemExit) as done:
        cli.main(["--lang", "de", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "Evaluationsberichte für die Ausstiegsarbeit" in out and "Optionen:" in out
    assert "einen leeren Datenbestand anlegen" in out
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]  # given back


def test_numbers_and_progress_in_german() -> None:
    stream = io.StringIO()
    with language.using("de"):
        progress = ConsoleProgress(stream)
        progress("Prüfung", 0.5)
    assert stream.getvalue().startswith("[ 50 %") and "s] Prüfung" in stream.getvalue()
    assert ",0s]" in stream.getvalue() or ",1s]" in stream.getvalue()


@pytest.fixture
def loaded_db(tmp_path: Path) -> Path:
    path = tmp_path / "loaded.duckdb"
    with Store.open(path) as store:
        assert ingest(MINIMAL, store).status == "loaded"
    return path


def test_templates_takes_db(
    no_language: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    loaded_db: Path,
) -> None:
    no_language.setenv("EVALUATION_DB", str(tmp_path / "default" / "none.duckdb"))
    code, out, _err = run(capsys, "templates")  # no store anywhere: the templates alone
    assert code == cli.EXIT_OK and "municipality-quarterly" in out
    assert "newest period" not in out
    code, out, _err = run(capsys, "templates", "--db", str(loaded_db))
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == cli.EXIT_OK
    assert lines["municipality-quarterly"].endswith("newest period: 2025-Q2")
    assert lines["eu-interim"].endswith("newest period: 2025-H1")
    assert lines["ministry-annual"].endswith("newest period: FY2024-04")
    code, out, _err = run(capsys, "--lang", "de", "templates", "--db", str(loaded_db))
    assert "Kalenderquartale" in out and "neuester Zeitraum: 2025-Q2" in out
    empty = tmp_path / "empty.duckdb"
    run(capsys, "init", "--db", str(empty))
    code, out, err = run(capsys, "templates", "--db", str(empty))
    assert code == cli.EXIT_OK and "newest period: –" in out and "no programme data" in err
    missing = tmp_path / "missing.duckdb"
    code, out, err = run(capsys, "templates", "--db", str(missing))
    assert code == cli.EXIT_REFUSED and f"There is no store at {missing}" in err and not out


def test_a_real_command_in_german(tmp_path: Path) -> None:
    """As a person runs it: ``EVALUATION_LANGUAGE=de python -m evaluation …``."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE}
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "backup", "--out", str(tmp_path / "b.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "EVALUATION_LANGUAGE": "de", "EVALUATION_DB": str(tmp_path / "x.duckdb")},
        timeout=120,
    )
    assert done.returncode == cli.EXIT_REFUSED, done.stderr
    assert "gibt es keinen Datenbestand" in done.stderr and "Traceback" not in done.stderr


def test_readme_and_docs_keep_their_promises() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "http://localhost:8501" in readme  # the port the dashboard opens on
    assert "--seed 7" not in readme  # the default is not an example
    assert "templates [--db PATH]" in readme and "--lang de" in readme
    texts = [readme, *(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))]
    for text in texts:
        assert "coming release" not in text.lower()
        assert "shared/spec" not in text  # the contracts are in docs/spec/
    for name in ("cli.md", "data-format.md", "indicators-v1.md", "releases.md"):
        assert (ROOT / "docs" / "spec" / name).is_file()
