"""The generated data dictionary is current and complete.

CI fails here when someone changes ``evaluation/store/schema.py`` without running
``python -m evaluation docs``, so the published dictionary never disagrees with the validator.
"""

from __future__ import annotations

from pathlib import Path

from evaluation.store import schema
from evaluation.store.dictionary import (
    DATA_DICTIONARY,
    render_data_dictionary,
    stale_docs,
    write_docs,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current() -> None:
    stale = stale_docs(REPO_ROOT)
    assert stale == [], f"regenerate with `python -m evaluation docs`: {stale}"


def test_dictionary_mentions_every_table_and_column() -> None:
    text = render_data_dictionary()
    sections = text.split("\n### ")
    for table in schema.TABLES:
        section = next((s for s in sections if s.startswith(f"{table.name}\n")), None)
        assert section is not None, table.name
        assert table.doc in section
        for column in table.columns:
            assert f"| `{column.name}` |" in section, f"{table.name}.{column.name}"
            assert column.rule_text() in section
        for rule in table.row_rules:
            assert rule.message in section and rule.fix in section
        for key, _, _ in table.keys:
            assert f"`{key}`" in section


def test_dictionary_has_banner_version_and_gate_lists() -> None:
    text = render_data_dictionary()
    assert text.startswith("<!-- generated from evaluation/store/schema.py")
    assert "do not edit" in text.splitlines()[0]
    assert f"format v{schema.FORMAT_VERSION}" in text
    for name in schema.IDENTIFIER_NAMES:
        assert f"`{name}`" in text
    for table in schema.TABLES:
        for column in table.columns:
            if column.may_follow_data_as_of or column.free_text:
                assert f"`{table.name}.{column.name}`" in text


def test_write_then_stale(tmp_path: Path) -> None:
    generated = sorted(stale_docs(tmp_path))
    assert tmp_path / DATA_DICTIONARY in generated
    assert sorted(write_docs(tmp_path)) == generated
    assert stale_docs(tmp_path) == []
    (tmp_path / DATA_DICTIONARY).write_text("edited by hand\n", encoding="utf-8")
    assert stale_docs(tmp_path) == [tmp_path / DATA_DICTIONARY]


def test_every_indicator_is_documented_and_has_an_oracle() -> None:
    """CI fails when an indicator lacks name, definition, unit, direction or an oracle test."""
    from test_oracle import ORACLES

    from evaluation.measures.catalogue import load_catalogue

    for ind in load_catalogue().latest():
        assert ind.name.strip() and ind.definition.strip() and ind.unit.strip(), ind.id
        assert ind.direction in ("higher", "lower", "neutral"), ind.id
        assert ind.id in ORACLES, f"{ind.id} has no oracle test in tests/test_oracle.py"
