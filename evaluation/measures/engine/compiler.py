"""One indicator of a request compiled to its members: the rows of its population that fall in a
period, with their group keys, filters and the related-row windows its measure needs.

The measure (``registry``) turns the members into the indicator's ``SELECT``; every select has
the same columns — ``ind, pidx, k0…kn, num, den, val`` — so the request is one ``UNION ALL``.
Names the catalogue gives are columns of the data format (the catalogue checks them); values it
gives are quoted literals. Aliases: ``c`` the case, ``r`` the population's own row (a release, a
need, a funding row), ``g`` the programme, ``p`` the period, ``x`` a related row.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from evaluation.measures.catalogue import (
    CLIENT_GROUPS,
    POPULATIONS,
    ClosedWithin,
    Condition,
    DateRef,
    Indicator,
    LatestLower,
    Related,
)
from evaluation.measures.engine.conditions import condition_on
from evaluation.measures.engine.expressions import (
    all_of,
    as_text,
    call,
    col,
    is_known_and,
    named,
    number,
    plus_days,
    string,
    table,
)
from evaluation.measures.engine.request import RequestError
from evaluation.measures.engine.scans import RELATED, RelatedScans
from evaluation.store.schema import TABLES_BY_NAME
from evaluation.vocabulary.splits import PROGRAMME_SPLITS, TOTAL

CASE, ROW, PROGRAMME, PERIOD = "c", "r", "g", "p"
PERIOD_BOUNDS = {"period_start": "p_start", "period_end": "p_end"}
OPEN_DURING, WHOLE_PERIOD = "open_during", "period"
"""The anchors that are not a date column: cases open during the period, and the period itself."""


class IndicatorCompiler:
    """Compiles one indicator; the measure asks it for columns, conditions and members."""

    def __init__(
        self, ind: Indicator, split_cols: list[str], group_by_attr: bool, scans: RelatedScans
    ) -> None:
        self.ind = ind
        self.comp = ind.computation
        self.measure = ind.computation.measure
        self.population = POPULATIONS[self.comp.population]
        self.split_cols = split_cols
        self.group_by_attr = group_by_attr
        self.scans = scans
        self.joins: list[exp.Join] = []
        columns = TABLES_BY_NAME[self.population.table].columns
        self._row_columns = {c.name for c in columns}
        self._row_types = {c.name: c.type for c in columns}

    # -- names --------------------------------------------------------------------------------
    @property
    def of_case(self) -> bool:
        return self.population.of_case

    @property
    def row_alias(self) -> str:
        return CASE if self.population.table == "cases" else ROW

    @property
    def owner(self) -> str:
        """Who the members belong to: the case, or the programme."""
        return CASE if self.of_case else PROGRAMME

    def col(self, name: str) -> exp.Expr:
        """A column the catalogue names: of the member's row, its case (``case.x``; for case
        populations also a bare name the row lacks) or the period (``period_start``)."""
        if name in PERIOD_BOUNDS:
            return col(PERIOD_BOUNDS[name], PERIOD)
        if name.startswith("case."):
            return col(name[5:], CASE)
        if self.of_case and self.row_alias != CASE and name not in self._row_columns:
            return col(name, CASE)
        return col(name, self.row_alias)

    def day(self, ref: DateRef) -> exp.Expr:
        return plus_days(self.col(ref.date), ref.days)

    def cond(self, c: Condition, alias: str | None = None) -> exp.Expr:
        return condition_on(c, col(c.column, alias) if alias else self.col(c.column))

    def as_of(self) -> exp.Column:
        return col("as_of", self.owner)

    def ind_literal(self) -> exp.Literal:
        return string(self.ind.key)

    # -- members ------------------------------------------------------------------------------
    def source(self) -> exp.Select:
        """``SELECT … FROM`` the population's rows, joined to their case or programme.

        Base tables, not the ``current_`` views: joining to ``cases`` or ``progs`` (current data
        in scope) on the submission already keeps only current rows.
        """
        alias = self.row_alias
        if alias == CASE:
            return sqlglot.select(copy=False).from_(table("cases", CASE), copy=False)
        owner, owner_table = (CASE, "cases") if self.of_case else (PROGRAMME, "progs")
        keys = ("submission_id", "case_id") if self.of_case else ("programme_id", "submission_id")
        on = all_of(exp.EQ(this=col(k, ROW), expression=col(k, owner)) for k in keys)
        return (
            sqlglot.select(copy=False)
            .from_(table(self.population.table, ROW), copy=False)
            .join(table(owner_table, owner), on=on, copy=False)
        )

    def anchor_join(self) -> exp.Join:
        anchor = self.comp.anchor
        periods = table("periods", PERIOD)
        if anchor == OPEN_DURING:
            return exp.Join(this=periods, on=self.open_during())
        if anchor == WHOLE_PERIOD:
            return exp.Join(this=periods, kind="CROSS")
        if self._row_types.get(anchor) == "date":
            # the day of a period it falls on: an equi-join, not a range join (``plan``)
            on_day = exp.EQ(this=self.col(anchor), expression=col("d", PERIOD))
            return exp.Join(this=table("period_days", PERIOD), on=on_day)
        on = exp.Between(
            this=self.col(anchor), low=col("p_start", PERIOD), high=col("p_end", PERIOD)
        )
        return exp.Join(this=periods, on=on)

    @staticmethod
    def open_during() -> exp.Expr:
        """The case is open during the period: opened by its end, not closed before its start."""
        closed = col("closed_on", CASE)
        return all_of(
            [
                exp.LTE(this=col("opened_on", CASE), expression=col("p_end", PERIOD)),
                exp.paren(
                    exp.or_(
                        exp.Is(this=closed.copy(), expression=exp.Null()),
                        exp.GTE(this=closed, expression=col("p_start", PERIOD)),
                    )
                ),
            ]
        )

    def open_on(self, day: exp.Expr) -> exp.Expr:
        """The case is open on ``day`` (opened on or before it, not closed before it)."""
        closed = col("closed_on", CASE)
        return all_of(
            [
                exp.LTE(this=col("opened_on", CASE), expression=day),
                exp.paren(
                    exp.or_(
                        exp.Is(this=closed.copy(), expression=exp.Null()),
                        exp.GTE(this=closed, expression=day.copy()),
                    )
                ),
            ]
        )

    def closed_within(self, w: ClosedWithin) -> exp.Expr:
        """``NOT coalesce(closure_reason IN (…) AND closed_on <= day, FALSE)``."""
        reason = exp.In(
            this=col("closure_reason", CASE), expressions=[string(r) for r in w.reasons]
        )
        by = exp.LTE(this=col("closed_on", CASE), expression=self.day(w.to))
        return exp.Not(this=is_known_and(exp.and_(reason, by)))

    def filters(self) -> list[exp.Expr]:
        comp, out = self.comp, []
        if self.of_case and comp.clients in CLIENT_GROUPS:
            group = CLIENT_GROUPS[comp.clients]
            out.append(condition_on(group, col(group.column, CASE), missing_is_false=False))
        for c in self.population.where:
            out.append(condition_on(c, col(c.column, self.row_alias), missing_is_false=False))
        if comp.open_on_anchor:
            out.append(self.open_on(self.col(comp.anchor)))
        out += [self.cond(c) for c in comp.where]
        if comp.censor is not None:
            out.append(exp.LTE(this=self.day(comp.censor), expression=self.as_of()))
        if comp.exclude is not None:
            out.append(self.closed_within(comp.exclude))
        if comp.requires_related is not None:
            out.append(self.related_test(comp.requires_related))
        return out

    def keys(self) -> list[exp.Expr]:
        """Group keys: the programme (or ``*``), then one expression per split column."""
        owner = self.owner
        out: list[exp.Expr] = [string(TOTAL) if self.group_by_attr else col("programme_id", owner)]
        for k in self.split_cols:
            if k in PROGRAMME_SPLITS:
                out.append(as_text(col(k, owner)))
            elif self.of_case and self.ind.splits == "case":
                out.append(as_text(col(k, CASE)))
            else:
                out.append(string(TOTAL))
        return out

    def named_keys(self) -> list[exp.Expr]:
        """``key AS k0, …``."""
        return [named(k, f"k{i}") for i, k in enumerate(self.keys())]

    def members(self, *columns: exp.Expr) -> exp.Select:
        """``SELECT columns FROM`` the members in each period, filtered, with the related-row
        scans the conditions so far asked for. Build the measure's expressions first."""
        filters = self.filters()  # first: a filter on related rows joins their scan
        query = self.source().select(*columns, copy=False)
        query = query.join(self.anchor_join(), copy=False)
        for j in self.joins:
            query = query.join(j.copy(), copy=False)
        return query.where(all_of(filters), copy=False) if filters else query

    def grouped(self, *measures: exp.Expr) -> exp.Select:
        """The common select: ``ind, pidx, k0…kn, measures`` grouped by period and keys."""
        query = self.members(
            named(self.ind_literal(), "ind"), col("pidx", PERIOD), *self.named_keys(), *measures
        )
        return query.group_by(col("pidx", PERIOD), *self.keys(), copy=False)

    # -- related rows -------------------------------------------------------------------------
    def related(self, rel: Related, total: str | None = None) -> tuple[str, str]:
        """The scan and column prefix of a per-member aggregate of ``rel`` inside its window
        (``<scan>.<prefix>n``, ``first``, ``total``); the scan is joined to the members.

        A window is either the whole period (C10, C11) or hangs on a member's dates (C06, C07,
        O06, O07), never both.
        """
        refs = [r for r in (rel.from_, rel.to) if r is not None]
        on_period = (
            rel.from_ is not None
            and rel.to is not None
            and rel.from_.date == "period_start"
            and rel.to.date == "period_end"
            and not rel.from_.days
            and not rel.to.days
            and not rel.from_.exclusive
        )
        if any(r.date in PERIOD_BOUNDS for r in refs) and not on_period:
            raise RequestError(
                f"{self.ind.key}: a window may be the whole period or hang on "
                "a member's dates, not both"
            )
        window = [] if on_period else self.window(rel, col(rel.date, RELATED))
        window += [self.cond(c, RELATED) for c in rel.where]
        row_dates: tuple[str, ...] = ()
        if on_period:
            population = "period"
        elif not self.of_case:
            raise RequestError(f"{self.ind.key}: related rows need a case population")
        else:
            row_dates = tuple(
                dict.fromkeys(
                    r.date for r in refs if self.row_alias != CASE and r.date in self._row_columns
                )
            )
            # a window on the case's dates alone is one per case, whatever the population
            population = self.comp.population if row_dates else "cases"
        alias, prefix = self.scans.add(
            population, rel.table, rel.date, all_of(window), total, row_dates
        )
        join = self.scans.join(population, rel.table, row_dates, self.row_alias)
        if all(j != join for j in self.joins):
            self.joins.append(join)
        return alias, prefix

    def window(self, rel: Related, date: exp.Expr) -> list[exp.Expr]:
        """``date`` inside the window of ``rel`` (from, exclusive or not; to, included)."""
        out: list[exp.Expr] = []
        if rel.from_ is not None:
            op = exp.GT if rel.from_.exclusive else exp.GTE
            out.append(op(this=date, expression=self.day(rel.from_)))
        if rel.to is not None:
            out.append(exp.LTE(this=date.copy(), expression=self.day(rel.to)))
        return out

    def related_column(self, rel: Related, what: str, total: str | None = None) -> exp.Column:
        """``<scan>.<prefix><what>`` (``n``, ``first`` or ``total``)."""
        alias, prefix = self.related(rel, total)
        return col(f"{prefix}{what}", alias)

    def related_test(self, rel: Related) -> exp.Expr:
        """At least ``min_rows`` related rows inside the window."""
        n = exp.Coalesce(this=self.related_column(rel, "n"), expressions=[number(0)])
        return exp.GTE(this=n, expression=number(max(rel.min_rows, 1)))

    def latest_lower(self, latest: LatestLower) -> exp.Expr:
        """The level of the latest related row inside the window (the highest, when several
        share that day) ranks below the member's own level."""
        rel = latest.related

        def rows(alias: str) -> list[exp.Expr]:
            """The member's case's rows of the related table that meet ``where``."""
            own = [
                exp.EQ(this=col(k, alias), expression=col(k, CASE))
                for k in ("submission_id", "case_id")
            ]
            return own + [self.cond(c, alias) for c in rel.where]

        last_day = (
            sqlglot.select(exp.Max(this=col(rel.date, "b")), copy=False)
            .from_(table(rel.table, "b"), copy=False)
            .where(all_of([*rows("b"), *self.window(rel, col(rel.date, "b"))]), copy=False)
        )
        level = (
            sqlglot.select(
                exp.Max(this=self.rank(col(latest.level, "a"), latest.order)), copy=False
            )
            .from_(table(rel.table, "a"), copy=False)
            .where(
                all_of(
                    [
                        *rows("a"),
                        exp.EQ(this=col(rel.date, "a"), expression=last_day.subquery(copy=False)),
                    ]
                ),
                copy=False,
            )
        )
        lower = exp.LT(
            this=level.subquery(copy=False),
            expression=self.rank(self.col(latest.than), latest.order),
        )
        return is_known_and(lower)

    @staticmethod
    def rank(level: exp.Expr, order: list[str]) -> exp.Case:
        """``CASE level WHEN <first> THEN 1 …``: the level's place in ``order`` (NULL if absent)."""
        return exp.Case(
            this=level,
            ifs=[exp.If(this=string(v), true=number(n)) for n, v in enumerate(order, 1)],
        )

    # -- numerator ----------------------------------------------------------------------------
    def numerator(self) -> exp.Expr:
        """What makes a member count in a proportion's numerator (all must hold)."""
        num = self.measure.numerator
        if num is None:
            raise RequestError(f"{self.ind.key}: a proportion needs a numerator")
        parts = [self.cond(c) for c in num.where]
        if num.related is not None:
            parts.append(self.related_test(num.related))
        if num.compare is not None:
            on_time = exp.LTE(
                this=self.col(num.compare.column), expression=self.day(num.compare.on_or_before)
            )
            parts.append(is_known_and(on_time))
        if num.not_closed_within is not None:
            parts.append(self.closed_within(num.not_closed_within))
        if num.latest_lower is not None:
            parts.append(self.latest_lower(num.latest_lower))
        return all_of(parts)

    def days_between(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        return call("date_diff", string("day"), start, end)
