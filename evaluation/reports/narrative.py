"""Drafted narrative: factual sentences generated from a report's figures.

Each sentence states an indicator's figure in the period, the change against the period before
and the target, and nothing else: no causes, no judgements, no "improved". Rules that keep the
draft honest:

* a hidden (suppressed) figure is never stated, nor anything it could be worked out from (a
  change, a target gap); the sentence says the figure is hidden;
* ``no_data`` says why (a table not supplied, nothing to count) instead of a zero;
* a period that is not over in the data is said to be so, and a count is not compared with
  the previous whole period or the target (it may still grow);
* a change of a rate is given in percentage points, and when the two 95 % intervals overlap
  the sentence says the difference is within the uncertainty of the figures;
* the indicator's caveats (O12: "known to the programme only") follow its sentence.

The figures reach this module already protected: a hidden figure arrives as ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from evaluation.measures.catalogue import Indicator
from evaluation.periods import Period
from evaluation.vocabulary import numbers
from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.units import denominator_noun, is_money


@dataclass(frozen=True)
class Figure:
    value: float | None
    numerator: float | None
    denominator: float | None
    ci_low: float | None
    ci_high: float | None
    status: str
    suppressed: bool
    completeness: float | None


def _shown(ind: Indicator, x: float) -> str:
    """The figure with its unit where a sentence needs one (``12.5 days``)."""
    text = numbers.figure(x, ind.kind, ind.unit)
    if ind.kind in PERCENT_KINDS or ind.kind == "count" or is_money(ind.unit):
        return text
    return f"{text} {ind.unit}"


def _noun(ind: Indicator) -> str | None:
    return denominator_noun(ind.unit)


def sentence(
    ind: Indicator,
    now: Figure,
    before: Figure,
    period: Period,
    previous: Period,
    phrase: str | None = None,
    *,
    missing_tables: Sequence[str] = (),
    target: float | None = None,
    data_as_of: date | None = None,
) -> str:
    """One or two sentences about ``ind`` in ``period`` (see the module's rules)."""
    caveats = "".join(" " + c.strip() for c in ind.caveats)
    return (
        _sentence(ind, now, before, period, previous, phrase, missing_tables, target, data_as_of)
        + caveats
    )


def _sentence(
    ind: Indicator,
    now: Figure,
    before: Figure,
    period: Period,
    previous: Period,
    phrase: str | None,
    missing_tables: Sequence[str],
    target: float | None,
    data_as_of: date | None,
) -> str:
    name = f"{ind.name} ({ind.id})"
    if now.suppressed:
        return (
            f"{name}: the figure for {period.label} is hidden to protect small numbers, "
            "so it is not stated here."
        )
    if now.status == "no_data" or now.value is None:
        absent = [t for t in ind.sources if t in set(missing_tables)]
        if absent:
            why = f"the table {' and '.join(absent)} was not supplied"
        elif ind.kind in ("proportion", "median", "ratio") and _noun(ind):
            why = f"there were no {_noun(ind)} in the period"
        else:
            why = "there was nothing to compute it from"
        return f"{name}: no figure for {period.label}, because {why}."
    value = _shown(ind, now.value)
    if phrase:
        text = f"In {period.label} {phrase.format(value=value)}"
    else:
        text = f"{ind.name} in {period.label}: {value}"
    if ind.kind == "proportion" and now.numerator is not None and now.denominator is not None:
        of = f"{numbers.count(now.numerator)} of {numbers.count(now.denominator)}"
        text += f" ({of} {_noun(ind) or ''}".rstrip()
        if now.ci_low is not None and now.ci_high is not None:
            text += f"; 95 % interval {numbers.interval(now.ci_low, now.ci_high)}"
        text += ")"
    partial = now.status == "partial_period"
    if partial:
        as_of = f" (data as of {data_as_of.isoformat()})" if data_as_of else ""
        text += f". {period.label} is not over in the data{as_of}, so the figure may still change"
    else:
        text += _comparison(ind, now, before, previous)
        if target is not None:
            text += _against_target(ind, now.value, target)
    return text + "."


def _comparison(ind: Indicator, now: Figure, before: Figure, previous: Period) -> str:
    if before.suppressed:
        return f"; the figure for {previous.label} is hidden to protect small numbers"
    if before.value is None or before.status == "no_data" or now.value is None:
        return ""
    if ind.kind in PERCENT_KINDS:
        points = round((now.value - before.value) * 100)
        was = numbers.percent(before.value)
        if points == 0:
            text = f", the same as in {previous.label} ({was})"
        else:
            size = numbers.points(abs(now.value - before.value), short=False).lstrip("+")
            text = (
                f", {size} {'higher' if points > 0 else 'lower'} than in {previous.label} ({was})"
            )
        overlap = (
            now.ci_low is not None
            and now.ci_high is not None
            and before.ci_low is not None
            and before.ci_high is not None
            and now.ci_low <= before.ci_high
            and before.ci_low <= now.ci_high
        )
        if points != 0 and overlap:
            text += "; the difference is within the uncertainty of the figures"
        return text
    was = _shown(ind, before.value)
    if before.value == now.value:
        return f", the same as in {previous.label}"
    if before.value == 0:
        return f", up from 0 in {previous.label}"
    change = (now.value - before.value) / before.value
    word = "more" if change > 0 else "less"
    if ind.kind == "count":
        word = "more" if change > 0 else "fewer"
    return f", {numbers.percent(abs(change))} {word} than in {previous.label} ({was})"


def _against_target(ind: Indicator, value: float, target: float) -> str:
    shown = _shown(ind, target)
    if abs(value - target) < 1e-9:
        return f"; the target was {shown} and was reached exactly"
    if ind.direction == "neutral":
        return f"; the target was {shown}"
    better = value > target if ind.direction == "higher" else value < target
    return f"; the target was {shown}, which was {'met' if better else 'not met'}"
