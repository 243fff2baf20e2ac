"""Keep the translation catalogues in step with the code.

Run ``python -m evaluation.vocabulary.catalogues``. Every text a person reads is marked in the
code (``_``, ``n_``, ``N_``: see ``evaluation.vocabulary.language``) or declared in the
indicator catalogue and the report templates (YAML). This module collects them by *area*, one PO
file per area and language (``locale/de/dashboard.po``, ``locale/de/reports.po``, …), so
translators (and people changing different parts of the platform) each work in their own file:

* a new text is added to its area's file, untranslated;
* a translated text keeps its translation, even when it moves to another area;
* a text no longer in the sources is dropped.

``--check`` changes nothing and exits 1 when a catalogue is not in step or a text lacks its
translation (what ``tests/test_language.py`` asserts); ``--area`` limits the run to some areas;
``--lang xx`` starts the catalogues of a new language (then translate them: done).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from evaluation.vocabulary.language import DEFAULT, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}
"""The marking functions: ``_(text)``, ``n_(singular, plural, n)``, ``N_(text)``."""


@dataclass(frozen=True)
class Area:
    name: str
    python: tuple[str, ...]
    """Python files and folders (relative to the repository), searched for marked texts."""
    yaml: tuple[str, ...] = ()
    """YAML files (globs) whose text fields (``TEXT_FIELDS``) are read as texts."""


_PAGES = "evaluation/app/pages/"
AREAS: tuple[Area, ...] = (
    Area(
        "dashboard",
        (
            "streamlit_app.py",
            *(f"evaluation/app/{m}.py" for m in ("files", "period_picker", "reads", "render")),
            *(f"evaluation/app/{m}.py" for m in ("session", "state", "__init__")),
            *(_PAGES + m for m in ("signin.py", "users.py", "audit.py", "catalogue.py")),
        ),
    ),
    Area(
        "pages-data",
        tuple(
            _PAGES + m
            for m in (
                "upload.py",
                "submissions.py",
                "approvals.py",
                "send.py",
                "upload_return.py",
                "programme.py",
            )
        ),
    ),
    Area(
        "pages-figures",
        (
            *(_PAGES + m for m in ("overview.py", "explorer.py", "comparison.py", "reports.py")),
            *(
                f"evaluation/views/{m}.py"
                for m in ("comparison", "explore", "overview", "programme", "programmes")
            ),
            "evaluation/views/releases.py",
            "evaluation/views/spreadsheet.py",
        ),
    ),
    Area("charts", ("evaluation/views/charts.py", "evaluation/reports/charts.py")),
    Area(
        "reports",
        tuple(
            f"evaluation/reports/{m}.py"
            for m in ("docx", "html", "model", "narrative", "pack", "pdf", "spec", "xlsx")
        ),
        ("indicators/templates/*.yaml",),
    ),
    Area("catalogue", ("evaluation/measures",), ("indicators/catalogue/*.yaml",)),
    Area("vocabulary", ("evaluation/vocabulary", "evaluation/periods")),
    Area("intake", ("evaluation/intake",)),
    Area(
        "messages",
        (
            "evaluation/cli.py",
            "evaluation/errors.py",
            "evaluation/settings.py",
            "evaluation/progress.py",
            "evaluation/workers.py",
            "evaluation/__main__.py",
            "evaluation/store",
            "evaluation/sharing",
            "evaluation/demo",
        ),
    ),
)
TEXT_FIELDS = frozenset(
    {
        # the indicator catalogue
        "name",
        "definition",
        "caveats",
        "unit",
        # report templates
        "title",
        "description",
        "heading",
        "intro",
        "summary_heading",
        "narrative_heading",
        "draft_notice",
        "definitions_heading",
        "data_quality_heading",
        "method_heading",
        "provenance_heading",
        "data_heading",
        "phrases",
        "text",
        "note",
    }
)
"""The keys of a YAML file whose (string) values a person reads."""
HEADER = """\
# {lang} translation of the platform's texts, area "{area}".
# Edit the msgstr lines only; keep {{places}} as they are (they may move within the sentence).
# Kept in step with the code by: python -m evaluation.vocabulary.catalogues
#"""


@dataclass(frozen=True)
class Text:
    id: str | tuple[str, str]
    where: tuple[str, int]
    context: str | None = None


def _python_files(paths: Iterable[str]) -> Iterator[Path]:
    for rel in paths:
        path = ROOT / rel
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def _yaml_texts(value: object, field: str | None, path: str, out: list[Text]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _yaml_texts(item, field if field == "phrases" else str(key), path, out)
    elif isinstance(value, list):
        for item in value:
            _yaml_texts(item, field, path, out)
    elif isinstance(value, str) and field in TEXT_FIELDS and value.strip():
        out.append(Text(value.strip(), (path, 0)))


def texts(area: Area) -> list[Text]:
    """Every text of ``area``, in source order (a text may occur more than once)."""
    found: list[Text] = []
    for file in _python_files(area.python):
        rel = file.relative_to(ROOT).as_posix()
        for line, message, _comments, context in extract_from_file(
            "python", str(file), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            ident = message if isinstance(message, str) else (message[0], message[1])
            if ident:
                found.append(Text(ident, (rel, line), context))
    for pattern in area.yaml:
        for file in sorted(ROOT.glob(pattern)):
            with file.open(encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            _yaml_texts(data, None, file.relative_to(ROOT).as_posix(), found)
    return found


def template(area: Area, lang: str) -> Catalog:
    """The catalogue ``area`` needs in ``lang``, with no translations yet."""
    catalogue = Catalog(
        locale=lang,
        project="exit-work-evaluation",
        domain=area.name,
        header_comment=HEADER.format(area=area.name, lang=lang),
        copyright_holder="the exit-work-evaluation authors",
        fuzzy=False,
    )
    for text in texts(area):
        string: str | tuple[str, str] = ("", "") if isinstance(text.id, tuple) else ""
        catalogue.add(text.id, string=string, locations=[text.where], context=text.context)
    return catalogue


def _read(path: Path, lang: str) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _known(lang: str) -> dict[tuple[str | None, object], object]:
    """Every translation of ``lang`` in any of its files (a text may move between areas)."""
    known: dict[tuple[str | None, object], object] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        catalogue = _read(path, lang)
        assert catalogue is not None
        for message in catalogue:
            if message.id and message.string and not message.fuzzy:
                known.setdefault((message.context, message.id), message.string)
    return known


def _render(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalogue, width=100, ignore_obsolete=True, include_previous=False)
    return out.getvalue()


def update(
    area: Area, lang: str, known: dict[tuple[str | None, object], object] | None = None
) -> tuple[Catalog, bytes, bytes | None]:
    """``area``'s catalogue in ``lang`` in step with the sources: (the catalogue, its new
    text, its text on disk or None). ``known``: the language's translations, read before any
    file of the run is rewritten (a text moving between areas keeps its translation)."""
    path = LOCALE_DIR / lang / f"{area.name}.po"
    fresh = template(area, lang)
    known = _known(lang) if known is None else known
    for message in fresh:
        if message.id:
            string = known.get((message.context, message.id))
            if string is not None:
                message.string = string  # type: ignore[assignment]
    before = path.read_bytes() if path.exists() else None
    return fresh, _render(fresh), before


def missing(catalogue: Catalog) -> list[str]:
    """The texts of ``catalogue`` without a translation."""
    out = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def _body(po: bytes | None) -> bytes | None:
    """A PO file without what changes on every write (header dates) or with every moved line
    of code (``#:`` locations)."""
    if po is None:
        return None
    skip = (b'"POT-Creation-Date', b'"PO-Revision-Date', b"#: ")
    return b"\n".join(line for line in po.splitlines() if not line.startswith(skip))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.vocabulary.catalogues")
    parser.add_argument("--check", action="store_true", help="change nothing; 1 if not in step")
    parser.add_argument("--area", action="append", choices=[a.name for a in AREAS])
    parser.add_argument("--lang", action="append", help="languages (default: every one)")
    args = parser.parse_args(argv)
    langs = args.lang or [lang for lang in LANGUAGES if lang != DEFAULT]
    areas = [a for a in AREAS if not args.area or a.name in args.area]
    bad = False
    for lang in langs:
        (LOCALE_DIR / lang).mkdir(parents=True, exist_ok=True)
        known = _known(lang)
        for area in areas:
            catalogue, new, old = update(area, lang, known)
            path = LOCALE_DIR / lang / f"{area.name}.po"
            name = path.relative_to(ROOT)
            if _body(new) != _body(old):
                if args.check:
                    print(f"{name} is not in step with the code.")
                    bad = True
                else:
                    path.write_bytes(new)
                    print(f"{name}: updated")
            lacking = missing(catalogue)
            if lacking:
                bad = bad or args.check
                print(f"{name}: {len(lacking)} texts without a translation")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
