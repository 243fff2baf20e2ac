"""Settings of the platform: declared once here, read from the environment when asked.

Why a registry (datasette's ``SETTINGS`` is the model): a value an organisation may change, such
as the month its financial year starts in, must not be a literal in the page that happens to
need it. Each :class:`Setting` names itself, its default, its type and what it means; the
environment variable that overrides it is derived from its name (``EVALUATION_`` + the name in
capitals); :func:`value` reads and validates it, refusing a bad value with a sentence. The
settings and their variables are listed in ``docs/settings.md`` (a test checks that every
setting is there).

Values are read on every call rather than once at import, so a test or a restarted dashboard
sees the environment as it is; reading one variable costs nothing next to a query.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from evaluation.errors import EvaluationError

__all__ = [
    "SETTINGS",
    "Setting",
    "SettingError",
    "financial_year_start",
    "setting",
    "value",
]

ENV_PREFIX = "EVALUATION_"


class SettingError(EvaluationError, ValueError):
    """A setting has a value it cannot take, or there is no such setting; says which and why."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, type and meaning, and the bounds of a number."""

    name: str
    default: int
    description: str
    type: type[int] = int
    minimum: int | None = None
    maximum: int | None = None
    meaning: str = ""
    """How a valid value reads, for the refusal sentence (``a month number, 1 = January``)."""

    @property
    def env(self) -> str:
        """The environment variable that overrides the default."""
        return ENV_PREFIX + self.name.upper()

    def parse(self, text: str) -> int:
        """``text`` (from the environment) as this setting's value, or :class:`SettingError`."""
        wanted = self.meaning or f"a whole number from {self.minimum} to {self.maximum}"
        try:
            number = self.type(text.strip())
        except ValueError:
            number = None
        if number is None or not self._in_bounds(number):
            shown = text.strip()[:40]
            raise SettingError(
                f"{self.env} must be {wanted}, not “{shown}”; unset it to use the default, "
                f"{self.default}."
            )
        return number

    def _in_bounds(self, number: int) -> bool:
        return (self.minimum is None or number >= self.minimum) and (
            self.maximum is None or number <= self.maximum
        )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="financial_year_start",
        default=4,
        description=(
            "The month the organisation's financial year starts in (1 = January … "
            "12 = December). The period pickers offer financial years starting in this "
            "month, labelled by the two years they touch (FY 2025/26)."
        ),
        minimum=1,
        maximum=12,
        meaning="a month number from 1 (January) to 12 (December)",
    ),
)
"""Every setting, in the order the docs list them."""


def setting(name: str) -> Setting:
    """The declared setting called ``name`` (:class:`SettingError` when there is none)."""
    for s in SETTINGS:
        if s.name == name:
            return s
    raise SettingError(
        f"There is no setting “{name}”; the settings are {', '.join(s.name for s in SETTINGS)}."
    )


def value(name: str, environ: Mapping[str, str] | None = None) -> int:
    """The value of setting ``name``: its environment variable when set (and not empty), else
    its default. ``environ`` defaults to ``os.environ``."""
    s = setting(name)
    text = (os.environ if environ is None else environ).get(s.env, "")
    return s.parse(text) if text.strip() else s.default


def financial_year_start(environ: Mapping[str, str] | None = None) -> int:
    """The first month (1-12) of the organisation's financial year (default 4, April)."""
    return value("financial_year_start", environ)
