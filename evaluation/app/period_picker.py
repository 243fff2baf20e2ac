"""The one period picker of the dashboard: a menu of periods in, ``Period`` values out.

Every page that lets a person choose a period draws it with this component, so they all offer
whole periods that are over in the data, name them with the one label function, and hand the
package ``Period`` values (never labels to look up again). What is offered is decided by the
package (``evaluation.periods.recent_periods`` for one period, ``series_choices`` for several;
``reports.spec.period_choices`` for a template's kind); the page only says where to draw it.

The widget's value is the option's stable key (a period's ``spec`` such as ``2026-Q3``, or a
series name such as ``quarters``), shown by its label, so tests and saved session state find the
same choice whatever the labels read. Where the menu allows it, a "Custom" entry opens a text
field (key ``<key>_custom``) for a ``SPEC``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from evaluation.app.render import in_this_language
from evaluation.periods import CUSTOM, Period, PeriodChoices, PeriodError, custom_help
from evaluation.vocabulary.language import _, n_

__all__ = ["pick_period", "pick_periods"]


def pick_periods(
    choices: PeriodChoices,
    *,
    key: str,
    label: str | None = None,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> tuple[Period, ...]:
    """Draw the picker of ``choices`` under widget ``key`` and return the periods chosen.

    ``label`` (already in the reader's language) defaults to "Periods" in it.

    ``where`` is the column or container to draw in (the page's main area by default). A
    typed ``SPEC`` that is not one raises ``PeriodError`` (a sentence), which the page's
    ``render.sentences()`` shows.
    """
    ui: Any = st if where is None else where
    keys = choices.keys
    chosen = ui.selectbox(
        label or _("Periods"),
        keys,
        index=keys.index(choices.default_key),
        format_func=in_this_language(choices.label),
        key=key,
        help=help,
    )
    if chosen != CUSTOM:
        return choices.option(chosen).periods
    start = choices.default_key
    default = choices.option(start).spec if start != CUSTOM else ""
    spec = ui.text_input(
        _("Custom periods"), value=default, key=f"{key}_custom", help=custom_help()
    )
    return choices.typed(spec)


def pick_period(
    choices: PeriodChoices,
    *,
    key: str,
    label: str | None = None,
    help: str | None = None,
    where: DeltaGenerator | None = None,
) -> Period:
    """``pick_periods`` for a page that shows one period; a typed ``SPEC`` must name one."""
    periods = pick_periods(choices, key=key, label=label or _("Period"), help=help, where=where)
    if len(periods) != 1:
        raise PeriodError(
            n_(
                "This page shows one period at a time; {n} was given. Write one, e.g. 2025-Q2.",
                "This page shows one period at a time; {n} were given. Write one, e.g. 2025-Q2.",
                len(periods),
            )
        )
    return periods[0]
