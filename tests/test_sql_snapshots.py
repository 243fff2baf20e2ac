"""Snapshots of the SQL each indicator compiles to.

A change to the engine or a catalogue file that changes the SQL shows up here as a diff to
review. Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1 python -m pytest
tests/test_sql_snapshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.engine import IndicatorRequest, explain
from evaluation.periods import parse_periods

SNAPSHOTS = Path(__file__).parent / "snapshots" / "sql"
CATALOGUE = load_catalogue()
REQUEST = dict(periods=tuple(parse_periods("2025-Q1,2025")))
INDICATORS = [i.key for i in CATALOGUE.latest()]
SPLITS = ["", "gender", "organisation"]
UPDATE = os.environ.get("UPDATE_SNAPSHOTS", "") == "1"
"""Only ``UPDATE_SNAPSHOTS=1`` rewrites the files (``0`` or empty compares, as it reads)."""


def snapshot_path(indicator: str, split: str) -> Path:
    return SNAPSHOTS / f"{indicator.replace('@', '-v')}{'-by-' + split if split else ''}.sql"


@pytest.mark.parametrize("indicator", INDICATORS)
@pytest.mark.parametrize("split", SPLITS)
def test_sql_snapshot(indicator: str, split: str) -> None:
    request = IndicatorRequest(
        indicators=(indicator,), split_by=(split,) if split else (), **REQUEST
    )
    sql = explain(None, request, CATALOGUE).strip() + "\n"
    path = snapshot_path(indicator, split)
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{path.name} did not exist and was written; commit it")
    assert sql == path.read_text(encoding="utf-8"), (
        f"the SQL of {indicator} changed; review, then regenerate with UPDATE_SNAPSHOTS=1"
    )


def test_every_snapshot_belongs_to_an_indicator_and_reads_as_a_diff() -> None:
    """No snapshot is left behind by a renamed indicator, and each is pretty-printed: a clause
    per line, so a change shows as a few changed lines, not one 700-character line."""
    expected = {snapshot_path(i, s).name for i in INDICATORS for s in SPLITS}
    present = {p.name for p in SNAPSHOTS.glob("*.sql")}
    assert present == expected
    for path in SNAPSHOTS.glob("*.sql"):
        longest = max(len(line) for line in path.read_text(encoding="utf-8").splitlines())
        assert longest <= 120, f"{path.name} has a line of {longest} characters"
