"""A request planned: its indicators, periods and splits, and the one statement that computes them.

Every indicator compiles to one ``SELECT`` over all periods, programmes and split values; the
selects are joined with ``UNION ALL`` (``computed``) under shared CTEs and laid over the rows the
result must have (``frame``), so the whole catalogue for any number of periods is one query, not
one per cell:

* ``periods(pidx, p_start, p_end)``: the request's periods, by position;
* ``progs``: the current submission of each programme in scope, with its ``data_as_of``, its
  attributes and which optional tables it delivered (``has_<table>``);
* ``cases``: the current cases of those programmes, with the programme's attributes;
* ``period_days(d, pidx, p_start, p_end, once)``: every day of every period, with its period
  (``once``: the day's first period, for overlapping periods): members dated inside a period
  and windows equal to the period meet the periods through it (an equi-join on the day, two
  to three times cheaper than a range join on the bounds);
* one ``scan_…`` per related-row scan (``scans``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import sqlglot
from sqlglot import exp

from evaluation.measures.catalogue import Catalogue, Indicator
from evaluation.measures.engine.compiler import ROW, IndicatorCompiler
from evaluation.measures.engine.expressions import (
    all_of,
    call,
    col,
    condition,
    cte,
    date,
    named,
    number,
    render,
    star,
    string,
    subquery,
    table,
    union_all,
    with_ctes,
)
from evaluation.measures.engine.frame import COMPUTED, framed, key_columns
from evaluation.measures.engine.registry import compile_indicator
from evaluation.measures.engine.request import IndicatorRequest, RequestError
from evaluation.measures.engine.scans import RelatedScans
from evaluation.periods import Period
from evaluation.store.schema import TABLES, TABLES_BY_NAME
from evaluation.vocabulary.language import _
from evaluation.vocabulary.splits import ALL_SPLITS, NO_SPLIT, PROGRAMME_SPLITS

TOTAL_SPLIT = "all"
"""The split that totals over every programme of the request."""


@dataclass(frozen=True, eq=False)
class Plan:
    """What ``compute`` runs for a request and how to read its rows back. Never changed once
    built: plans are kept and shared (``plan`` is cached), the trees are printed, not edited."""

    indicators: tuple[Indicator, ...]
    periods: tuple[Period, ...]
    split_cols: tuple[str, ...]
    """The split columns of the result, in the order asked."""
    group_by_attr: bool
    """Rows total over programmes (``all``, or a programme attribute): ``programme_id`` is ``*``."""
    presence: tuple[str, ...]
    """Optional tables the indicators read: ``progs.has_<table>`` says whether a programme
    delivered each."""
    statement: exp.Query
    params: tuple[object, ...]

    @cached_property
    def sql(self) -> str:
        return render(self.statement.copy())

    @cached_property
    def pretty(self) -> str:
        """The statement indented, one clause per line (for ``explain`` and snapshots)."""
        return render(self.statement.copy(), pretty=True)


@lru_cache(maxsize=64)
def plan(catalogue: Catalogue, request: IndicatorRequest) -> Plan:
    """Check ``request`` against the catalogue and compile it (a ``RequestError`` says why a
    request cannot be computed).

    Kept for the catalogue object and the request (both immutable; ``load_catalogue`` hands
    out the same catalogue while its files are unchanged): pages and reports ask the same
    questions again, and compiling the whole catalogue costs some 50 ms.
    """
    if not request.periods:
        raise RequestError(_("Give at least one period, e.g. 2025-Q2."))
    try:
        inds = (
            [catalogue.get(i) for i in request.indicators]
            if request.indicators
            else catalogue.latest()
        )
    except KeyError as exc:
        known = ", ".join(i.id for i in catalogue.latest())
        raise RequestError(
            _("There is no indicator {id}. Known: {known}.", id=exc.args[0], known=known)
        ) from None
    splits = [s.strip().lower() for s in request.split_by if s.strip()]
    for s in splits:
        if s not in ALL_SPLITS:
            raise RequestError(
                _(
                    "Indicators cannot be split by “{split}”. Splits: {splits}.",
                    split=s,
                    splits=", ".join(ALL_SPLITS),
                )
            )
    split_cols = [s for s in dict.fromkeys(splits) if s not in (NO_SPLIT, TOTAL_SPLIT)]
    group_by_attr = TOTAL_SPLIT in splits or any(s in PROGRAMME_SPLITS for s in split_cols)
    periods = list(request.periods)
    wanted = {t for ind in inds for t in ind.sources}
    presence = tuple(t.name for t in TABLES if t.name in wanted and not t.required)
    scope_sql, params = request.scope.sql_filter("s.organisation", "p.programme_id")
    if request.programmes:
        scope_sql += " AND p.programme_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(request.programmes))
    base = _base_ctes(periods, presence, condition(scope_sql))
    scans = RelatedScans()
    selects = [
        compile_indicator(IndicatorCompiler(i, split_cols, group_by_attr, scans)) for i in inds
    ]
    keys = key_columns(len(split_cols))
    computed = cte(COMPUTED, union_all(selects), ("ind", "pidx", *keys, "num", "den", "val"))
    result, frame_ctes = framed(inds, split_cols, group_by_attr, presence)
    statement = with_ctes(result, [*base, *scans.ctes(ROW), computed, *frame_ctes])
    return Plan(
        tuple(inds),
        tuple(periods),
        tuple(split_cols),
        group_by_attr,
        presence,
        statement,
        tuple(params),
    )


def _base_ctes(periods: list[Period], presence: tuple[str, ...], scope: exp.Expr) -> list[exp.CTE]:
    values = exp.Values(
        expressions=[
            exp.tuple_(number(i), date(p.start), date(p.end), copy=False)
            for i, p in enumerate(periods)
        ]
    )
    own = set(TABLES_BY_NAME["programmes"].column_names)
    attributes = [col(k, "p" if k in own else "s") for k in PROGRAMME_SPLITS]
    progs = (
        sqlglot.select(
            col("programme_id", "p"),
            col("submission_id", "p"),
            named(col("data_as_of", "s"), "as_of"),
            *attributes,
            *(
                named(call("list_contains", col("tables", "s"), string(t)), f"has_{t}")
                for t in presence
            ),
            copy=False,
        )
        .from_(table("current_programmes", "p"), copy=False)
        .join(table("submissions", "s"), using=["submission_id"], copy=False)
        .where(scope, copy=False)
    )
    cases = (
        sqlglot.select(star("c"), *(col(k, "g") for k in ("as_of", *PROGRAMME_SPLITS)), copy=False)
        .from_(table("current_cases", "c"), copy=False)
        .join(
            table("progs", "g"),
            on=all_of(
                exp.EQ(this=col(k, "c"), expression=col(k, "g"))
                for k in ("programme_id", "submission_id")
            ),
            copy=False,
        )
    )
    day = exp.Interval(this=number(1), unit=exp.var("DAY"))
    each_day = sqlglot.select(
        named(
            exp.cast(
                call("unnest", call("generate_series", col("p_start"), col("p_end"), day)), "DATE"
            ),
            "d",
        ),
        col("pidx"),
        col("p_start"),
        col("p_end"),
        copy=False,
    ).from_(table("periods"), copy=False)
    first_period = exp.Window(
        this=exp.RowNumber(),
        partition_by=[col("d")],
        order=exp.Order(expressions=[exp.Ordered(this=col("pidx"))]),
    )
    days = sqlglot.select(
        col("d"),
        col("pidx"),
        col("p_start"),
        col("p_end"),
        named(exp.EQ(this=first_period, expression=number(1)), "once"),
        copy=False,
    ).from_(subquery(each_day), copy=False)
    return [
        cte("periods", values, ("pidx", "p_start", "p_end")),
        cte("progs", progs, materialized=True),
        cte("cases", cases, materialized=True),
        cte("period_days", days, materialized=True),
    ]
