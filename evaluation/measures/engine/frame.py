"""The rows every programme must have, also when nothing happened.

A result has a row for every indicator, programme (or total) and period — and, split by a case
column, for every value of it occurring among the programme's cases — so that an empty set gives
0 for counts and ``no_data`` for rates, never a missing row. Programme-level indicators (and any
indicator without a case split) get one row per programme, or per value of a programme attribute
when grouped by one, with ``*`` in case split columns.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp

from evaluation.measures.engine.expressions import (
    all_of,
    as_text,
    call,
    col,
    cte,
    group_by_all,
    named,
    render,
    star,
    string,
    table,
    union_all,
)
from evaluation.measures.engine.plan import Plan
from evaluation.vocabulary.splits import PROGRAMME_SPLITS, TOTAL


def frame(cur: duckdb.DuckDBPyConnection, plan: Plan) -> pd.DataFrame:
    """Columns ``ind, k0…kn, pidx`` (every row the result must have), with the group's
    ``as_of`` (the earliest ``data_as_of`` of its programmes) and ``has_<table>`` (whether all
    of them delivered the table)."""
    combos_sql, groups_sql = frame_queries(plan)
    rows = cur.execute(combos_sql, list(plan.params)).df()
    groups = cur.execute(groups_sql, list(plan.params)).df()
    ks = plan.split_cols
    attrs = [f"k{i + 1}" for i, k in enumerate(ks) if k in PROGRAMME_SPLITS]
    case_split = any(k not in PROGRAMME_SPLITS for k in ks)
    frames = []
    for ind in plan.indicators:
        level = "case" if ind.splits == "case" and case_split else "programme"
        f = rows[rows.level == level].drop(columns=["level"]).copy()
        f.insert(0, "ind", ind.key)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    return out.merge(groups, on=["k0", *attrs], how="left")


@lru_cache(maxsize=64)
def frame_queries(plan: Plan) -> tuple[str, str]:
    """The SQL of the key combinations (``level, k0…kn, pidx``: ``case`` rows from the
    programme's cases, ``programme`` rows from the programme alone) and of the groups (``k0``
    and programme attributes, ``as_of``, ``has_<table>``), kept with the plan."""
    ks = plan.split_cols
    prog = string(TOTAL) if plan.group_by_attr else col("programme_id", "g")
    case_keys = [named(prog, "k0")] + [
        named(as_text(col(k, "g" if k in PROGRAMME_SPLITS else "c")), f"k{i + 1}")
        for i, k in enumerate(ks)
    ]
    prog_keys = [named(prog.copy(), "k0")] + [
        named(as_text(col(k, "g")) if k in PROGRAMME_SPLITS else string(TOTAL), f"k{i + 1}")
        for i, k in enumerate(ks)
    ]
    case_combos = (
        sqlglot.select(*case_keys, copy=False)
        .distinct(copy=False)
        .from_(table("progs", "g"), copy=False)
        .join(
            table("cases", "c"),
            on=all_of(
                exp.EQ(this=col(k, "c"), expression=col(k, "g"))
                for k in ("programme_id", "submission_id")
            ),
            copy=False,
        )
    )
    prog_combos = (
        sqlglot.select(*prog_keys, copy=False)
        .distinct(copy=False)
        .from_(table("progs", "g"), copy=False)
    )
    combos = union_all(
        [
            sqlglot.select(named(string(level), "level"), star(alias), col("pidx", "p"), copy=False)
            .from_(table(name, alias), copy=False)
            .join(table("periods", "p"), join_type="CROSS", copy=False)
            for level, name, alias in (
                ("case", "case_combos", "cc"),
                ("programme", "prog_combos", "pc"),
            )
        ]
    )
    combos = plan.over_base(
        combos, cte("case_combos", case_combos), cte("prog_combos", prog_combos)
    )
    attrs = [(i + 1, k) for i, k in enumerate(ks) if k in PROGRAMME_SPLITS]
    groups = plan.over_base(
        sqlglot.select(
            named(prog.copy(), "k0"),
            *(named(as_text(col(k, "g")), f"k{n}") for n, k in attrs),
            named(exp.Min(this=col("as_of", "g")), "as_of"),
            *(named(call("bool_and", col(f"has_{t}", "g")), f"has_{t}") for t in plan.presence),
            copy=False,
        )
        .from_(table("progs", "g"), copy=False)
        .group_by(group_by_all(), copy=False)
    )
    return render(combos), render(groups)
