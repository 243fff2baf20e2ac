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
* one precision a sentence: rates and shares are whole percents and counts whole numbers;
  every other number of the sentence (the figure, the previous period's, the target) takes
  the decimals the most precise of them needs (``numbers.decimals_for``: none for whole
  numbers, one, up to two below 1), so ``0.44 leavers per head … (0.10 leavers per head)``,
  never ``0.44 … (0.1 …)``; only an exact zero stays ``0``;
* the indicator's caveats (O12: "known to the programme only") follow its sentence.

The figures reach this module already protected: a hidden figure arrives as ``None``.

Every sentence is written in the language of the moment (``vocabulary.language``): the
sentences are whole messages with named places (``{period}``, ``{value}``), so a translation
orders them as its grammar needs; numbers follow the language too (``vocabulary.numbers``) and
periods are named by the one label function. ``draft`` makes a list of sentences without
repeating one, and names every hidden figure in one sentence instead of one each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel.lists import format_list

from evaluation.measures.catalogue import Indicator
from evaluation.periods import Period, in_period, label
from evaluation.vocabulary import numbers
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.language import _, current, n_
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


def period_label(period: Period) -> str:
    """The period's label in the language of the moment (English where labels lack it)."""
    return label(period)


def day_text(day: date | None) -> str:
    """A date in a sentence, in the language of the moment, through ``numbers.day`` (one
    English form everywhere): ``30 June 2025`` (English spells the month out), ``30.06.2025``."""
    if day is None:
        return _("not known")
    english = current().split("_")[0] == numbers.DEFAULT_LOCALE
    return numbers.day(day, width="long" if english else "medium")


def and_list(items: Sequence[str]) -> str:
    """``A, B and C`` in the language of the moment."""
    lang = current()
    if not items:
        return ""
    return format_list(list(items), locale="en_GB" if lang == "en" else lang)


def indicator_name(ind: Indicator) -> str:
    """``Drop-out rate (O02)``: the indicator's name in the language of the moment."""
    return f"{_(ind.name)} ({ind.id})"


def _shown(ind: Indicator, x: float, places: int | None = None) -> str:
    """The figure with its unit where a sentence needs one (``12.5 days``), a number with
    ``places`` decimals when given (see ``_places``)."""
    text = numbers.figure(x, ind.kind, ind.unit, lang=current(), places=places)
    if ind.kind in PERCENT_KINDS or ind.kind == "count" or is_money(ind.unit):
        return text
    return f"{text} {_(ind.unit)}"


def _noun(ind: Indicator) -> str | None:
    noun = denominator_noun(ind.unit)
    return _(noun) if noun else None


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
    """One or two sentences about ``ind`` in ``period`` (see the module's rules); its caveats
    follow a figure that is stated."""
    text = _sentence(ind, now, before, period, previous, phrase, missing_tables, target, data_as_of)
    if now.suppressed:
        return text
    return text + "".join(" " + _(c.strip()) for c in ind.caveats)


def hidden_sentence(inds: Sequence[Indicator], period: Period) -> str:
    """One sentence naming every indicator whose figure for ``period`` is hidden."""
    return n_(
        "{names}: the figure for {period} is hidden to protect small numbers, so it is not "
        "stated here.",
        "{names}: the figures for {period} are hidden to protect small numbers, so they are not "
        "stated here.",
        len(inds),
        names=and_list([indicator_name(i) for i in inds]),
        period=period_label(period),
    )


def draft(
    inds: Sequence[Indicator],
    say: Callable[[Indicator], str],
    hidden: Callable[[Indicator], bool],
    period: Period,
    *,
    skip: Sequence[Indicator] = (),
) -> list[str]:
    """The drafted sentences about ``inds`` (those in ``skip`` left out: they were stated
    already), each once; the hidden figures named together in the last sentence."""
    left_out = {i.key for i in skip}
    chosen = list({i.key: i for i in inds if i.key not in left_out}.values())
    texts = [say(i) for i in chosen if not hidden(i)]
    covered = [i for i in chosen if hidden(i)]
    if covered:
        texts.append(hidden_sentence(covered, period))
    return list(dict.fromkeys(texts))


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
    name = indicator_name(ind)
    when = period_label(period)
    if now.suppressed:
        return hidden_sentence([ind], period)
    if now.status == "no_data" or now.value is None:
        absent = [t for t in ind.sources if t in set(missing_tables)]
        if absent:
            why = n_(
                "the table {tables} was not supplied",
                "the tables {tables} were not supplied",
                len(absent),
                tables=and_list([code_label("table", t) for t in absent]),
            )
        elif ind.kind in ("proportion", "median", "ratio") and _noun(ind):
            why = _("there were no {noun} in the period", noun=_noun(ind))
        else:
            why = _("there was nothing to compute it from")
        return _("{name}: no figure for {period}, because {why}.", name=name, period=when, why=why)
    lang = current()
    partial = now.status == "partial_period"
    places = _places(now, before, None if partial else target)
    value = _shown(ind, now.value, places)
    if phrase:
        said = _(phrase).format(value=value)
        during = in_period(period)
        text = _("{in_period}, {phrase}", in_period=during[:1].upper() + during[1:], phrase=said)
    else:
        text = _("{name} in {period}: {value}", name=_(ind.name), period=when, value=value)
    if ind.kind == "proportion" and now.numerator is not None and now.denominator is not None:
        detail = _(
            "{num} of {den} {noun}",
            num=numbers.count(now.numerator, lang),
            den=numbers.count(now.denominator, lang),
            noun=_noun(ind) or "",
        ).rstrip()
        if now.ci_low is not None and now.ci_high is not None:
            detail = _(
                "{detail}; 95 % interval {interval}",
                detail=detail,
                interval=numbers.interval(now.ci_low, now.ci_high, lang),
            )
        text += f" ({detail})"
    if partial:
        if data_as_of:
            text += ". " + _(
                "{period} is not over in the data (data as of {date}), so the figure may "
                "still change",
                period=when,
                date=day_text(data_as_of),
            )
        else:
            text += ". " + _(
                "{period} is not over in the data, so the figure may still change", period=when
            )
    else:
        text += _comparison(ind, now, before, previous, places)
        if target is not None:
            text += _against_target(ind, now.value, target, places)
    return text + "."


def _places(now: Figure, before: Figure, target: float | None) -> int:
    """The decimals every number of one sentence takes (``numbers.decimals_for``): the most
    that the figure, the previous period's (unless hidden) and the target need, so that one
    quantity never reads with two precisions (``0.44 … (0.10 …)``, never ``0.44 … (0.1 …)``)."""
    was = None if before.suppressed or before.status == "no_data" else before.value
    return numbers.decimals_for([now.value, was, target])


def _comparison(
    ind: Indicator, now: Figure, before: Figure, previous: Period, places: int | None = None
) -> str:
    lang = current()
    then = period_label(previous)
    during = in_period(previous)
    if before.suppressed:
        return _("; the figure for {period} is hidden to protect small numbers", period=then)
    if before.value is None or before.status == "no_data" or now.value is None:
        return ""
    if ind.kind in PERCENT_KINDS:
        points = round((now.value - before.value) * 100)
        was = numbers.percent(before.value, lang)
        if points == 0:
            text = _(", the same as {in_period} ({was})", in_period=during, was=was)
        else:
            size = n_(
                "{n} percentage point",
                "{n} percentage points",
                abs(points),
                n=numbers.count(abs(points), lang),
            )
            if points > 0:
                text = _(
                    ", {size} higher than {in_period} ({was})",
                    size=size,
                    in_period=during,
                    was=was,
                )
            else:
                text = _(
                    ", {size} lower than {in_period} ({was})", size=size, in_period=during, was=was
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
            text += _("; the difference is within the uncertainty of the figures")
        return text
    was = _shown(ind, before.value, places)
    if before.value == now.value:
        return _(", the same as {in_period}", in_period=during)
    if before.value == 0:
        return _(", up from 0 {in_period}", in_period=during)
    change = (now.value - before.value) / before.value
    share = numbers.percent(abs(change), lang)
    if change > 0:
        return _(", {share} more than {in_period} ({was})", share=share, in_period=during, was=was)
    if ind.kind == "count":
        return _(", {share} fewer than {in_period} ({was})", share=share, in_period=during, was=was)
    return _(", {share} less than {in_period} ({was})", share=share, in_period=during, was=was)


def _against_target(ind: Indicator, value: float, target: float, places: int | None = None) -> str:
    shown = _shown(ind, target, places)
    if abs(value - target) < 1e-9:
        return _("; the target was {target} and was reached exactly", target=shown)
    if ind.direction == "neutral":
        return _("; the target was {target}", target=shown)
    better = value > target if ind.direction == "higher" else value < target
    if better:
        return _("; the target was {target}, which was met", target=shown)
    return _("; the target was {target}, which was not met", target=shown)
