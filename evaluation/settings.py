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
from evaluation.vocabulary.language import N_, _

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
    """How a valid value reads, for the refusal sentence (``a month number, 1 = January``);
    marked with ``N_`` and translated where the sentence is made."""

    @property
    def env(self) -> str:
        """The environment variable that overrides the default."""
        return ENV_PREFIX + self.name.upper()

    def parse(self, text: str) -> int:
        """``text`` (from the environment) as this setting's value, or :class:`SettingError`."""
        wanted = (
            _(self.meaning)
            if self.meaning
            else _(
                "a whole number from {minimum} to {maximum}",
                minimum=self.minimum,
                maximum=self.maximum,
            )
        )
        try:
            number = self.type(text.strip())
        except ValueError:
            number = None
        if number is None or not self._in_bounds(number):
            shown = text.strip()[:40]
            raise SettingError(
                _(
                    "{env} must be {wanted}, not “{shown}”; unset it to use the default, "
                    "{default}.",
                    env=self.env,
                    wanted=wanted,
                    shown=shown,
                    default=self.default,
                )
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
        meaning=N_("a month number from 1 (January) to 12 (December)"),
    ),
    Setting(
        name="store_idle_seconds",
        default=3,
        description=(
            "How long the dashboard keeps the store file open after the last page used it. "
            "While it is closed, command-line programs (a backup, a report, an ingest) can open "
            "it; the dashboard lets go at once when one of them asks, whatever this says."
        ),
        minimum=0,
        maximum=3600,
    ),
    Setting(
        name="store_wait_seconds",
        default=600,
        description=(
            "How long a command waits for the store while another program (the dashboard, or "
            "another command) uses it, before it gives up and says so."
        ),
        minimum=0,
        maximum=86400,
    ),
    Setting(
        name="sign_in_delay_after",
        default=3,
        description=(
            "Failed sign-ins (of one account name, or from one computer) after which each "
            "further attempt must wait: 1 second after the first of them, then twice as long "
            "each time, up to `sign_in_delay_max_seconds`."
        ),
        minimum=1,
        maximum=100,
    ),
    Setting(
        name="sign_in_delay_max_seconds",
        default=30,
        description="The longest wait between two sign-in attempts, in seconds.",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        name="sign_in_lock_after",
        default=10,
        description=(
            "Failed sign-ins of one account name within `sign_in_window_minutes` that lock it "
            "for `sign_in_lock_minutes`; even the right password is refused until then."
        ),
        minimum=2,
        maximum=1000,
    ),
    Setting(
        name="sign_in_client_lock_after",
        default=30,
        description=(
            "Failed sign-ins from one computer (its network address, or its browser session "
            "when the address is not known) within `sign_in_window_minutes`, whatever the "
            "names tried, that lock sign-in from there for `sign_in_lock_minutes`."
        ),
        minimum=2,
        maximum=10000,
    ),
    Setting(
        name="sign_in_window_minutes",
        default=15,
        description="The minutes over which failed sign-ins are counted towards a lock.",
        minimum=1,
        maximum=1440,
    ),
    Setting(
        name="sign_in_lock_minutes",
        default=15,
        description="How long a locked account or computer must wait, in minutes.",
        minimum=1,
        maximum=1440,
    ),
    Setting(
        name="trusted_proxies",
        default=0,
        description=(
            "The number of reverse proxies in front of the dashboard. With 0 the computer "
            "signing in is the address the dashboard sees; with 1 or more it is read from the "
            "`X-Forwarded-For` header that many entries from its end (set it only when every "
            "request passes those proxies, or the header could be forged)."
        ),
        minimum=0,
        maximum=10,
    ),
)
"""Every setting, in the order the docs list them."""


def setting(name: str) -> Setting:
    """The declared setting called ``name`` (:class:`SettingError` when there is none)."""
    for s in SETTINGS:
        if s.name == name:
            return s
    raise SettingError(
        _(
            "There is no setting “{name}”; the settings are {names}.",
            name=name,
            names=", ".join(s.name for s in SETTINGS),
        )
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
