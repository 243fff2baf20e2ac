"""The data dictionary in ``docs/``, generated from the registry.

``docs/data-format.md`` is what CSOs and mapping-profile authors read. It is rendered from
``evaluation.store.schema`` so it cannot drift from what the validator enforces; ``stale_docs``
lets CI
fail when someone changes the registry without regenerating (``python -m evaluation docs``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evaluation.store import schema
from evaluation.store.schema import Column, Table
from evaluation.vocabulary.groups import GROUPS_BY_CODE

DATA_DICTIONARY = Path("docs") / "data-format.md"

GENERATED_BANNER = (
    "<!-- generated from evaluation/store/schema.py by `python -m evaluation docs`; do not edit -->"
)


def render_data_dictionary() -> str:
    """Markdown text of ``docs/data-format.md`` for the current registry."""
    tables = schema.TABLES
    out: list[str] = [
        GENERATED_BANNER,
        "",
        f"# Programme data package, format v{schema.FORMAT_VERSION}: data dictionary",
        "",
        (
            "> Generated from `evaluation/store/schema.py` by `python -m evaluation docs`; "
            "do not edit "
            "this file by hand."
        ),
        "> The normative description is `docs/spec/data-format.md`.",
        "",
        f"Format version: **{schema.FORMAT_VERSION}**",
        "",
        "## Container",
        "",
        (
            "- An `.xlsx` workbook with one sheet per table (sheet name = table name), or a folder "
            "or `.zip` holding one `<table>.csv` per table."
        ),
        (
            "- Table and column names are matched case-insensitively after trimming spaces. The "
            "header is the first row."
        ),
        (
            "- Unknown tables and columns are errors (they are where personal data hides) unless a "
            "mapping profile drops them."
        ),
        "- CSV: comma-separated, UTF-8 (a BOM is allowed), RFC 4180 quoting.",
        (
            "- Dates: ISO `YYYY-MM-DD` text, or real Excel date cells in `.xlsx` (a time part is "
            f"ignored). Dates before {schema.EARLIEST_DATE} are errors."
        ),
        "- Booleans: `true/false`, `yes/no`, `1/0`, in any case. Decimals use a dot.",
        "- An empty or whitespace-only cell is missing.",
        "- Vocabulary values are lower-case snake_case exactly as listed.",
        "- The sheets "
        + ", ".join(f"`{s}`" for s in schema.TEMPLATE_HELPER_SHEETS)
        + " of the blank template (`python -m evaluation template --out FILE.xlsx`) are "
        "recognised and ignored.",
        "",
        "## Required tables",
        "",
        "Required: " + ", ".join(f"`{t}`" for t in schema.REQUIRED_TABLES) + ".",
        "",
        "Every other table is optional: "
        + ", ".join(f"`{t.name}`" for t in tables if not t.required)
        + ". An indicator whose source table is absent is *not available* (no data), never "
        "zero.",
        "",
        "## Tables",
        "",
    ]
    for table in tables:
        out.extend(_table_section(table))

    out.extend(_dates_section())
    out.extend(_gate_section())
    return "\n".join(out).rstrip("\n") + "\n"


def write_docs(root: Path) -> list[Path]:
    """Write every generated document under ``root``; return the paths written."""
    written: list[Path] = []
    for relative, render in _generated().items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def stale_docs(root: Path) -> list[Path]:
    """Generated documents under ``root`` that are missing or differ from a fresh rendering."""
    stale: list[Path] = []
    for relative, render in _generated().items():
        path = Path(root) / relative
        try:
            current = path.read_bytes().decode("utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            stale.append(path)
            continue
        if current != render():
            stale.append(path)
    return stale


def _generated() -> dict[Path, Callable[[], str]]:
    """Every generated document, relative to the repository root, with its renderer."""
    return {
        DATA_DICTIONARY: render_data_dictionary,
        INDICATOR_DOCS: render_indicator_docs,
        SCHEMA_JSON: render_catalogue_schema,
    }


INDICATOR_DOCS = Path("docs") / "indicators.md"
SCHEMA_JSON = Path("indicators") / "catalogue.schema.json"


def render_catalogue_schema() -> str:
    import json

    from evaluation.measures.catalogue import catalogue_json_schema

    return json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False) + "\n"


def render_indicator_docs() -> str:
    """``docs/indicators.md``: every indicator's definition, version, caveats and sources."""
    from evaluation.measures.catalogue import load_catalogue

    catalogue = load_catalogue()
    out = [
        "# Indicator catalogue",
        "",
        "<!-- generated from indicators/catalogue/*.yaml by `python -m evaluation docs`; "
        "do not edit -->",
        "",
        "Every number the platform shows comes from one of these published, versioned "
        "definitions (the agreed catalogue v1), written here in plain words as the platform "
        "shows them; the formal definitions are in `docs/spec/indicators-v1.md`. A period "
        "includes both its first and last day; the date the data runs to is the programme's "
        "`data_as_of`. "
        "`python -m evaluation catalogue ID` prints one; `python -m evaluation indicators "
        "--explain …` prints the SQL behind a result.",
        "",
        "| id | name | kind | unit | better | sources |",
        "|---|---|---|---|---|---|",
    ]
    for ind in catalogue.latest():
        better = {"higher": "higher", "lower": "lower", "neutral": "—"}[ind.direction]
        out.append(
            f"| [{ind.id}](#{ind.id.lower()}) | {_cell(ind.name)} | {ind.kind} | "
            f"{_cell(ind.unit)} | {better} | {', '.join(ind.sources)} |"
        )
    out.append("")
    group = None
    for ind in catalogue.latest():
        if ind.group != group:
            group = ind.group
            out += [f"## {GROUPS_BY_CODE[group].heading}", ""]
        splits = (
            "splits by every case column and programme attribute"
            if ind.splits == "case"
            else "per programme (and above)"
        )
        shared = "small numbers suppressed when shared" if ind.about_people else "not suppressed"
        out += [
            f"### {ind.id}",
            "",
            f"**{ind.name}** — version {ind.version}, {ind.kind} ({ind.unit}); {splits}; {shared}.",
            "",
            f"> {ind.definition}",
            "",
            f"Source tables: {', '.join(ind.sources)}.",
            "",
        ]
        for caveat in ind.caveats:
            out += [f"**Caveat:** {caveat}", ""]
    return "\n".join(out)


def _table_section(table: Table) -> list[str]:
    need = "Required" if table.required else "Optional"
    out = [f"### {table.name}", "", table.doc, "", f"*{need} table{_belongs(table)}.*", ""]
    out += ["| column | type | required | meaning | rule |", "|---|---|---|---|---|"]
    for column in table.columns:
        out.append(
            f"| `{column.name}` | {column.type} | {'yes' if column.required else 'no'} | "
            f"{_cell(column.doc)} | {_cell(column.rule_text())} |"
        )
    out.append("")
    if table.key_value:
        out += [
            "Keys (one row each, in column `key`; the value in column `value`):",
            "",
            "| key | required | meaning |",
            "|---|---|---|",
        ]
        for key, required, meaning in table.keys:
            out.append(f"| `{key}` | {'yes' if required else 'no'} | {_cell(meaning)} |")
        out.append("")
    if table.row_rules:
        out += ["Row rules (a row breaking one is an error):", ""]
        for rule in table.row_rules:
            columns = ", ".join(f"`{c}`" for c in rule.columns)
            out.append(f"- {columns}: a row that {rule.message} is rejected; fix: {rule.fix}.")
        out.append("")
    if table.unique_together:
        columns = ", ".join(f"`{c}`" for c in table.unique_together)
        out += [f"Unique together: each combination of {columns} may occur only once.", ""]
    return out


def _belongs(table: Table) -> str:
    """Which case or programme a row belongs to, unless the table's rows are those themselves."""
    key = {"case": "case_ref", "programme": "programme_id"}.get(table.belongs_to)
    if key is None or key not in table.column_names or table.column(key).unique:
        return ""
    return f"; each row belongs to a {table.belongs_to} via `{key}`"


def _dates_section() -> list[str]:
    future = [f"`{t.name}.{c.name}`" for t, c in _columns() if c.may_follow_data_as_of]
    return [
        "## Dates after data_as_of",
        "",
        "No date in the package may be later than `about.data_as_of`, except in these columns:",
        "",
        *(f"- {name}" for name in future),
        "",
        f"Dates before {schema.EARLIEST_DATE} are errors in every column.",
        "",
    ]


def _gate_section() -> list[str]:
    free_text: list[str] = []
    for table, column in _columns():
        if not column.free_text:
            continue
        line = f"- `{table.name}.{column.name}`"
        if table.key_value:
            date_keys = [k for k, _, _ in table.keys if k == "data_as_of"]
            if date_keys:
                line += " (every key except " + ", ".join(f"`{k}`" for k in date_keys) + ")"
        free_text.append(line)
    identifiers = sorted({c.name for _, c in _columns() if c.pattern == schema.ID_PATTERN})
    return [
        "## The anonymisation gate",
        "",
        (
            "A package is rejected, and nothing of it stored, when the gate finds personal data. "
            "Its messages name table, column and row numbers but never echo the offending value."
        ),
        "",
        "### Free-text columns",
        "",
        (
            "Cells of these columns are rejected when they look like an e-mail address, a phone "
            "number (7 or more digits, possibly with `+`, spaces, dashes, dots or brackets), "
            "an IBAN "
            "(valid check digits), an IP address, or a date (a date of birth):"
        ),
        "",
        *free_text,
        "",
        "Identifiers (" + ", ".join(f"`{name}`" for name in identifiers) + ") and vocabulary "
        "columns are checked by their own rules instead.",
        "",
        "### Identifier column names",
        "",
        (
            "A column whose normalised name, or one of its tokens, is one of these names "
            "suggests a "
            "direct identifier and is rejected (mapping profiles add names in other languages):"
        ),
        "",
        ", ".join(f"`{name}`" for name in schema.IDENTIFIER_NAMES),
        "",
    ]


def _columns() -> list[tuple[Table, Column]]:
    return [(t, c) for t in schema.TABLES for c in t.columns]


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
