"""The indicator engine: a request compiled to DuckDB SQL, run set-based, returned tidy.

``compute(store, request)`` returns the machine-readable result of the agreed catalogue (one
row per indicator × programme × period × split); ``explain(store, request)`` returns the SQL.
Every indicator of the request compiles to one ``SELECT`` over all periods, programmes and split
values at once; the selects are joined with ``UNION ALL`` into a single statement, so the whole
catalogue for any number of periods is one query, not one per cell.

Rows every programme must have (also when nothing happened) come from a *frame* — programmes ×
periods × the split values occurring among the programme's cases — so that an empty set gives 0
for counts and ``no_data`` for rates, never a missing row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import duckdb
import numpy as np
import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.measures.catalogue import (
    CASE_POPULATIONS,
    Catalogue,
    Condition,
    DateRef,
    Indicator,
    Related,
    load_catalogue,
)
from evaluation.periods import Period
from evaluation.store.access import Audience, Scope

Z95 = 1.959963984540054
CASE_SPLITS = (
    "client_type",
    "referral_source",
    "participation",
    "setting_at_intake",
    "ideology",
    "gender",
    "age_band",
    "returnee",
    "risk_at_intake",
    "region",
)
PROGRAMME_SPLITS = ("organisation", "country", "intervention_type", "setting")
ALL_SPLITS = ("programme", "all", *CASE_SPLITS, *PROGRAMME_SPLITS)
"""``programme`` (the default) gives a row per programme; ``all`` the total over every programme
in the request, recomputed from the case rows (``programme_id`` is ``*``)."""
DATA_TABLES = (
    "cases",
    "contacts",
    "needs",
    "referrals",
    "custody_events",
    "assessments",
    "outcomes",
    "capacity",
    "funding",
    "staffing",
)
RISK_RANK = "CASE {} WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 END"
RESULT_COLUMNS = ("numerator", "denominator", "value", "ci_low", "ci_high", "status", "suppressed")


class RequestError(EvaluationError, ValueError):
    """The request names an unknown indicator, split or programme."""


@dataclass(frozen=True)
class IndicatorRequest:
    periods: tuple[Period, ...]
    indicators: tuple[str, ...] = ()
    """Ids such as ``C04`` (newest version) or ``C04@1``; empty: the whole catalogue."""
    split_by: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    """Empty: every programme in scope."""
    scope: Scope = field(default_factory=Scope.everything)
    audience: Audience | None = None
    """Defaults to the scope's audience; a shared scope can never ask for internal."""

    @property
    def effective_audience(self) -> Audience:
        if self.scope.audience == "shared":
            return "shared"
        return self.audience or self.scope.audience


def as_number(value: object) -> float | None:
    """A figure of a result row as a float; ``None`` for a missing one (None, NaN, NA)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def shown_number(row: Mapping[str, object], column: str) -> float | None:
    """A figure of a result row as the audience may see it: ``None`` when the row is
    suppressed (never trust a hidden figure to be blank)."""
    return None if bool(row.get("suppressed", False)) else as_number(row.get(column))


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


class _Compiler:
    """Compiles one indicator to a SELECT producing the engine's common columns."""

    def __init__(
        self, ind: Indicator, case_keys: list[str], group_by_attr: bool, scans: _RelatedScans
    ) -> None:
        self.scans = scans
        self.joins: list[str] = []
        self.ind = ind
        self.comp = ind.computation
        self.case_keys = case_keys
        self.group_by_attr = group_by_attr

    # -- names --------------------------------------------------------------------------------
    def row_alias(self) -> str:
        return {"cases": "c", "releases": "e", "needs": "r", "referrals": "r"}.get(
            self.comp.population, "r"
        )

    def col(self, name: str) -> str:
        if name == "period_start":
            return "p.p_start"
        if name == "period_end":
            return "p.p_end"
        if name.startswith("case."):
            return f"c.{name[5:]}"
        pop = self.comp.population
        row_tables = {"releases": "custody_events", "needs": "needs", "referrals": "referrals"}
        if pop in row_tables:
            from evaluation.store.schema import TABLES_BY_NAME

            if name in TABLES_BY_NAME[row_tables[pop]].column_names:
                return f"{self.row_alias()}.{name}"
            return f"c.{name}"
        return f"{self.row_alias()}.{name}"

    def ref(self, r: DateRef) -> str:
        base = self.col(r.date)
        return f"({base} + {r.days})" if r.days else base

    def cond(self, c: Condition, alias: str | None = None) -> str:
        column = f"{alias}.{c.column}" if alias else self.col(c.column)
        if c.in_ is not None:
            return f"coalesce({column} IN {_in_list(c.in_)}, FALSE)"
        if c.not_in is not None:
            return f"coalesce({column} NOT IN {_in_list(c.not_in)}, FALSE)"
        return f"({column} IS NULL)" if c.is_missing else f"({column} IS NOT NULL)"

    def related(self, rel: Related) -> str:
        """The SQL prefix of a per-member aggregate of related rows inside the window.

        Instead of a correlated subquery per member and period, windows become grouped scans
        of the related table shared by every indicator of the request (see ``_RelatedScans``):
        per period when the window is the period itself (C10, C11), per member when it hangs
        on a member's date (C06, C07, O06, O07). ``<prefix>n``, ``<prefix>first`` and
        ``<prefix>total`` are the rows, earliest date and sum inside the window.
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
        if any(r.date in ("period_start", "period_end") for r in refs) and not on_period:
            raise RequestError(
                f"{self.ind.key}: a window may be the whole period or hang on "
                "a member's dates, not both"
            )
        x = "x"
        window = []
        if not on_period:
            if rel.from_ is not None:
                op = ">" if rel.from_.exclusive else ">="
                window.append(f"{x}.{rel.date} {op} {self.ref(rel.from_)}")
            if rel.to is not None:
                window.append(f"{x}.{rel.date} <= {self.ref(rel.to)}")
        window += [self.cond(c, x) for c in rel.where]
        population = "period" if on_period else self.comp.population
        if population not in ("period", "cases", "releases"):
            raise RequestError(f"{self.ind.key}: related rows need a case or release population")
        alias, column = self.scans.add(
            population,
            rel.table,
            rel.date,
            " AND ".join(window) or "TRUE",
            self.comp.measure.column,
        )
        join = self.scans.join(population, rel.table)
        if join not in self.joins:
            self.joins.append(join)
        return f"{alias}.{column}_"

    def related_test(self, rel: Related) -> str:
        return f"coalesce({self.related(rel)}n, 0) >= {max(rel.min_rows, 1)}"

    # -- population ---------------------------------------------------------------------------
    def source(self) -> str:
        pop = self.comp.population
        if pop == "cases":
            return "cases c"
        # Base tables, not the current_ views: joining to `cases` or `progs` (current data in
        # scope) on the submission already keeps only current rows.
        if pop == "releases":
            return (
                "custody_events e JOIN cases c "
                "ON e.submission_id = c.submission_id AND e.case_id = c.case_id"
            )
        if pop in ("needs", "referrals"):
            return (
                f"{pop} r JOIN cases c "
                "ON r.submission_id = c.submission_id AND r.case_id = c.case_id"
            )
        return (
            f"{pop} r JOIN progs g "
            "ON r.programme_id = g.programme_id AND r.submission_id = g.submission_id"
        )

    def anchor_join(self) -> str:
        a = self.comp.anchor
        if a == "open_during":
            return (
                "JOIN periods p ON c.opened_on <= p.p_end "
                "AND (c.closed_on IS NULL OR c.closed_on >= p.p_start)"
            )
        if a == "period":
            return "CROSS JOIN periods p"
        return f"JOIN periods p ON {self.col(a)} BETWEEN p.p_start AND p.p_end"

    def filters(self) -> list[str]:
        comp, out = self.comp, []
        if comp.population in CASE_POPULATIONS:
            if comp.clients == "exit":
                out.append("c.client_type = 'exit_participant'")
            elif comp.clients == "concerned":
                out.append("c.client_type IN ('relative', 'friend', 'professional')")
        if comp.population == "releases":
            out.append("e.event = 'released'")
            if comp.open_on_anchor:
                out.append(
                    "c.opened_on <= e.event_on AND "
                    "(c.closed_on IS NULL OR c.closed_on >= e.event_on)"
                )
        out += [self.cond(c) for c in comp.where]
        if comp.censor is not None:
            out.append(f"{self.ref(comp.censor)} <= {self.as_of()}")
        if comp.exclude is not None:
            out.append(
                f"NOT coalesce(c.closure_reason IN {_in_list(comp.exclude.reasons)} "
                f"AND c.closed_on <= {self.ref(comp.exclude.to)}, FALSE)"
            )
        if comp.requires_related is not None:
            out.append(self.related_test(comp.requires_related))
        return out

    def as_of(self) -> str:
        return "c.as_of" if self.comp.population in CASE_POPULATIONS else "g.as_of"

    def keys(self) -> list[str]:
        """Group keys: the programme (or '*'), then one expression per split column."""
        case_pop = self.comp.population in CASE_POPULATIONS
        owner = "c" if case_pop else "g"
        prog = "'*'" if self.group_by_attr else f"{owner}.programme_id"
        out = [prog]
        for k in self.case_keys:
            if k in PROGRAMME_SPLITS:
                out.append(f"CAST({owner}.{k} AS VARCHAR)")
            elif case_pop and self.ind.splits == "case":
                out.append(f"CAST(c.{k} AS VARCHAR)")
            else:
                out.append("'*'")
        return out

    # -- measures -----------------------------------------------------------------------------
    def numerator(self) -> str:
        num = self.comp.measure.numerator
        assert num is not None
        parts = [self.cond(c) for c in num.where]
        if num.related is not None:
            parts.append(self.related_test(num.related))
        if num.compare is not None:
            column = self.col(num.compare.column)
            parts.append(f"coalesce({column} <= {self.ref(num.compare.on_or_before)}, FALSE)")
        if num.not_closed_within is not None:
            w = num.not_closed_within
            parts.append(
                f"NOT coalesce(c.closure_reason IN {_in_list(w.reasons)} AND "
                f"c.closed_on <= {self.ref(w.to)}, FALSE)"
            )
        if num.latest_assessment_lower:
            latest = (
                "(SELECT max(b.assessed_on) FROM current_assessments b WHERE "
                "b.submission_id = c.submission_id AND b.case_id = c.case_id AND "
                "b.assessed_on BETWEEN c.opened_on AND c.closed_on)"
            )
            level = (
                f"(SELECT max({RISK_RANK.format('a.risk_level')}) FROM current_assessments "
                "a WHERE a.submission_id = c.submission_id AND a.case_id = c.case_id AND "
                f"a.assessed_on = {latest})"
            )
            parts.append(f"coalesce({level} < {RISK_RANK.format('c.risk_at_intake')}, FALSE)")
        return " AND ".join(parts) or "TRUE"

    def select(self) -> str:
        """The indicator's SELECT; the related-row aggregates it joins are in ``self.ctes``."""
        m = self.comp.measure
        keys = self.keys()
        key_sql = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
        filters = self.filters()
        measure = {
            "proportion": self.numerator,
            "median_days_to_related": lambda: self.related(m.related),
            "ratio_sum_related": lambda: self.related(m.related),
        }.get(m.type, lambda: "")()
        where = " AND ".join(filters) or "TRUE"
        frm = f"{self.source()} {self.anchor_join()} {' '.join(self.joins)} WHERE {where}"
        ind = _lit(self.ind.key)
        group = ", ".join(["p.pidx", *keys])
        head = f"SELECT {ind} AS ind, p.pidx, {key_sql}"
        if m.type == "count":
            return f"{head}, NULL, NULL, count(*) FROM {frm} GROUP BY {group}"
        if m.type == "sum":
            return f"{head}, NULL, NULL, sum(r.{m.column}) FROM {frm} GROUP BY {group}"
        if m.type == "proportion":
            return (
                f"{head}, count(*) FILTER (WHERE {measure}), count(*), NULL "
                f"FROM {frm} GROUP BY {group}"
            )
        if m.type == "median_days_to_related":
            anchor = self.col(self.comp.anchor)
            return (
                f"SELECT ind, pidx, {', '.join(f'k{i}' for i in range(len(keys)))}, NULL, "
                f"count(d), median(d) FROM (SELECT {ind} AS ind, p.pidx, {key_sql}, "
                f"date_diff('day', {anchor}, {measure}first) AS d FROM {frm}) "
                f"GROUP BY ALL"
            )
        if m.type == "ratio_sum_related":
            return (
                f"{head}, coalesce(sum({measure}total), 0) / {m.divide_by}, count(*), "
                f"NULL FROM {frm} GROUP BY {group}"
            )
        return self.funding_select(head, frm, group)

    def funding_select(self, head: str, frm: str, group: str) -> str:
        m = self.comp.measure
        overlap = (
            "greatest(0, date_diff('day', greatest(r.period_start, p.p_start), "
            "least(r.period_end, p.p_end)) + 1)"
        )
        share = f"r.amount_eur * {overlap} / (date_diff('day', r.period_start, r.period_end) + 1)"
        if m.type == "funding_total":
            return f"{head}, NULL, NULL, sum({share}) FROM {frm} GROUP BY {group}"
        key_sql = ", ".join(f"{k} AS k{i}" for i, k in enumerate(self.keys()))
        if m.type == "largest_funder_share":
            inner = (
                f"SELECT p.pidx, {key_sql}, lower(trim(r.funder)) AS funder, "
                f"sum({share}) AS amount FROM {frm} GROUP BY ALL"
            )
            ks = ", ".join(f"k{i}" for i in range(len(self.keys())))
            return (
                f"SELECT {_lit(self.ind.key)}, pidx, {ks}, max(amount), sum(amount), NULL "
                f"FROM ({inner}) GROUP BY pidx, {ks}"
            )
        if m.type == "funding_months_ahead":
            return (
                f"{head}, NULL, NULL, greatest(0, date_diff('day', any_value(p.p_end), "
                f"max(r.period_end))) / {m.days_per_month} FROM {frm} GROUP BY {group}"
            )
        if m.type == "funding_per_open_case":
            ks = [f"k{i}" for i in range(len(self.keys()))]
            open_cases = self._open_cases_select()
            money = f"SELECT p.pidx, {key_sql}, sum({share}) AS amount FROM {frm} GROUP BY {group}"
            on = " AND ".join(f"f.{k} = o.{k}" for k in ["pidx", *ks])
            return (
                f"SELECT {_lit(self.ind.key)}, o.pidx, {', '.join('o.' + k for k in ks)}, "
                f"coalesce(f.amount, 0), o.n, NULL FROM ({open_cases}) o "
                f"LEFT JOIN ({money}) f ON {on}"
            )
        if m.type == "turnover":
            return f"{head}, sum(r.leavers), avg(r.headcount), NULL FROM {frm} GROUP BY {group}"
        raise RequestError(f"{self.ind.key}: unknown measure {m.type}")

    def _open_cases_select(self) -> str:
        keys = ["'*'" if self.group_by_attr else "c.programme_id"]
        for k in self.case_keys:
            keys.append(f"CAST(c.{k} AS VARCHAR)" if k in PROGRAMME_SPLITS else "'*'")
        ks = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
        return (
            f"SELECT p.pidx, {ks}, count(*) AS n FROM cases c JOIN periods p ON "
            f"c.opened_on <= p.p_end AND (c.closed_on IS NULL OR c.closed_on >= p.p_start) "
            f"GROUP BY ALL"
        )


class _RelatedScans:
    """Aggregates of related rows, one grouped scan per (population, table) for the request.

    Every window of every indicator over, say, contacts hanging on a case's dates becomes a
    set of ``FILTER``ed aggregates of one scan of contacts joined to cases; windows equal to
    the period become aggregates of one scan joined to ``period_days`` (an equi-join on the
    day, much cheaper than a range join of millions of rows against the periods).
    """

    KEYS: ClassVar[dict[str, list[str]]] = {
        "cases": ["submission_id", "case_id"],
        "releases": ["submission_id", "case_id", "event_on"],
        "period": ["submission_id", "case_id", "pidx"],
    }

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}

    def add(
        self, population: str, table: str, date: str, window: str, total: str | None
    ) -> tuple[str, str]:
        windows = self._windows.setdefault((population, table), [])
        item = (date, window, total)
        if item not in windows:
            windows.append(item)
        return self.alias(population, table), f"w{windows.index(item)}"

    @staticmethod
    def alias(population: str, table: str) -> str:
        return f"scan_{population}_{table}"

    def join(self, population: str, table: str) -> str:
        a = self.alias(population, table)
        outer = {
            "cases": ["c.submission_id", "c.case_id"],
            "releases": ["c.submission_id", "c.case_id", "e.event_on"],
            "period": ["c.submission_id", "c.case_id", "p.pidx"],
        }[population]
        on = " AND ".join(
            f"{a}.{k} = {o}" for k, o in zip(self.KEYS[population], outer, strict=True)
        )
        return f"LEFT JOIN {a} ON {on}"

    def ctes(self) -> list[str]:
        out = []
        for (population, table), windows in self._windows.items():
            aggs = []
            for n, (date, window, total) in enumerate(windows):
                aggs += [
                    f"count(*) FILTER (WHERE {window}) AS w{n}_n",
                    f"min(x.{date}) FILTER (WHERE {window}) AS w{n}_first",
                    f"sum(x.{total}) FILTER (WHERE {window}) AS w{n}_total"
                    if total
                    else f"NULL AS w{n}_total",
                ]
            any_window = " OR ".join(f"({w})" for _, w, _ in windows)
            if population == "period":
                dates = {d for d, _, _ in windows}
                if len(dates) != 1:
                    raise RequestError("period windows on one table must use one date column")
                source = (
                    f"{table} x SEMI JOIN progs g ON x.submission_id = g.submission_id "
                    f"AND x.programme_id = g.programme_id JOIN period_days pd "
                    f"ON x.{dates.pop()} = pd.d"
                )
                key = "x.submission_id, x.case_id, pd.pidx"
            elif population == "releases":
                source = (
                    "custody_events e JOIN cases c ON e.submission_id = "
                    "c.submission_id AND e.case_id = c.case_id AND e.event = 'released' "
                    f"JOIN {table} x ON x.submission_id = c.submission_id "
                    "AND x.case_id = c.case_id"
                )
                key = "c.submission_id, c.case_id, e.event_on"
            else:
                source = (
                    f"cases c JOIN {table} x ON x.submission_id = "
                    "c.submission_id AND x.case_id = c.case_id"
                )
                key = "c.submission_id, c.case_id"
            out.append(
                f"{self.alias(population, table)} AS MATERIALIZED (SELECT {key}, "
                f"{', '.join(aggs)} "
                f"FROM {source} WHERE {any_window} GROUP BY ALL)"
            )
        return out


@dataclass
class _Plan:
    indicators: list[Indicator]
    periods: list[Period]
    split_cols: list[str]
    group_by_attr: bool
    ctes: str
    sql: str
    params: list[object]


def _plan(catalogue: Catalogue, request: IndicatorRequest) -> _Plan:
    if not request.periods:
        raise RequestError("Give at least one period, e.g. 2025-Q2.")
    try:
        inds = (
            [catalogue.get(i) for i in request.indicators]
            if request.indicators
            else catalogue.latest()
        )
    except KeyError as exc:
        known = ", ".join(i.id for i in catalogue.latest())
        raise RequestError(f"There is no indicator {exc.args[0]}. Known: {known}.") from None
    splits = [s.strip().lower() for s in request.split_by if s.strip()]
    for s in splits:
        if s not in ALL_SPLITS:
            raise RequestError(
                f'Indicators cannot be split by "{s}". Splits: {", ".join(ALL_SPLITS)}.'
            )
    split_cols = [s for s in dict.fromkeys(splits) if s not in ("programme", "all")]
    group_by_attr = "all" in splits or any(s in PROGRAMME_SPLITS for s in split_cols)
    periods = list(request.periods)
    values = ", ".join(
        f"({i}, DATE '{p.start.isoformat()}', DATE '{p.end.isoformat()}')"
        for i, p in enumerate(periods)
    )
    scope_sql, params = request.scope.sql_filter("s.organisation", "p.programme_id")
    if request.programmes:
        scope_sql += " AND p.programme_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(request.programmes))
    presence = ", ".join(
        f"list_contains(s.tables, '{t}') AS has_{t}" for t in DATA_TABLES if t != "cases"
    )
    ctes = [
        f"periods(pidx, p_start, p_end) AS (VALUES {values})",
        "progs AS MATERIALIZED (SELECT p.programme_id, p.submission_id, s.organisation, "
        "s.data_as_of AS as_of, p.country, p.intervention_type, p.setting, TRUE AS has_cases, "
        f"{presence} FROM current_programmes p JOIN submissions s USING (submission_id) "
        f"WHERE {scope_sql})",
        "cases AS MATERIALIZED (SELECT c.*, g.as_of, g.organisation, g.country, "
        "g.intervention_type, g.setting FROM current_cases c JOIN progs g "
        "ON c.programme_id = g.programme_id AND c.submission_id = g.submission_id)",
        "period_days(d, pidx) AS (SELECT CAST(unnest(generate_series(p_start, p_end, "
        "INTERVAL 1 DAY)) AS DATE), pidx FROM periods)",
    ]
    scans = _RelatedScans()
    selects = [_Compiler(ind, split_cols, group_by_attr, scans).select() for ind in inds]
    ctes += scans.ctes()
    union = "\nUNION ALL\n".join(f"({s})" for s in selects)
    cte_sql = ",\n".join(ctes)
    sql = f"WITH {cte_sql}\n{union}"
    return _Plan(inds, periods, split_cols, group_by_attr, cte_sql, sql, params)


def explain(
    store_or_conn: object, request: IndicatorRequest, catalogue: Catalogue | None = None
) -> str:
    """The SQL ``compute`` runs for ``request`` (parameters inlined as comments)."""
    plan = _plan(catalogue or load_catalogue(), request)
    notes = "".join(f"-- parameter {i + 1}: {p!r}\n" for i, p in enumerate(plan.params))
    return notes + plan.sql


def _cursor(store_or_conn: object) -> duckdb.DuckDBPyConnection:
    cursor = getattr(store_or_conn, "cursor", None)
    return cursor() if callable(cursor) else store_or_conn  # type: ignore[return-value]


def compute(
    store_or_conn: object, request: IndicatorRequest, catalogue: Catalogue | None = None
) -> pd.DataFrame:
    """The tidy result of ``request``: the columns of the spec's machine-readable layout,
    plus ``target`` and ``baseline`` where the package has them."""
    catalogue = catalogue or load_catalogue()
    plan = _plan(catalogue, request)
    out = _compute_figures(_cursor(store_or_conn), plan, request)
    if request.effective_audience == "shared":
        out = _protect(out, {i.id: i for i in plan.indicators}, plan.split_cols)
    return out.reset_index(drop=True)


def compute_together(
    store_or_conn: object, requests: Sequence[IndicatorRequest], catalogue: Catalogue | None = None
) -> list[pd.DataFrame]:
    """The results of several requests that are published *together* (one report).

    For the shared audience small-number protection must see every figure a reader will see
    side by side: a total in the summary and the same indicator split by gender elsewhere are
    one table to an attacker (the total minus the shown groups gives the hidden one), and so are
    a year and its quarters. The requests are therefore computed with their figures, stacked
    (a request without a split gets ``"*"`` in the other requests' split columns, which is how
    ``disclosure`` reads a total) and protected in one pass, programme by programme (no
    relation links two programmes unless a ``"*"`` programme total is published). Each result
    comes back in its request's own columns. All requests must share one scope and audience.
    """
    if not requests:
        return []
    first = requests[0]
    if any(
        r.scope != first.scope or r.effective_audience != first.effective_audience for r in requests
    ):
        raise RequestError("Results published together must share one scope and audience.")
    catalogue = catalogue or load_catalogue()
    cur = _cursor(store_or_conn)
    plans = [_plan(catalogue, r) for r in requests]
    comp = _Completeness(cur)
    outs = [_compute_figures(cur, plan, r, comp) for plan, r in zip(plans, requests, strict=True)]
    if first.effective_audience != "shared":
        return [o.reset_index(drop=True) for o in outs]
    splits = list(dict.fromkeys(c for plan in plans for c in plan.split_cols))
    infos = {i.id: i for plan in plans for i in plan.indicators}
    stacked = []
    for n, out in enumerate(outs):
        part = out.copy()
        for col in splits:
            if col not in part.columns:
                part[col] = "*"
            part[col] = part[col].astype(object).where(part[col].notna(), None)
        part["_request"] = n
        part["_row"] = np.arange(len(part))
        stacked.append(part)
    table = pd.concat(stacked, ignore_index=True)
    # identical rows asked for twice (the summary's total and a section's) are one figure
    keys = [
        "indicator_id",
        "indicator_version",
        "programme_id",
        "period_start",
        "period_end",
        *splits,
    ]
    first_of = table.drop_duplicates(keys)
    protected = _protect(first_of.drop(columns=["_request", "_row"]).copy(), infos, splits)
    protected[["_request", "_row"]] = first_of[["_request", "_row"]].to_numpy()
    merged = table[[*keys, "_request", "_row"]].merge(
        protected.drop(columns=["_request", "_row"]), on=keys, how="left", validate="m:1"
    )
    results = []
    for n, out in enumerate(outs):
        mine = merged[merged["_request"] == n].sort_values("_row")
        back = out.copy().reset_index(drop=True)
        for col in (*RESULT_COLUMNS, "completeness"):
            if col in mine.columns:
                back[col] = mine[col].to_numpy()
        results.append(back)
    return results


def _protect(
    out: pd.DataFrame,
    infos: dict[str, Indicator],
    splits: Sequence[str],
) -> pd.DataFrame:
    """``disclosure.suppress`` of a result, one programme at a time when no total over
    programmes is published (the relations never cross programmes then, and small problems
    solve faster), with completeness hidden along with the cell it describes."""
    from evaluation.sharing.disclosure import suppress

    if out.empty:
        return out
    if (out["programme_id"] == "*").any():
        parts = [suppress(out, infos, splits=list(splits))]
    else:
        parts = [
            suppress(g, infos, splits=list(splits))
            for _, g in out.groupby("programme_id", sort=False)
        ]
    done = pd.concat(parts).loc[out.index]
    # completeness is a share of the same people: hidden with the cell it describes
    done.loc[done["suppressed"].astype(bool), "completeness"] = float("nan")
    return done


class _Completeness:
    """``completeness()`` rows, computed once per scope, programmes and periods (a report asks
    for the same programme and period in several requests)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur = cur
        self.done: dict[tuple, pd.DataFrame] = {}

    def __call__(self, periods: Sequence[Period], request: IndicatorRequest) -> pd.DataFrame:
        from evaluation.measures.completeness import completeness

        key = (tuple(periods), request.scope, tuple(request.programmes))
        for (ps, scope, progs), frame in self.done.items():
            if scope == key[1] and progs == key[2] and set(periods) <= set(ps):
                return frame
        self.done[key] = completeness(self.cur, list(periods), request.scope, request.programmes)
        return self.done[key]


def _compute_figures(
    cur: duckdb.DuckDBPyConnection,
    plan: _Plan,
    request: IndicatorRequest,
    comp: _Completeness | None = None,
) -> pd.DataFrame:
    """The result with every figure (no protection applied): for ``compute`` and
    ``compute_together`` only, which protect it before it leaves this module."""
    keys = [f"k{i}" for i in range(1 + len(plan.split_cols))]
    computed = cur.execute(plan.sql, plan.params).df()
    computed.columns = ["ind", "pidx", *keys, "num", "den", "val"]
    frame = _frame(cur, plan)
    out = frame.merge(computed, on=["ind", "pidx", *keys], how="left")
    out = _finish(out, plan)
    out = _targets(cur, out, plan)
    out = _completeness(out, plan, request, comp or _Completeness(cur))
    return out.reset_index(drop=True)


def _frame(cur: duckdb.DuckDBPyConnection, plan: _Plan) -> pd.DataFrame:
    """Every row the result must have, with the group's data_as_of and source presence.

    Case-split indicators get one row per split value occurring among the programme's cases;
    programme-level indicators (and every indicator without a case split) one row per
    programme, or per value of a programme attribute when grouped by one.
    """
    ks = plan.split_cols
    prog = "'*'" if plan.group_by_attr else "g.programme_id"
    flags = ", ".join(f"bool_and(g.has_{t}) AS has_{t}" for t in DATA_TABLES if t != "cases")
    attrs = [(i + 1, k) for i, k in enumerate(ks) if k in PROGRAMME_SPLITS]
    attr_sel = "".join(f", CAST(g.{k} AS VARCHAR) AS k{n}" for n, k in attrs)
    attr_keys = [f"k{n}" for n, _ in attrs]
    case_sel = ", ".join(
        [
            f"{prog} AS k0",
            *(
                f"CAST({'g' if k in PROGRAMME_SPLITS else 'c'}.{k} AS VARCHAR) AS k{i + 1}"
                for i, k in enumerate(ks)
            ),
        ]
    )
    prog_sel = ", ".join(
        [
            f"{prog} AS k0",
            *(
                f"CAST(g.{k} AS VARCHAR) AS k{i + 1}"
                if k in PROGRAMME_SPLITS
                else f"'*' AS k{i + 1}"
                for i, k in enumerate(ks)
            ),
        ]
    )
    combos = cur.execute(
        f"WITH {plan.ctes},\n"
        f"case_combos AS (SELECT DISTINCT {case_sel} FROM progs g JOIN cases c "
        f"ON c.programme_id = g.programme_id AND c.submission_id = g.submission_id),\n"
        f"prog_combos AS (SELECT DISTINCT {prog_sel} FROM progs g)\n"
        f"SELECT 'case' AS level, cc.*, p.pidx FROM case_combos cc CROSS JOIN periods p\n"
        f"UNION ALL\n"
        f"SELECT 'programme' AS level, pc.*, p.pidx FROM prog_combos pc CROSS JOIN periods p",
        plan.params,
    ).df()
    groups = cur.execute(
        f"WITH {plan.ctes}\nSELECT {prog} AS k0{attr_sel}, min(g.as_of) AS as_of, {flags} "
        f"FROM progs g GROUP BY ALL",
        plan.params,
    ).df()
    case_split = any(k not in PROGRAMME_SPLITS for k in ks)
    frames = []
    for ind in plan.indicators:
        level = "case" if ind.splits == "case" and case_split else "programme"
        f = combos[combos.level == level].drop(columns=["level"]).copy()
        f.insert(0, "ind", ind.key)
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    return frame.merge(groups, on=["k0", *attr_keys], how="left")


COUNT_LIKE = ("count", "sum", "funding_total", "funding_months_ahead")
RATE_LIKE = (
    "proportion",
    "largest_funder_share",
    "ratio_sum_related",
    "funding_per_open_case",
    "turnover",
)


def _finish(out: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    """Values, intervals and statuses, column-wise: counts of an empty set are 0, rates of an
    empty denominator and anything with a missing source table are ``no_data``, a period
    ending after the data's ``data_as_of`` is ``partial_period`` (``no_data`` wins)."""
    info = pd.DataFrame(
        [
            {
                "ind": i.key,
                "indicator_id": i.id,
                "indicator_version": i.version,
                "kind": i.kind,
                "mtype": i.computation.measure.type,
                "order": n,
            }
            for n, i in enumerate(plan.indicators)
        ]
    )
    out = out.merge(info, on="ind", how="left")
    num = pd.to_numeric(out["num"], errors="coerce").astype(float)
    den = pd.to_numeric(out["den"], errors="coerce").astype(float)
    val = pd.to_numeric(out["val"], errors="coerce").astype(float)
    count_like = out["mtype"].isin(COUNT_LIKE).to_numpy()
    rate_like = out["mtype"].isin(RATE_LIKE).to_numpy()
    median = (out["mtype"] == "median_days_to_related").to_numpy()
    val = np.where(count_like, val.fillna(0.0), val)
    num = np.where(count_like | median, np.nan, np.where(rate_like, num.fillna(0.0), num))
    den = np.where(count_like, np.nan, np.where(rate_like | median, den.fillna(0.0), den))
    empty = (rate_like | median) & (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(rate_like & ~empty, num / den, val)
    val = np.where(empty, np.nan, val)
    missing = np.zeros(len(out), dtype=bool)
    for ind in plan.indicators:
        rows = (out["ind"] == ind.key).to_numpy()
        for t in ind.sources:
            if t != "cases":
                has = out[f"has_{t}"].astype("boolean").fillna(True).to_numpy(dtype=bool)
                missing |= rows & ~has
    num, den, val = (np.where(missing, np.nan, a) for a in (num, den, val))
    proportion = (out["kind"] == "proportion").to_numpy() & ~missing & ~empty
    low, high = wilson_arrays(num, den)
    ci_low = np.where(proportion, low, np.nan)
    ci_high = np.where(proportion, high, np.nan)
    ends = pd.Series([plan.periods[int(p)].end for p in out["pidx"]])
    as_of = pd.to_datetime(out["as_of"]).dt.date
    partial = (ends > as_of).fillna(False).to_numpy(dtype=bool)
    status = np.where(missing | empty, "no_data", np.where(partial, "partial_period", "ok"))
    result = pd.DataFrame(
        {
            "indicator_id": out["indicator_id"],
            "indicator_version": out["indicator_version"],
            "programme_id": out["k0"],
            "period_start": [plan.periods[int(p)].start for p in out["pidx"]],
            "period_end": ends.to_numpy(),
            **{k: out[f"k{n + 1}"] for n, k in enumerate(plan.split_cols)},
            "numerator": num,
            "denominator": den,
            "value": val,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "status": status,
            "suppressed": False,
            "_o": out["order"],
        }
    )
    return result.sort_values(
        ["_o", "programme_id", "period_start", *plan.split_cols], kind="stable"
    ).drop(columns="_o")


def wilson_arrays(
    num: np.ndarray,
    den: np.ndarray,
    z: float = Z95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals, element-wise (NaN where den is 0 or missing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = num / den
        denom = 1 + z * z / den
        centre = (p + z * z / (2 * den)) / denom
        half = z * np.sqrt(p * (1 - p) / den + z * z / (4 * den * den)) / denom
        return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _targets(cur: duckdb.DuckDBPyConnection, out: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    targets = cur.execute(
        "SELECT programme_id, indicator_id, period_start, period_end, target, baseline "
        "FROM current_targets"
    ).df()
    if targets.empty:
        out["target"] = None
        out["baseline"] = None
        return out
    for c in ("period_start", "period_end"):
        targets[c] = pd.to_datetime(targets[c]).dt.date
    merged = out.merge(
        targets, on=["programme_id", "indicator_id", "period_start", "period_end"], how="left"
    )
    return merged


def _completeness(
    out: pd.DataFrame, plan: _Plan, request: IndicatorRequest, rows_of: _Completeness
) -> pd.DataFrame:
    """``completeness``: the lowest share filled in of the optional fields the indicator uses
    (per programme and period; empty for indicators that use none, and for totals)."""
    fields = {i.id: i.optional_fields for i in plan.indicators if i.optional_fields}
    out["completeness"] = float("nan")
    if not fields or plan.group_by_attr:
        return out
    comp = rows_of(plan.periods, request)
    for ind_id, wanted in fields.items():
        sub = (
            comp[comp.field.isin(wanted)]
            .groupby(["programme_id", "period_start", "period_end"], as_index=False)["share"]
            .min()
        )
        rows = out.indicator_id == ind_id
        merged = out.loc[rows, ["programme_id", "period_start", "period_end"]].merge(
            sub, on=["programme_id", "period_start", "period_end"], how="left"
        )
        out.loc[rows, "completeness"] = merged["share"].to_numpy()
    return out
