"""The rows every programme must have, also when nothing happened, laid over the computed rows
in the same statement.

A result has a row for every indicator, programme (or total) and period — and, split by a case
column, for every value of it occurring among the programme's cases — so that an empty set gives
0 for counts and ``no_data`` for rates, never a missing row. Programme-level indicators (and any
indicator without a case split) get one row per programme, or per value of a programme attribute
when grouped by one, with ``*`` in case split columns.

The statement's last part: the computed rows (``computed``, the indicators' ``UNION ALL``) are
left-joined to the frame and come back sorted in catalogue order, programme, period and split
values, with each group's ``as_of`` (the earliest ``data_as_of`` of its programmes) and
``has_<table>`` (whether all of them delivered the table): what ``figures`` needs, in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from evaluation.measures.catalogue import Indicator
from evaluation.measures.engine.expressions import (
    all_of,
    as_text,
    call,
    col,
    cte,
    group_by_all,
    named,
    number,
    string,
    table,
)
from evaluation.vocabulary.splits import PROGRAMME_SPLITS, TOTAL

COMPUTED = "computed"
"""The CTE of the computed rows: ``ind, pidx, k0…kn, num, den, val``."""


def key_columns(n: int) -> list[str]:
    """``k0`` (the programme) … ``k<n>`` (the split columns): the group keys of a plan's rows."""
    return [f"k{i}" for i in range(n + 1)]


def framed(
    indicators: Sequence[Indicator],
    split_cols: Sequence[str],
    group_by_attr: bool,
    presence: Sequence[str],
) -> tuple[exp.Select, list[exp.CTE]]:
    """The select of the result rows (``ord, pidx, k0…kn, num, den, val, as_of, has_<table>``,
    ``ord`` the indicator's place in the request) and the CTEs it reads besides the plan's
    base and ``computed``."""
    ks = list(split_cols)
    keys = key_columns(len(ks))
    attrs = [f"k{i + 1}" for i, k in enumerate(ks) if k in PROGRAMME_SPLITS]
    case_split = any(k not in PROGRAMME_SPLITS for k in ks)
    rows = exp.Values(
        expressions=[
            exp.tuple_(
                string(ind.key),
                number(n),
                exp.true() if case_split and ind.splits == "case" else exp.false(),
                copy=False,
            )
            for n, ind in enumerate(indicators)
        ]
    )
    query = (
        sqlglot.select(
            col("ord", "i"),
            col("pidx", "p"),
            *(col(k, "f") for k in keys),
            *(col(v, "r") for v in ("num", "den", "val")),
            col("as_of", "o"),
            *(col(f"has_{t}", "o") for t in presence),
            copy=False,
        )
        .from_(table("request_indicators", "i"), copy=False)
        .join(
            table("frame_keys", "f"),
            on=exp.EQ(this=col("by_case", "f"), expression=col("by_case", "i")),
            copy=False,
        )
        .join(table("periods", "p"), join_type="CROSS", copy=False)
        .join(
            table(COMPUTED, "r"),
            on=all_of(
                [
                    exp.EQ(this=col("ind", "r"), expression=col("ind", "i")),
                    exp.EQ(this=col("pidx", "r"), expression=col("pidx", "p")),
                    *(_same(col(k, "r"), col(k, "f")) for k in keys),
                ]
            ),
            join_type="LEFT",
            copy=False,
        )
        .join(
            table("frame_groups", "o"),
            on=all_of(_same(col(k, "o"), col(k, "f")) for k in ("k0", *attrs)),
            join_type="LEFT",
            copy=False,
        )
        .order_by(
            col("ord", "i"),
            col("k0", "f"),
            col("p_start", "p"),
            *(col(k, "f") for k in keys[1:]),
            col("pidx", "p"),
            copy=False,
        )
    )
    ctes = [
        cte("request_indicators", rows, ("ind", "ord", "by_case")),
        cte("frame_keys", _keys(ks, group_by_attr, case_split)),
        cte("frame_groups", _groups(ks, group_by_attr, presence)),
    ]
    return query, ctes


def _same(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``a IS NOT DISTINCT FROM b``: a missing split value is a value of its own."""
    return exp.NullSafeEQ(this=a, expression=b)


def _programme(group_by_attr: bool) -> exp.Expr:
    return string(TOTAL) if group_by_attr else col("programme_id", "g")


def _keys(ks: list[str], group_by_attr: bool, case_split: bool) -> exp.Query:
    """``by_case, k0…kn``: programme rows (``by_case`` false) from the programmes alone, with
    ``*`` in case split columns; with a case split also case rows (``by_case`` true), the
    values occurring among each programme's cases."""
    prog_keys = [named(_programme(group_by_attr), "k0")] + [
        named(as_text(col(k, "g")) if k in PROGRAMME_SPLITS else string(TOTAL), f"k{i + 1}")
        for i, k in enumerate(ks)
    ]
    by_programme = sqlglot.select(named(exp.false(), "by_case"), *prog_keys, copy=False).from_(
        table("progs", "g"), copy=False
    )
    if not case_split:
        return by_programme.distinct(copy=False)
    case_keys = [named(_programme(group_by_attr), "k0")] + [
        named(as_text(col(k, "g" if k in PROGRAMME_SPLITS else "c")), f"k{i + 1}")
        for i, k in enumerate(ks)
    ]
    by_case = (
        sqlglot.select(named(exp.true(), "by_case"), *case_keys, copy=False)
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
    # UNION (not ALL): the distinct keys of each kind
    return exp.union(by_programme, by_case, distinct=True, copy=False)


def _groups(ks: list[str], group_by_attr: bool, presence: Sequence[str]) -> exp.Query:
    """``k0`` and programme attributes, ``as_of``, ``has_<table>``."""
    attrs = [(i + 1, k) for i, k in enumerate(ks) if k in PROGRAMME_SPLITS]
    return (
        sqlglot.select(
            named(_programme(group_by_attr), "k0"),
            *(named(as_text(col(k, "g")), f"k{n}") for n, k in attrs),
            named(exp.Min(this=col("as_of", "g")), "as_of"),
            *(named(call("bool_and", col(f"has_{t}", "g")), f"has_{t}") for t in presence),
            copy=False,
        )
        .from_(table("progs", "g"), copy=False)
        .group_by(group_by_all(), copy=False)
    )
