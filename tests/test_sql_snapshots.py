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


@pytest.mark.parametrize("indicator", [i.key for i in CATALOGUE.latest()])
@pytest.mark.parametrize("split", ["", "gender", "organisation"])
def test_sql_snapshot(indicator: str, split: str) -> None:
    request = IndicatorRequest(
        indicators=(indicator,), split_by=(split,) if split else (), **REQUEST
    )
    sql = explain(None, request, CATALOGUE).strip() + "\n"
    path = SNAPSHOTS / f"{indicator.replace('@', '-v')}{'-by-' + split if split else ''}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path.name} did not exist and was written; commit it")
    assert sql == path.read_text(encoding="utf-8"), (
        f"the SQL of {indicator} changed; review, then regenerate with UPDATE_SNAPSHOTS=1"
    )
