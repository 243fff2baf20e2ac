"""The measure registry: one entry per ``computation.measure.type`` of the catalogue.

Each measure knows how to compile itself — the ``SELECT`` giving ``ind, pidx, k0…kn, num, den,
val`` for its indicator's members, built on the ``IndicatorCompiler`` — and what its figures are
(its ``shape``, which ``figures`` reads):

* ``amount``: the value is a number that is 0 for an empty set (counts, sums, money, months);
* ``rate``: the value is ``num / den`` and ``no_data`` when the denominator is 0;
* ``median``: the value is computed in SQL, ``den`` is n and ``no_data`` when n is 0.

The catalogue's ``Measure.type`` names exactly these entries (a test holds them together); a new
kind of measure is one class here and one word in the catalogue's model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import sqlglot
from sqlglot import exp

from evaluation.measures.engine.compiler import CASE, PERIOD, ROW, IndicatorCompiler
from evaluation.measures.engine.expressions import (
    all_of,
    as_text,
    call,
    col,
    count_rows,
    counted_where,
    group_by_all,
    named,
    null,
    number,
    string,
    subquery,
    table,
)
from evaluation.measures.engine.request import RequestError
from evaluation.vocabulary.splits import PROGRAMME_SPLITS, TOTAL

Shape = Literal["amount", "rate", "median"]


class MeasureType:
    """A kind of measure: its name in the catalogue, the shape of its figures, its SQL."""

    name: ClassVar[str]
    shape: ClassVar[Shape]

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        raise NotImplementedError


class Count(MeasureType):
    """The number of members."""

    name, shape = "count", "amount"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        return c.grouped(null(), null(), count_rows())


class Sum(MeasureType):
    """The sum of ``column`` over the members."""

    name, shape = "sum", "amount"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        column = c.measure.column
        if column is None:
            raise RequestError(f"{c.ind.key}: a sum needs a `column`")
        return c.grouped(null(), null(), exp.Sum(this=c.col(column)))


class Proportion(MeasureType):
    """Members meeting the numerator's conditions, of all members."""

    name, shape = "proportion", "rate"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        numerator = c.numerator()
        return c.grouped(counted_where(count_rows(), numerator), count_rows(), null())


class MedianDaysToRelated(MeasureType):
    """The median of the days from the anchor to the first related row (n: members with one)."""

    name, shape = "median_days_to_related", "median"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        if c.measure.related is None:
            raise RequestError(f"{c.ind.key}: {self.name} needs `related`")
        first = c.related_column(c.measure.related, "first", c.measure.column)
        days = c.days_between(c.col(c.comp.anchor), first)
        inner = c.members(
            named(c.ind_literal(), "ind"), col("pidx", PERIOD), *c.named_keys(), named(days, "d")
        )
        keys = [col(f"k{i}") for i in range(len(c.keys()))]
        return (
            sqlglot.select(
                col("ind"),
                col("pidx"),
                *keys,
                null(),
                exp.Count(this=col("d")),
                call("median", col("d")),
                copy=False,
            )
            .from_(subquery(inner), copy=False)
            .group_by(group_by_all(), copy=False)
        )


class RatioSumRelated(MeasureType):
    """The sum of a related column in the window over all members, per member (C10)."""

    name, shape = "ratio_sum_related", "rate"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        m = c.measure
        if m.related is None:
            raise RequestError(f"{c.ind.key}: {self.name} needs `related`")
        total = c.related_column(m.related, "total", m.column)
        summed = exp.Coalesce(this=exp.Sum(this=total), expressions=[number(0)])
        return c.grouped(exp.Div(this=summed, expression=number(m.divide_by)), count_rows(), null())


def funding_in_period() -> exp.Expr:
    """A funding row's amount spread evenly over its days, the period's share of it:
    ``amount_eur × overlap_days / row_days``."""
    start, end = col("period_start", ROW), col("period_end", ROW)
    overlap_first = call("greatest", start, col("p_start", PERIOD))
    overlap_last = call("least", end.copy(), col("p_end", PERIOD))
    days = call("date_diff", string("day"), overlap_first, overlap_last)
    overlap = call("greatest", number(0), exp.Add(this=days, expression=number(1)))
    row_days = exp.paren(
        exp.Add(
            this=call("date_diff", string("day"), start.copy(), end.copy()), expression=number(1)
        )
    )
    return exp.Div(
        this=exp.Mul(this=col("amount_eur", ROW), expression=overlap), expression=row_days
    )


class FundingTotal(MeasureType):
    """Funding for the period (F01)."""

    name, shape = "funding_total", "amount"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        return c.grouped(null(), null(), exp.Sum(this=funding_in_period()))


class LargestFunderShare(MeasureType):
    """The largest funder's share of the period's funding (F03); funders match after trimming
    and ignoring case."""

    name, shape = "largest_funder_share", "rate"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        funder = exp.Lower(this=exp.Trim(this=col("funder", ROW)))
        inner = c.members(
            col("pidx", PERIOD),
            *c.named_keys(),
            named(funder, "funder"),
            named(exp.Sum(this=funding_in_period()), "amount"),
        ).group_by(group_by_all(), copy=False)
        keys = [col(f"k{i}") for i in range(len(c.keys()))]
        return (
            sqlglot.select(
                c.ind_literal(),
                col("pidx"),
                *keys,
                exp.Max(this=col("amount")),
                exp.Sum(this=col("amount")),
                null(),
                copy=False,
            )
            .from_(subquery(inner), copy=False)
            .group_by(col("pidx"), *(k.copy() for k in keys), copy=False)
        )


class FundingMonthsAhead(MeasureType):
    """Months from the period's end to the end of the latest funding row (F04)."""

    name, shape = "funding_months_ahead", "amount"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        days = call(
            "date_diff",
            string("day"),
            exp.AnyValue(this=col("p_end", PERIOD)),
            exp.Max(this=col("period_end", ROW)),
        )
        months = exp.Div(
            this=call("greatest", number(0), days), expression=number(c.measure.days_per_month)
        )
        return c.grouped(null(), null(), months)


class FundingPerOpenCase(MeasureType):
    """Funding for the period per case open during it (F02)."""

    name, shape = "funding_per_open_case", "rate"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        n = len(c.keys())
        keys = [f"k{i}" for i in range(n)]
        money = c.members(
            col("pidx", PERIOD), *c.named_keys(), named(exp.Sum(this=funding_in_period()), "amount")
        ).group_by(col("pidx", PERIOD), *c.keys(), copy=False)
        on = all_of(exp.EQ(this=col(k, "f"), expression=col(k, "o")) for k in ["pidx", *keys])
        return (
            sqlglot.select(
                c.ind_literal(),
                col("pidx", "o"),
                *(col(k, "o") for k in keys),
                exp.Coalesce(this=col("amount", "f"), expressions=[number(0)]),
                col("n", "o"),
                null(),
                copy=False,
            )
            .from_(subquery(self.open_cases(c), "o"), copy=False)
            .join(subquery(money, "f"), on=on, join_type="LEFT", copy=False)
        )

    @staticmethod
    def open_cases(c: IndicatorCompiler) -> exp.Select:
        """Cases of any client type open during each period, by the same keys."""
        keys: list[exp.Expr] = [string(TOTAL) if c.group_by_attr else col("programme_id", CASE)]
        for k in c.split_cols:
            keys.append(as_text(col(k, CASE)) if k in PROGRAMME_SPLITS else string(TOTAL))
        return (
            sqlglot.select(
                col("pidx", PERIOD),
                *(named(k, f"k{i}") for i, k in enumerate(keys)),
                named(count_rows(), "n"),
                copy=False,
            )
            .from_(table("cases", CASE), copy=False)
            .join(table("periods", PERIOD), on=c.open_during(), copy=False)
            .group_by(group_by_all(), copy=False)
        )


class Turnover(MeasureType):
    """Leavers over the average headcount of the staffing rows in the period (S01)."""

    name, shape = "turnover", "rate"

    def compile(self, c: IndicatorCompiler) -> exp.Query:
        return c.grouped(
            exp.Sum(this=col("leavers", ROW)), exp.Avg(this=col("headcount", ROW)), null()
        )


MEASURES: Mapping[str, MeasureType] = {
    m.name: m
    for m in (
        Count(),
        Sum(),
        Proportion(),
        MedianDaysToRelated(),
        RatioSumRelated(),
        FundingTotal(),
        FundingPerOpenCase(),
        LargestFunderShare(),
        FundingMonthsAhead(),
        Turnover(),
    )
}
"""Every measure type, by its name in the catalogue."""


def measure_type(name: str) -> MeasureType:
    """The registry's entry for ``name``; a ``RequestError`` for a type it does not know."""
    try:
        return MEASURES[name]
    except KeyError:
        raise RequestError(f"unknown measure {name}") from None


def compile_indicator(c: IndicatorCompiler) -> exp.Query:
    """The indicator's ``SELECT``, compiled by its measure type."""
    return measure_type(c.measure.type).compile(c)
