"""The demo's releases: what its organisations approve right after loading, so that a funder
sees figures at once.

Nothing is shared before a CSO approves it (``docs/spec/releases.md``), so a fresh demo would
show a funder only refusals. Each demo organisation therefore approves, for its programmes, the
periods the dashboard offers by default (``demo_periods``), as its CSO manager would on the
Approvals page, recorded as the local operator with a note saying so.

The note's language: a release note is a person's free text and is shown as it was written. The
demo's note is no person's text but the platform's own sentence, and one demo store is read in
every language the platform speaks, so it is stored as its English source (``NOTE``, like every
text the store keeps) and shown in the reader's language (``note_text``); a prebuilt demo store
needs no rebuilding for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from evaluation.periods import Period, recent_periods, series_choices, whole_periods_before
from evaluation.progress import Progress, no_progress
from evaluation.reports.model import trend_periods
from evaluation.reports.spec import ReportTemplate, load_templates, period_choices
from evaluation.sharing.releases import Release, ReleaseError, approve_each
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.store.users import OPERATOR
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary.language import N_, _

NOTE = N_("Approved by the demo for its fictional organisations: the periods shown first.")
"""The note of every demo release, stored as it is here and read through ``note_text``."""
MONTHS = 3
"""Months approved: those of the latest quarter, for a funder who types one."""


def demo_periods(
    data_as_of: date, first_date: date | None, templates: Iterable[ReportTemplate]
) -> list[Period]:
    """The periods the dashboard shows first for data up to ``data_as_of``, with what each
    needs besides, oldest first, each once.

    The newest period of each kind a single-period picker offers (quarter, half-year, year,
    financial year) and the one before it (the programme page compares them); the explorer's
    default series (the latest quarter, the last 8 quarters, which the comparison's trend also
    shows); each template's default period with the period before and its trend periods; and
    the last ``MONTHS`` months. Not every period a picker offers: approving costs time, and a
    CSO manager approves the rest on the Approvals page when a funder asks."""
    found: list[Period] = []
    newest: dict[str, Period] = {}
    for p in recent_periods(data_as_of, first_date):
        newest.setdefault(p.kind, p)
    for p in newest.values():
        found += [p, p.previous()]
    choices = series_choices(data_as_of)
    for key in ("latest", "quarters"):
        found += choices.option(key).periods
    for template in templates:
        offered = period_choices(template, data_as_of, first_date)
        if offered:
            p = offered[0]
            found += [p, p.previous(), *trend_periods(template, p)]
    found += whole_periods_before("month", data_as_of, MONTHS)
    unique = {(p.start, p.end): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.start, p.end))


def note_text(note: object) -> str:
    """A release's note as its reader reads it: the demo's own note (``NOTE``) in the language
    of the moment; any other note, a person's words, as it was written."""
    text = "" if note is None or (isinstance(note, float) and note != note) else str(note)
    return _(NOTE) if text == NOTE else text


def approve_demo(store: Store, *, progress: Progress | None = None) -> list[Release]:
    """One release per demo organisation covering ``demo_periods`` for its programmes; none
    when every one is already released with the same data (a no-op on a second load)."""
    say = progress or no_progress
    cur = store.cursor()
    programmes = programmes_in_scope(cur, Scope.everything())
    if programmes.empty:
        return []
    firsts = [d for d in programmes["first_date"] if d is not None and d == d]
    periods = demo_periods(
        max(programmes["data_as_of"]), min(firsts) if firsts else None, load_templates()
    )
    try:
        return approve_each(
            store,
            tuple(programmes["programme_id"]),
            periods,
            actor=OPERATOR,
            note=NOTE,
            progress=say,
        )
    except ReleaseError:
        if _all_released(store, tuple(programmes["programme_id"]), periods):
            return []
        raise


def _all_released(store: Store, programmes: tuple[str, ...], periods: list[Period]) -> bool:
    from evaluation.sharing.releases.read import coverage

    cover = coverage(store, programmes, periods)
    return len(cover) == len(programmes) * len(periods)
