"""Synthetic, fictional programme data packages (format v1) for demos, tests and benchmarks.

Why this exists: every part of the platform (ingest, validation, indicators, reports, the
funder views, benchmarks) must be shown and exercised on realistic packages without a single
real client record. The generator therefore produces packages that

* follow every rule of ``docs/spec/data-format.md`` (so a clean ingest is the baseline and
  any validation finding is a bug somewhere else);
* exercise every indicator of ``docs/spec/indicators-v1.md``: releases followed by contacts,
  needs with statuses, assessments, outcomes, referrals, capacity, funding committed beyond
  ``data_as_of``, staffing per quarter and targets;
* span the typology of exit work (open-setting exit, prison-probation continuum, post-release
  with mandated participants, family-support helpline, pre-trial case conferencing);
* carry only fictional organisation, programme and funder names, each marked "(fictional)", so
  synthetic numbers are never attached to a real organisation.

Tables and vocabularies come from :mod:`evaluation.store.schema`, the one registry; a
vocabulary value
used here that the registry does not know fails at import time.

Tables are returned the way a CSV of the package would hold them: every column a string column
in registry order, ISO dates, ``true``/``false``, numbers as text and nulls for missing optional
values. ``scale="large"`` (about 500 programmes, 100 000 cases, 10 000 000 contacts) is generated
fully vectorised for load and performance testing.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evaluation.store.schema import EARLIEST_DATE, TABLES, TABLES_BY_NAME
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.names import FICTIONAL, shown_name
from evaluation.vocabulary.numbers import count

__all__ = [
    "DEMO_ORGANISATIONS",
    "FICTIONAL",
    "XLSX_MAX_ROWS",
    "DemoPackage",
    "generate",
    "shown_name",
    "write_demo",
    "write_package",
]

Scale = Literal["demo", "large"]
Container = Literal["xlsx", "zip", "folder"]

XLSX_MAX_ROWS = 1_000_000  # a sheet holds 1 048 576 rows; refuse well before that

_EPOCH = date(1970, 1, 1)
_BIG = 10_000_000  # day number meaning "has not happened (yet)"; any day > data_as_of is null
_EARLIEST = (date.fromisoformat(EARLIEST_DATE) - _EPOCH).days

_LARGE_PROGRAMMES = 500
_LARGE_ORGANISATIONS = 120
_LARGE_CASES = 100_000
_LARGE_CONTACTS = 10_000_000


@dataclass
class DemoPackage:
    """One organisation's programme data package, as the tables a CSV export would hold."""

    name: str  # file-name stem, e.g. "nordlicht-exit"
    organisation: str
    tables: dict[str, pa.Table] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Registry helpers


def _vocab(table: str, column: str) -> tuple[str, ...]:
    return TABLES_BY_NAME[table].column(column).vocab


def _code(table: str, column: str, value: str) -> int:
    return _vocab(table, column).index(value)


def _p(table: str, column: str, weights: dict[str, float]) -> np.ndarray:
    """Probability vector over the registry vocabulary, in registry order."""
    vocab = _vocab(table, column)
    unknown = set(weights) - set(vocab)
    if unknown:
        raise ValueError(f"{table}.{column}: not in the registry vocabulary: {sorted(unknown)}")
    p = np.array([weights.get(v, 0.0) for v in vocab], dtype=np.float64)
    return p / p.sum()


def _by_vocab(table: str, column: str, values: dict[str, float], default: float) -> np.ndarray:
    vocab = _vocab(table, column)
    unknown = set(values) - set(vocab)
    if unknown:
        raise ValueError(f"{table}.{column}: not in the registry vocabulary: {sorted(unknown)}")
    return np.array([values.get(v, default) for v in vocab], dtype=np.float64)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _date(n: int) -> date:
    return _EPOCH + timedelta(days=int(n))


def _shift_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


# --------------------------------------------------------------------------------------------
# Programme archetypes (the typology of exit work)


@dataclass(frozen=True)
class _Arch:
    """Parameters of one kind of programme; probabilities are converted to registry order."""

    key: str
    intervention_type: str
    setting: str
    client_type: dict[str, float]
    referral: dict[str, float]
    participation: dict[str, float]
    intake: dict[str, float]
    ideology: dict[str, float]
    risk: dict[str, float]
    closure: dict[str, float]
    custody: str  # none | prison_probation | post_release | pre_trial
    duration_days: float  # median length of support (after release where there is one)
    request_missing: float  # share of cases without first_request_on
    request_lag_p: float  # geometric p of days from first request to first contact
    open_same_day: float  # share of cases opened on the day of the first contact
    plan_rate: float
    plan_days: float
    contact_rate: float  # contacts per day at opening (exit participants)
    contact_tau: float  # days over which contact frequency decays by 1/e
    fast_contact: float  # share of releases followed by a contact within days
    burst: float  # expected extra contacts in the 90 days after a release
    activities: dict[str, float]
    staff: dict[str, float]
    modes: dict[str, float]
    reoffend: float
    assessment_rate: float
    tools: dict[str, float]
    capacity_per_month: float
    audiences: dict[str, float]
    headcount: tuple[int, int]
    formers: tuple[int, int]
    case_weight: float
    targets: tuple[tuple[str, float], ...]  # (indicator_id, proportion or count multiplier)


_CUSTODY_MODES = {"in_person": 0.72, "video": 0.1, "letter": 0.1, "phone": 0.08}
_CONCERNED_MODES = {"phone": 0.45, "in_person": 0.25, "chat": 0.12, "email": 0.1, "video": 0.08}
_CONCERNED_ACTIVITIES = {
    "family_counselling": 0.55,
    "counselling": 0.2,
    "crisis_intervention": 0.06,
    "group_session": 0.08,
    "practical_support": 0.05,
    "case_conference": 0.02,
    "other": 0.04,
}
_CONCERNED_STAFF = {
    "psychologist": 0.3,
    "social_worker": 0.45,
    "educator": 0.08,
    "former_extremist": 0.05,
    "case_manager": 0.1,
    "other": 0.02,
}
_CONCERNED_REFERRAL = {
    "self": 0.5,
    "helpline": 0.08,
    "school": 0.1,
    "social_services": 0.08,
    "youth_services": 0.07,
    "police": 0.04,
    "online_outreach": 0.07,
    "other_cso": 0.04,
    "unknown": 0.02,
}
_EXIT_GENDER = {"male": 0.8, "female": 0.16, "diverse": 0.01, "unknown": 0.03}
_CONCERNED_GENDER = {"female": 0.64, "male": 0.32, "diverse": 0.01, "unknown": 0.03}
_EXIT_AGE = {
    "under_18": 0.1,
    "18_24": 0.32,
    "25_34": 0.31,
    "35_44": 0.16,
    "45_plus": 0.08,
    "unknown": 0.03,
}
_CONCERNED_AGE = {
    "under_18": 0.01,
    "18_24": 0.04,
    "25_34": 0.1,
    "35_44": 0.3,
    "45_plus": 0.52,
    "unknown": 0.03,
}
_CJS_AUDIENCES = {
    "prison_staff": 0.35,
    "probation_staff": 0.3,
    "police": 0.15,
    "social_workers": 0.1,
    "general_public": 0.05,
    "other": 0.05,
}

_ARCHETYPES: tuple[_Arch, ...] = (
    _Arch(
        key="open_exit",
        intervention_type="stand_alone_exit",
        setting="open",
        client_type={"exit_participant": 0.9, "relative": 0.07, "professional": 0.03},
        referral={
            "self": 0.3,
            "family": 0.12,
            "online_outreach": 0.1,
            "police": 0.12,
            "social_services": 0.07,
            "youth_services": 0.06,
            "municipality": 0.05,
            "school": 0.04,
            "other_cso": 0.06,
            "helpline": 0.03,
            "probation": 0.03,
            "unknown": 0.02,
        },
        participation={"voluntary": 0.93, "mandated": 0.03, "unknown": 0.04},
        intake={"community": 0.9, "probation": 0.05, "prison": 0.02, "unknown": 0.03},
        ideology={
            "right_wing": 0.5,
            "islamist": 0.25,
            "left_wing": 0.06,
            "single_issue": 0.03,
            "conspiracy": 0.08,
            "mixed_unclear": 0.05,
            "other": 0.01,
            "unknown": 0.02,
        },
        risk={"low": 0.3, "medium": 0.4, "high": 0.15, "not_assessed": 0.15},
        closure={
            "goals_achieved": 0.45,
            "planned_transfer": 0.1,
            "client_withdrew": 0.15,
            "lost_contact": 0.14,
            "mandate_ended": 0.01,
            "re_engaged": 0.05,
            "moved_away": 0.03,
            "died": 0.01,
            "other": 0.06,
        },
        custody="none",
        duration_days=420,
        request_missing=0.1,
        request_lag_p=0.3,
        open_same_day=0.6,
        plan_rate=0.85,
        plan_days=30,
        contact_rate=0.22,
        contact_tau=200,
        fast_contact=0.7,
        burst=5,
        activities={
            "counselling": 0.22,
            "mentoring": 0.15,
            "motivational_interviewing": 0.1,
            "biographical_work": 0.12,
            "ideological_dialogue": 0.12,
            "religious_mediation": 0.03,
            "practical_support": 0.14,
            "family_counselling": 0.04,
            "group_session": 0.04,
            "case_conference": 0.02,
            "crisis_intervention": 0.01,
            "other": 0.01,
        },
        staff={
            "social_worker": 0.3,
            "psychologist": 0.08,
            "former_extremist": 0.25,
            "theologian": 0.03,
            "educator": 0.1,
            "case_manager": 0.22,
            "other": 0.02,
        },
        modes={
            "in_person": 0.5,
            "phone": 0.25,
            "video": 0.08,
            "chat": 0.12,
            "email": 0.04,
            "letter": 0.01,
        },
        reoffend=0.06,
        assessment_rate=0.8,
        tools={"ERG22+": 0.3, "VERA-2R": 0.2, "internal": 0.5},
        capacity_per_month=2.5,
        audiences={
            "teachers": 0.25,
            "social_workers": 0.2,
            "youth_workers": 0.2,
            "municipality": 0.1,
            "police": 0.1,
            "general_public": 0.1,
            "health": 0.05,
        },
        headcount=(6, 14),
        formers=(1, 3),
        case_weight=1.0,
        targets=(("C01", 1.1), ("O01", 0.5), ("O02", 0.25), ("K01", 1.0)),
    ),
    _Arch(
        key="prison_probation",
        intervention_type="exit_support",
        setting="criminal_justice",
        client_type={"exit_participant": 0.96, "relative": 0.02, "professional": 0.02},
        referral={
            "prison": 0.45,
            "probation": 0.2,
            "court": 0.05,
            "self": 0.15,
            "other_cso": 0.05,
            "police": 0.03,
            "prosecution": 0.02,
            "unknown": 0.05,
        },
        participation={"voluntary": 0.8, "mandated": 0.15, "unknown": 0.05},
        intake={"prison": 0.75, "probation": 0.22, "unknown": 0.03},
        ideology={
            "right_wing": 0.45,
            "islamist": 0.4,
            "left_wing": 0.04,
            "single_issue": 0.02,
            "conspiracy": 0.03,
            "mixed_unclear": 0.04,
            "unknown": 0.02,
        },
        risk={"low": 0.15, "medium": 0.45, "high": 0.35, "not_assessed": 0.05},
        closure={
            "goals_achieved": 0.35,
            "planned_transfer": 0.15,
            "client_withdrew": 0.12,
            "lost_contact": 0.12,
            "mandate_ended": 0.08,
            "re_engaged": 0.06,
            "moved_away": 0.03,
            "died": 0.01,
            "other": 0.08,
        },
        custody="prison_probation",
        duration_days=330,
        request_missing=0.1,
        request_lag_p=0.2,
        open_same_day=0.7,
        plan_rate=0.9,
        plan_days=35,
        contact_rate=0.16,
        contact_tau=320,
        fast_contact=0.78,
        burst=3,
        activities={
            "counselling": 0.2,
            "mentoring": 0.12,
            "motivational_interviewing": 0.1,
            "biographical_work": 0.1,
            "ideological_dialogue": 0.1,
            "religious_mediation": 0.06,
            "practical_support": 0.14,
            "family_counselling": 0.03,
            "group_session": 0.04,
            "case_conference": 0.09,
            "crisis_intervention": 0.01,
            "other": 0.01,
        },
        staff={
            "social_worker": 0.25,
            "psychologist": 0.1,
            "former_extremist": 0.2,
            "theologian": 0.08,
            "educator": 0.1,
            "case_manager": 0.25,
            "other": 0.02,
        },
        modes={
            "in_person": 0.6,
            "phone": 0.25,
            "video": 0.06,
            "chat": 0.05,
            "email": 0.02,
            "letter": 0.02,
        },
        reoffend=0.12,
        assessment_rate=0.95,
        tools={"VERA-2R": 0.7, "internal": 0.3},
        capacity_per_month=2.0,
        audiences=_CJS_AUDIENCES,
        headcount=(5, 12),
        formers=(1, 3),
        case_weight=1.0,
        targets=(("O06", 0.8), ("C11", 0.7), ("K01", 1.0)),
    ),
    _Arch(
        key="post_release",
        intervention_type="exit_support",
        setting="both",
        client_type={"exit_participant": 0.97, "relative": 0.03},
        referral={"probation": 0.55, "court": 0.25, "prison": 0.15, "unknown": 0.05},
        participation={"mandated": 0.8, "voluntary": 0.15, "unknown": 0.05},
        intake={"prison": 0.6, "probation": 0.4},
        ideology={
            "right_wing": 0.5,
            "islamist": 0.35,
            "left_wing": 0.05,
            "conspiracy": 0.04,
            "mixed_unclear": 0.04,
            "unknown": 0.02,
        },
        risk={"low": 0.15, "medium": 0.5, "high": 0.3, "not_assessed": 0.05},
        closure={
            "mandate_ended": 0.45,
            "goals_achieved": 0.2,
            "planned_transfer": 0.08,
            "client_withdrew": 0.05,
            "lost_contact": 0.08,
            "re_engaged": 0.05,
            "moved_away": 0.03,
            "died": 0.01,
            "other": 0.05,
        },
        custody="post_release",
        duration_days=540,
        request_missing=0.08,
        request_lag_p=0.35,
        open_same_day=0.75,
        plan_rate=0.92,
        plan_days=20,
        contact_rate=0.2,
        contact_tau=250,
        fast_contact=0.88,
        burst=4.5,
        activities={
            "counselling": 0.18,
            "mentoring": 0.15,
            "motivational_interviewing": 0.12,
            "biographical_work": 0.06,
            "ideological_dialogue": 0.08,
            "religious_mediation": 0.03,
            "practical_support": 0.22,
            "family_counselling": 0.03,
            "group_session": 0.03,
            "case_conference": 0.07,
            "crisis_intervention": 0.02,
            "other": 0.01,
        },
        staff={
            "social_worker": 0.3,
            "psychologist": 0.06,
            "former_extremist": 0.22,
            "theologian": 0.04,
            "educator": 0.06,
            "case_manager": 0.3,
            "other": 0.02,
        },
        modes={
            "in_person": 0.62,
            "phone": 0.25,
            "video": 0.04,
            "chat": 0.06,
            "email": 0.02,
            "letter": 0.01,
        },
        reoffend=0.15,
        assessment_rate=0.9,
        tools={"VERA-2R": 0.6, "ERG22+": 0.1, "internal": 0.3},
        capacity_per_month=1.2,
        audiences=_CJS_AUDIENCES,
        headcount=(4, 10),
        formers=(1, 2),
        case_weight=0.9,
        targets=(("O06", 0.85), ("O07", 0.9), ("C09", 0.75)),
    ),
    _Arch(
        key="family_helpline",
        intervention_type="family_support",
        setting="open",
        client_type={
            "relative": 0.72,
            "friend": 0.1,
            "professional": 0.15,
            "exit_participant": 0.03,
        },
        referral={"self": 0.6, "online_outreach": 0.2, "other_cso": 0.1, "unknown": 0.1},
        participation={"voluntary": 0.98, "unknown": 0.02},
        intake={"community": 0.97, "unknown": 0.03},
        ideology={
            "islamist": 0.42,
            "right_wing": 0.26,
            "conspiracy": 0.16,
            "left_wing": 0.03,
            "mixed_unclear": 0.08,
            "unknown": 0.05,
        },
        risk={"not_assessed": 0.9, "low": 0.1},
        closure={
            "goals_achieved": 0.4,
            "planned_transfer": 0.2,
            "client_withdrew": 0.1,
            "lost_contact": 0.2,
            "moved_away": 0.015,
            "died": 0.005,
            "other": 0.08,
        },
        custody="none",
        duration_days=60,
        request_missing=0.0,
        request_lag_p=0.75,
        open_same_day=0.8,
        plan_rate=0.3,
        plan_days=6,
        contact_rate=0.12,
        contact_tau=30,
        fast_contact=0.5,
        burst=2,
        activities=_CONCERNED_ACTIVITIES,
        staff=_CONCERNED_STAFF,
        modes=_CONCERNED_MODES,
        reoffend=0.03,
        assessment_rate=0.2,
        tools={"internal": 1.0},
        capacity_per_month=2.0,
        audiences={
            "teachers": 0.3,
            "social_workers": 0.25,
            "youth_workers": 0.15,
            "health": 0.1,
            "general_public": 0.15,
            "other": 0.05,
        },
        headcount=(3, 8),
        formers=(0, 1),
        case_weight=1.6,
        targets=(("C02", 1.05), ("C06", 0.9), ("O13", 0.6)),
    ),
    _Arch(
        key="pre_trial",
        intervention_type="exit_support",
        setting="criminal_justice",
        client_type={"exit_participant": 0.95, "relative": 0.05},
        referral={
            "prosecution": 0.35,
            "court": 0.3,
            "police": 0.15,
            "prison": 0.1,
            "self": 0.05,
            "unknown": 0.05,
        },
        participation={"voluntary": 0.6, "mandated": 0.35, "unknown": 0.05},
        intake={"pre_trial_detention": 0.85, "prison": 0.1, "unknown": 0.05},
        ideology={
            "islamist": 0.45,
            "right_wing": 0.35,
            "left_wing": 0.06,
            "single_issue": 0.04,
            "conspiracy": 0.04,
            "mixed_unclear": 0.04,
            "unknown": 0.02,
        },
        risk={"low": 0.1, "medium": 0.4, "high": 0.45, "not_assessed": 0.05},
        closure={
            "planned_transfer": 0.35,
            "goals_achieved": 0.2,
            "mandate_ended": 0.1,
            "client_withdrew": 0.1,
            "lost_contact": 0.08,
            "re_engaged": 0.04,
            "moved_away": 0.03,
            "died": 0.01,
            "other": 0.09,
        },
        custody="pre_trial",
        duration_days=90,
        request_missing=0.12,
        request_lag_p=0.4,
        open_same_day=0.65,
        plan_rate=0.8,
        plan_days=25,
        contact_rate=0.25,
        contact_tau=120,
        fast_contact=0.7,
        burst=2,
        activities={
            "counselling": 0.2,
            "mentoring": 0.05,
            "motivational_interviewing": 0.15,
            "biographical_work": 0.08,
            "ideological_dialogue": 0.12,
            "religious_mediation": 0.06,
            "practical_support": 0.1,
            "family_counselling": 0.02,
            "case_conference": 0.19,
            "crisis_intervention": 0.02,
            "other": 0.01,
        },
        staff={
            "social_worker": 0.25,
            "psychologist": 0.15,
            "former_extremist": 0.15,
            "theologian": 0.1,
            "case_manager": 0.3,
            "other": 0.05,
        },
        modes={"in_person": 0.7, "phone": 0.2, "video": 0.08, "letter": 0.02},
        reoffend=0.1,
        assessment_rate=0.9,
        tools={"VERA-2R": 0.8, "internal": 0.2},
        capacity_per_month=1.0,
        audiences=_CJS_AUDIENCES,
        headcount=(3, 7),
        formers=(0, 2),
        case_weight=0.6,
        targets=(("C11", 0.8), ("C09", 0.6)),
    ),
)
_ARCH = {a.key: a for a in _ARCHETYPES}
_ARCH_INDEX = {a.key: i for i, a in enumerate(_ARCHETYPES)}


def _arch_array(getter: Callable[[_Arch], float]) -> np.ndarray:
    return np.array([getter(a) for a in _ARCHETYPES], dtype=np.float64)


def _arch_probs(table: str, column: str, getter: Callable[[_Arch], dict[str, float]]) -> np.ndarray:
    return np.stack([_p(table, column, getter(a)) for a in _ARCHETYPES])


# Validated against the registry at import time.
_P_MODES = _arch_probs("contacts", "mode", lambda a: a.modes)
_P_ACTIVITIES = _arch_probs("contacts", "activity", lambda a: a.activities)
_P_STAFF = _arch_probs("contacts", "staff_role", lambda a: a.staff)
_P_CUSTODY_MODES = _p("contacts", "mode", _CUSTODY_MODES)
_P_CONCERNED_MODES = _p("contacts", "mode", _CONCERNED_MODES)
_P_CONCERNED_ACTIVITIES = _p("contacts", "activity", _CONCERNED_ACTIVITIES)
_P_CONCERNED_STAFF = _p("contacts", "staff_role", _CONCERNED_STAFF)
for _a in _ARCHETYPES:
    for _t, _c, _w in (
        ("cases", "client_type", _a.client_type),
        ("cases", "referral_source", _a.referral),
        ("cases", "participation", _a.participation),
        ("cases", "setting_at_intake", _a.intake),
        ("cases", "ideology", _a.ideology),
        ("cases", "risk_at_intake", _a.risk),
        ("cases", "closure_reason", _a.closure),
        ("capacity", "audience", _a.audiences),
    ):
        _p(_t, _c, _w)
    for _ind, _unused in _a.targets:
        TABLES_BY_NAME["targets"].column("indicator_id").vocab.index(_ind)

_MODE_MINUTES = _by_vocab(
    "contacts",
    "mode",
    {"in_person": 60, "phone": 20, "video": 45, "chat": 30, "email": 10, "letter": 20},
    30,
)
_ACTIVITY_MINUTES = _by_vocab(
    "contacts",
    "activity",
    {"group_session": 120, "case_conference": 75, "crisis_intervention": 50},
    0,
)
_ONLINE_MODES = np.array([m in ("chat", "email", "video") for m in _vocab("contacts", "mode")])

_DOMAINS = _vocab("needs", "domain")
_HARD_DOMAINS = np.array(
    [
        d in ("mental_health", "addiction", "cognitive_ideological", "risk_to_others")
        for d in _DOMAINS
    ]
)
_W_NEEDS_EXIT = _p(
    "needs",
    "domain",
    {
        "mental_health": 0.12,
        "addiction": 0.07,
        "cognitive_ideological": 0.16,
        "housing": 0.09,
        "education": 0.06,
        "employment": 0.1,
        "financial": 0.08,
        "administrative": 0.07,
        "relocation": 0.03,
        "tattoo_removal": 0.04,
        "social_network": 0.1,
        "family": 0.08,
        "safety_of_client": 0.05,
        "risk_to_others": 0.05,
    },
)
_W_NEEDS_CONCERNED = _p(
    "needs",
    "domain",
    {
        "family": 0.45,
        "mental_health": 0.2,
        "safety_of_client": 0.1,
        "risk_to_others": 0.15,
        "social_network": 0.1,
    },
)

# Closure-reason dependent outcome probabilities, in closure-reason vocabulary order.
_P_DISENGAGED = _by_vocab(
    "cases",
    "closure_reason",
    {
        "goals_achieved": 0.85,
        "planned_transfer": 0.55,
        "mandate_ended": 0.5,
        "client_withdrew": 0.15,
        "lost_contact": 0.05,
        "re_engaged": 0.0,
        "moved_away": 0.3,
        "died": 0.0,
        "other": 0.3,
    },
    0.0,
)
_P_EMPLOYMENT = _by_vocab(
    "cases",
    "closure_reason",
    {
        "goals_achieved": 0.45,
        "planned_transfer": 0.35,
        "mandate_ended": 0.3,
        "client_withdrew": 0.1,
        "lost_contact": 0.05,
        "moved_away": 0.2,
        "other": 0.15,
    },
    0.0,
)
_P_IMPROVED = _by_vocab(
    "cases",
    "closure_reason",
    {
        "goals_achieved": 0.85,
        "planned_transfer": 0.6,
        "client_withdrew": 0.2,
        "lost_contact": 0.1,
        "moved_away": 0.3,
        "other": 0.4,
        "mandate_ended": 0.4,
    },
    0.0,
)

# --------------------------------------------------------------------------------------------
# Fictional organisations


@dataclass(frozen=True)
class _ProgSpec:
    programme_id: str
    programme_name: str
    arch: str
    started: tuple[int, int, int]  # (years before data_as_of, month, day)
    n_cases: int
    regions: tuple[str, ...]
    ends: tuple[int, int, int] | None = None  # (years after data_as_of, month, day)


@dataclass(frozen=True)
class _OrgSpec:
    name: str
    organisation: str
    country: str
    source_system: str
    place: str
    region_name: str
    fy_start_month: int
    programmes: tuple[_ProgSpec, ...]
    drop_tables: tuple[str, ...] = ()


_DEMO_ORGS: tuple[_OrgSpec, ...] = (
    _OrgSpec(
        "nordlicht-exit",
        "Nordlicht Ausstiegshilfe e.V. (fictional)",
        "DE",
        "Fallakte Plus (fictional)",
        "Falkenmoor",
        "Nordmark",
        1,
        (
            _ProgSpec(
                "NORD-EXIT",
                "Nordlicht Ausstiegsberatung",
                "open_exit",
                (11, 3, 1),
                220,
                ("DE60", "DEF0", "DE93"),
            ),
            _ProgSpec(
                "NORD-FAMILIE",
                "Nordlicht Angehörigenberatung",
                "family_helpline",
                (6, 9, 1),
                380,
                ("DE60", "DEF0", "DE93", "DE50"),
            ),
        ),
    ),
    _OrgSpec(
        "keerpunt-eikendaal",
        "Stichting Keerpunt Eikendaal (fictional)",
        "NL",
        "Casusdossier (fictional)",
        "Eikendaal",
        "Westerveen",
        1,
        (
            _ProgSpec(
                "KP-NAZORG",
                "Keerpunt Nazorg na Detentie",
                "post_release",
                (2, 1, 1),
                160,
                ("NL33", "NL32", "NL31"),
                ends=(1, 12, 31),
            ),
            _ProgSpec(
                "KP-UITSTAP",
                "Keerpunt Uitstapbegeleiding",
                "open_exit",
                (8, 5, 1),
                140,
                ("NL33", "NL32"),
            ),
        ),
    ),
    _OrgSpec(
        "brovaktarna-bjorkvik",
        "Brovaktarna Björkvik ideell förening (fictional)",
        "SE",
        "Klientreda (fictional)",
        "Björkvik",
        "Norrmark",
        7,
        (
            _ProgSpec(
                "BV-ANSTALT",
                "Björkvik Avhopparstöd i Anstalt och Frivård",
                "prison_probation",
                (9, 1, 1),
                200,
                ("SE11", "SE12", "SE23"),
            ),
        ),
    ),
    _OrgSpec(
        "lindenhag-wendepunkt",
        "Verein Lindenhag Wendepunkt (fictional)",
        "AT",
        "Beratungsdoku (fictional)",
        "Lindenhag",
        "Donautal",
        4,
        (
            _ProgSpec(
                "LH-UHAFT",
                "Lindenhag Fallkonferenzen in der U-Haft",
                "pre_trial",
                (4, 4, 1),
                110,
                ("AT13", "AT12"),
                ends=(1, 3, 31),
            ),
            _ProgSpec(
                "LH-HAFT",
                "Lindenhag Ausstieg in Haft und Bewährung",
                "prison_probation",
                (7, 10, 1),
                150,
                ("AT13", "AT12", "AT31"),
            ),
        ),
    ),
    _OrgSpec(
        "ravnsholt-familie",
        "Ravnsholt Familierådgivning (fictional)",
        "DK",
        "Sagsbog (fictional)",
        "Ravnsholt",
        "Østerlund",
        1,
        (
            _ProgSpec(
                "RH-LINJE",
                "Ravnsholt Pårørenderådgivning",
                "family_helpline",
                (5, 1, 1),
                300,
                ("DK01", "DK03", "DK04"),
            ),
        ),
        # A helpline's system has no risk-assessment or custody module: shows "no data".
        drop_tables=("assessments", "custody_events"),
    ),
)

DEMO_ORGANISATIONS: tuple[str, ...] = tuple(o.organisation for o in _DEMO_ORGS)
"""The demo-scale organisations, in order (the dashboard's demo mode shows the first one's CSO
manager)."""

_FUNDERS: dict[str, dict[str, str]] = {
    "DE": {
        "municipal": "Stadt {place}",
        "regional": "Land {region}",
        "national": "Bundesstiftung Zusammenhalt",
        "private": "Bürgerstiftung {place}",
    },
    "AT": {
        "municipal": "Stadtgemeinde {place}",
        "regional": "Land {region}",
        "national": "Bundesfonds Ausstiegsarbeit",
        "private": "Privatstiftung {place}",
    },
    "NL": {
        "municipal": "Gemeente {place}",
        "regional": "Provincie {region}",
        "national": "Rijksfonds Veilige Samenleving",
        "private": "Stichting Fonds {place}",
    },
    "BE": {
        "municipal": "Stad {place}",
        "regional": "Gewest {region}",
        "national": "Federaal Fonds Uitstap",
        "private": "Fonds {place}",
    },
    "DK": {
        "municipal": "{place} Kommune",
        "regional": "Region {region}",
        "national": "Statens Exitpulje",
        "private": "Fonden {place}",
    },
    "SE": {
        "municipal": "{place} kommun",
        "regional": "Region {region}",
        "national": "Statens avhopparfond",
        "private": "Stiftelsen {place}",
    },
    "NO": {
        "municipal": "{place} kommune",
        "regional": "{region} fylkeskommune",
        "national": "Statens exitfond",
        "private": "Stiftelsen {place}",
    },
    "FI": {
        "municipal": "{place} kaupunki",
        "regional": "{region} hyvinvointialue",
        "national": "Valtion irtautumisrahasto",
        "private": "Säätiö {place}",
    },
}
_EU_FUNDER = "European Exit Work Fund"

# Large scale: invented place names, organisation patterns and programme labels per country.
_COUNTRIES = ("DE", "NL", "AT", "DK", "SE", "NO", "FI", "BE")
_COUNTRY_WEIGHTS = (0.3, 0.15, 0.1, 0.1, 0.12, 0.08, 0.07, 0.08)
_PLACES = {
    "DE": (
        "Falkenmoor",
        "Sternwald",
        "Brakenfeld",
        "Rodewald",
        "Lauterhain",
        "Birkenried",
        "Hagensee",
        "Dornbach",
        "Ulmenau",
        "Kranichsfeld",
        "Moorbrück",
        "Eschenhall",
    ),
    "AT": (
        "Almbruck",
        "Felsenau",
        "Grünbichl",
        "Hollerstein",
        "Kieferling",
        "Mooslach",
        "Zirbenau",
        "Lindenhag",
    ),
    "NL": (
        "Eikendaal",
        "Veenhoven",
        "Wijkerveen",
        "Dijkmeer",
        "Lindeloo",
        "Zandhorst",
        "Brakeloo",
        "Heidemaar",
        "Ommerdaal",
    ),
    "DK": ("Ravnsholt", "Klintholm", "Egebæk", "Lyngvig", "Skovbrynet", "Mosehuse"),
    "SE": ("Björkvik", "Ulvsund", "Mossvik", "Norrbacka", "Granlida", "Tallmora"),
    "NO": ("Fjellvik", "Ospedal", "Bjørkelund", "Stavnes", "Lyngheim"),
    "FI": ("Koivula", "Järvelä", "Kuusimäki", "Tammisalo", "Lehtola"),
    "BE": ("Beukenhove", "Linderbeke", "Heidegem", "Moerveld", "Eikenrode"),
}
_REGION_NAMES = {
    "DE": ("Nordmark", "Südheide", "Ostwald"),
    "AT": ("Donautal", "Alpenrand"),
    "NL": ("Westerveen", "Oosterland"),
    "DK": ("Østerlund", "Vesterhav"),
    "SE": ("Norrmark", "Söderslätt"),
    "NO": ("Vestfjell", "Nordkyst"),
    "FI": ("Järviseutu", "Rannikko"),
    "BE": ("Kempenland", "Scheldeland"),
}
_NUTS = {
    "DE": ("DE11", "DE21", "DE30", "DE60", "DEA1", "DEA2", "DE71", "DE92", "DEF0", "DED2"),
    "AT": ("AT13", "AT12", "AT22", "AT31", "AT32", "AT33", "AT34"),
    "NL": ("NL32", "NL33", "NL31", "NL41", "NL42", "NL11", "NL22"),
    "DK": ("DK01", "DK02", "DK03", "DK04", "DK05"),
    "SE": ("SE11", "SE12", "SE22", "SE23", "SE31", "SE33"),
    "NO": ("NO08", "NO09", "NO0A", "NO02", "NO06", "NO07"),
    "FI": ("FI1B", "FI1C", "FI19", "FI1D", "FI20"),
    "BE": ("BE10", "BE21", "BE23", "BE25", "BE32", "BE33"),
}
_ORG_PATTERNS = {
    "DE": (
        "Ausstiegshilfe {p} e.V.",
        "Kurswechsel {p} e.V.",
        "Neuanfang {p} e.V.",
        "Brückenschlag {p} e.V.",
        "Umkehr {p} gGmbH",
    ),
    "AT": (
        "Verein Ausweg {p}",
        "Verein Kurswechsel {p}",
        "Neubeginn {p} Verein",
        "Wendepunkt {p} Verein",
    ),
    "NL": (
        "Stichting Keerpunt {p}",
        "Stichting Uitweg {p}",
        "Stichting Nieuwe Koers {p}",
        "Stichting Omkeer {p}",
    ),
    "DK": ("Vendepunkt {p}", "Udvej {p} forening", "Ny Kurs {p}", "Frihjul {p}"),
    "SE": ("Vägskäl {p} ideell förening", "Nya Spår {p}", "Brovaktarna {p}", "Utvägen {p}"),
    "NO": ("Veiskille {p}", "Ny Retning {p}", "Utveien {p}"),
    "FI": ("Uusi Suunta {p} ry", "Käänne {p} ry", "Irti {p} ry"),
    "BE": ("vzw Keerpunt {p}", "vzw Uitweg {p}", "asbl Nouveau Cap {p}"),
}
_LABELS = {
    "DE": (
        "Ausstiegsberatung",
        "Ausstieg in Haft und Bewährung",
        "Nachsorge nach Haftentlassung",
        "Angehörigenberatung",
        "Fallkonferenzen in der U-Haft",
    ),
    "NL": (
        "Uitstapbegeleiding",
        "Exit in Detentie en Reclassering",
        "Nazorg na Detentie",
        "Steunpunt voor Naasten",
        "Casusoverleg Voorlopige Hechtenis",
    ),
    "DK": (
        "Exitrådgivning",
        "Exit i Fængsel og Tilsyn",
        "Efterværn efter Løsladelse",
        "Pårørenderådgivning",
        "Varetægtskonferencer",
    ),
    "SE": (
        "Avhopparstöd",
        "Avhopparstöd i Anstalt och Frivård",
        "Eftervård efter Frigivning",
        "Anhöriglinjen",
        "Häktesmöten",
    ),
    "FI": (
        "Irtautumistuki",
        "Tuki Vankilassa ja Valvonnassa",
        "Jälkihuolto Vapautumisen Jälkeen",
        "Läheisten Neuvonta",
        "Tutkintavankeuden Tapauskokoukset",
    ),
}
_LABELS["AT"] = _LABELS["DE"]
_LABELS["BE"] = _LABELS["NL"]
_LABELS["NO"] = _LABELS["DK"]
_SOURCE_SYSTEMS = (
    "Fallakte Plus",
    "Casusdossier",
    "Klientreda",
    "Beratungsdoku",
    "Sagsbog",
    "ExitLog",
    "Kompassdesk",
)
_ARCH_WEIGHTS_LARGE = (0.3, 0.2, 0.15, 0.25, 0.1)
_ARCH_SHORT = ("OPEN", "PRISON", "AFTER", "FAMILY", "PRETRIAL")
_ROMAN = ("", " II", " III", " IV", " V", " VI", " VII", " VIII")


def _slug(text: str) -> str:
    text = (
        text.replace("ß", "ss")
        .replace("ø", "oe")
        .replace("Ø", "Oe")
        .replace("æ", "ae")
        .replace("å", "aa")
        .replace("ä", "ae")
        .replace("ö", "oe")
        .replace("ü", "ue")
    )
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _fictional(name: str) -> str:
    return f"{name} {FICTIONAL}"


@dataclass
class _Prog:
    programme_id: str
    programme_name: str
    country: str
    arch: _Arch
    started: int  # day
    ends: int | None  # day
    regions: tuple[str, ...]
    org: int
    n_cases: int
    tool: str


@dataclass
class _Org:
    name: str
    organisation: str
    country: str
    source_system: str
    place: str
    region_name: str
    fy_start_month: int
    drop_tables: tuple[str, ...] = ()


def _demo_layout(as_of: date) -> tuple[list[_Org], list[_Prog]]:
    orgs: list[_Org] = []
    progs: list[_Prog] = []
    for i, spec in enumerate(_DEMO_ORGS):
        orgs.append(
            _Org(
                spec.name,
                spec.organisation,
                spec.country,
                spec.source_system,
                spec.place,
                spec.region_name,
                spec.fy_start_month,
                spec.drop_tables,
            )
        )
        for ps in spec.programmes:
            years, month, day = ps.started
            started = min(date(as_of.year - years, month, day), as_of)
            ends = None
            if ps.ends is not None:
                years_after, month, day = ps.ends
                ends = _day(date(as_of.year + years_after, month, day))
            arch = _ARCH[ps.arch]
            progs.append(
                _Prog(
                    ps.programme_id,
                    ps.programme_name,
                    spec.country,
                    arch,
                    _day(started),
                    ends,
                    ps.regions,
                    i,
                    ps.n_cases,
                    "",
                )
            )
    return orgs, progs


def _large_layout(rng: np.random.Generator, as_of: date) -> tuple[list[_Org], list[_Prog]]:
    n_org, n_prog = _LARGE_ORGANISATIONS, _LARGE_PROGRAMMES
    countries = rng.choice(len(_COUNTRIES), size=n_org, p=np.array(_COUNTRY_WEIGHTS))
    orgs: list[_Org] = []
    used_names: set[str] = set()
    used_stems: set[str] = set()
    for i in range(n_org):
        country = _COUNTRIES[countries[i]]
        places = _PLACES[country]
        patterns = _ORG_PATTERNS[country]
        for attempt in range(1000):
            place = places[int(rng.integers(len(places)))]
            pattern = patterns[int(rng.integers(len(patterns)))]
            base = pattern.format(p=place)
            if attempt > 50:
                base = f"{base} {_REGION_NAMES[country][attempt % 2]}{_ROMAN[attempt % 8]}"
            stem = _slug(base.replace("e.V.", "").replace("gGmbH", ""))
            if base not in used_names and stem not in used_stems:
                break
        used_names.add(base)
        used_stems.add(stem)
        region_name = _REGION_NAMES[country][int(rng.integers(len(_REGION_NAMES[country])))]
        system = _SOURCE_SYSTEMS[int(rng.integers(len(_SOURCE_SYSTEMS)))]
        orgs.append(
            _Org(
                stem,
                _fictional(base),
                country,
                _fictional(system),
                place,
                region_name,
                int(rng.choice([1, 1, 1, 4, 7])),
                (),
            )
        )
    # At least one programme per organisation; the rest spread unevenly.
    per_org = 1 + rng.multinomial(n_prog - n_org, rng.dirichlet(np.full(n_org, 2.0)))
    archs = rng.choice(len(_ARCHETYPES), size=n_prog, p=np.array(_ARCH_WEIGHTS_LARGE))
    weights = np.array([_ARCHETYPES[a].case_weight for a in archs]) * rng.lognormal(0, 0.4, n_prog)
    n_cases = np.floor(weights / weights.sum() * _LARGE_CASES).astype(np.int64)
    n_cases[np.argsort(-weights, kind="stable")[: _LARGE_CASES - int(n_cases.sum())]] += 1
    window_start = _day(_shift_years(as_of, -3))
    progs: list[_Prog] = []
    k = 0
    for i, org in enumerate(orgs):
        names: set[str] = set()
        for j in range(int(per_org[i])):
            arch = _ARCHETYPES[int(archs[k])]
            label = _LABELS[org.country][_ARCH_INDEX[arch.key]]
            name = f"{org.place} {label}"
            r = 1
            while name in names:
                name = f"{org.place} {label}{_ROMAN[r % len(_ROMAN)]}"
                r += 1
            names.add(name)
            started = int(rng.integers(_day(date(2008, 1, 1)), window_start + 365))
            started = min(started, _day(as_of))
            ends = None
            if rng.random() < 0.4:
                ends = _day(as_of) + int(rng.integers(90, 1200))
            nuts = _NUTS[org.country]
            regions = tuple(rng.choice(nuts, size=int(rng.integers(1, 4)), replace=False))
            progs.append(
                _Prog(
                    f"P{i:03d}-{_ARCH_SHORT[_ARCH_INDEX[arch.key]]}{j + 1}",
                    name,
                    org.country,
                    arch,
                    started,
                    ends,
                    regions,
                    i,
                    int(n_cases[k]),
                    "",
                )
            )
            k += 1
    return orgs, progs


# --------------------------------------------------------------------------------------------
# Cases


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(p), size=n, p=p).astype(np.int16)


def _programme_cases(
    rng: np.random.Generator, prog: _Prog, window_start: int, as_of: int
) -> dict[str, np.ndarray]:
    """One programme's cases; days are day numbers, ``_BIG`` (or > as_of) means not (yet)."""
    a = prog.arch
    n = prog.n_cases
    exit_code = _code("cases", "client_type", "exit_participant")
    client = _choice(rng, _p("cases", "client_type", a.client_type), n)
    concerned = client != exit_code
    start = max(window_start, prog.started)
    # Slightly more cases recently (growing programmes); sorted so refs do not leak order.
    opened = np.sort(as_of - np.floor((as_of - start + 1) * rng.random(n) ** 1.15)).astype(np.int64)
    opened = np.clip(opened, start, as_of)

    # First contact on or before opening; first request before the first contact.
    to_open = np.where(rng.random(n) < a.open_same_day, 0, rng.geometric(0.2, n))
    first_contact = np.maximum(opened - to_open, start)
    lag = rng.geometric(a.request_lag_p, n) - 1
    waiting = rng.random(n) < (0.02 if a.key == "family_helpline" else 0.08)
    lag = np.where(waiting, lag + rng.integers(7, 40, n), lag)
    request = first_contact - lag
    missing = rng.random(n) < a.request_missing
    request = np.where(missing, _BIG, request)

    plan_rate = np.where(concerned & (a.key != "family_helpline"), 0.25, a.plan_rate)
    plan = opened + np.round(rng.gamma(2.0, a.plan_days / 2.0, n)).astype(np.int64)
    plan = np.where(rng.random(n) < plan_rate, plan, _BIG)

    ref = np.where(
        concerned,
        _choice(rng, _p("cases", "referral_source", _CONCERNED_REFERRAL), n),
        _choice(rng, _p("cases", "referral_source", a.referral), n),
    )
    if a.key == "family_helpline":
        ref = np.where(
            concerned,
            _choice(
                rng,
                _p(
                    "cases",
                    "referral_source",
                    {**_CONCERNED_REFERRAL, "helpline": 0.0, "self": 0.6},
                ),
                n,
            ),
            ref,
        )
    voluntary = _p("cases", "participation", {"voluntary": 0.98, "unknown": 0.02})
    participation = np.where(
        concerned,
        _choice(rng, voluntary, n),
        _choice(rng, _p("cases", "participation", a.participation), n),
    )
    community = _p("cases", "setting_at_intake", {"community": 0.97, "unknown": 0.03})
    intake = np.where(
        concerned,
        _choice(rng, community, n),
        _choice(rng, _p("cases", "setting_at_intake", a.intake), n),
    )
    ideology = _choice(rng, _p("cases", "ideology", a.ideology), n)
    gender = np.where(
        concerned,
        _choice(rng, _p("cases", "gender", _CONCERNED_GENDER), n),
        _choice(rng, _p("cases", "gender", _EXIT_GENDER), n),
    )
    age = np.where(
        concerned,
        _choice(rng, _p("cases", "age_band", _CONCERNED_AGE), n),
        _choice(rng, _p("cases", "age_band", _EXIT_AGE), n),
    )
    not_assessed = _p("cases", "risk_at_intake", {"not_assessed": 0.9, "low": 0.1})
    risk = np.where(
        concerned,
        _choice(rng, not_assessed, n),
        _choice(rng, _p("cases", "risk_at_intake", a.risk), n),
    )
    islamist = ideology == _code("cases", "ideology", "islamist")
    returnee = np.where(islamist & ~concerned & (rng.random(n) < 0.12), 1, 0)
    returnee = np.where((returnee == 0) & (rng.random(n) < 0.4), -1, returnee).astype(np.int8)

    custody = _custody(rng, a, n, opened, intake, concerned)

    # Length of support, counted from release where the case has one after opening.
    support = np.round(rng.lognormal(np.log(a.duration_days), 0.6, n)).astype(np.int64)
    support = np.where(
        concerned & (a.key != "family_helpline"),
        np.round(rng.lognormal(np.log(90), 0.6, n)),
        support,
    ).astype(np.int64)
    anchor = np.where(
        (custody["rel1"] >= opened) & (custody["rel1"] < _BIG), custody["rel1"], opened
    )
    stays = (custody["custody_in"] <= opened) & (custody["rel1"] >= _BIG)
    if a.custody == "pre_trial":  # not released: transferred on sentencing
        support = np.where(stays, rng.integers(60, 400, n), support)
        stays = np.zeros(n, dtype=bool)
    closed = np.where(stays, _BIG, anchor + np.maximum(support, 1))
    reason = _choice(rng, _p("cases", "closure_reason", a.closure), n)
    mandated = participation == _code("cases", "participation", "mandated")
    mandate_ended = _code("cases", "closure_reason", "mandate_ended")
    transfer = _code("cases", "closure_reason", "planned_transfer")
    reason = np.where((reason == mandate_ended) & ~mandated, transfer, reason)
    if a.custody == "pre_trial":
        unreleased = custody["rel1"] >= _BIG
        reason = np.where(unreleased & (rng.random(n) < 0.6), transfer, reason)
    is_closed = closed <= as_of
    closed = np.where(is_closed, closed, _BIG)
    reason = np.where(is_closed, reason, -1).astype(np.int16)

    # Contacts stop some weeks before a lost-contact closure.
    contact_end = np.minimum(closed, as_of)
    lost = reason == _code("cases", "closure_reason", "lost_contact")
    contact_end = np.where(
        lost, np.maximum(opened, contact_end - rng.integers(20, 90, n)), contact_end
    )

    region_idx = rng.choice(len(prog.regions), size=n, p=_region_weights(len(prog.regions)))
    region = np.array(prog.regions, dtype=object)[region_idx]
    region[rng.random(n) < 0.05] = None

    return {
        "client": client,
        "concerned": concerned,
        "opened": opened,
        "first_contact": first_contact,
        "request": request,
        "plan": plan,
        "closed": closed,
        "reason": reason,
        "referral": ref,
        "participation": participation,
        "intake": intake,
        "ideology": ideology,
        "gender": gender,
        "age": age,
        "risk": risk,
        "returnee": returnee,
        "region": region,
        "contact_end": contact_end,
        **custody,
    }


def _region_weights(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1)
    return w / w.sum()


def _custody(
    rng: np.random.Generator,
    a: _Arch,
    n: int,
    opened: np.ndarray,
    intake: np.ndarray,
    concerned: np.ndarray,
) -> dict[str, np.ndarray]:
    """Custody and probation dates per case (``_BIG`` = no such event)."""
    big = np.full(n, _BIG, dtype=np.int64)
    custody_in, rel1, reentry, rel2 = big.copy(), big.copy(), big.copy(), big.copy()
    prob_start, prob_end = big.copy(), big.copy()
    in_prison = (intake == _code("cases", "setting_at_intake", "prison")) & ~concerned
    pre_trial = (intake == _code("cases", "setting_at_intake", "pre_trial_detention")) & ~concerned
    probation = (intake == _code("cases", "setting_at_intake", "probation")) & ~concerned
    u = rng.random(n)
    if a.custody == "prison_probation":
        custody_in = np.where(in_prison, opened - rng.integers(60, 2000, n), custody_in)
        rel1 = np.where(in_prison, opened + rng.integers(30, 600, n), rel1)
        second = in_prison & (u < 0.12)
        reentry = np.where(second, rel1 + rng.integers(60, 400, n), reentry)
        rel2 = np.where(second, reentry + rng.integers(30, 300, n), rel2)
        on_probation = in_prison & (rng.random(n) < 0.85)
        prob_start = np.where(
            on_probation, rel1 + np.where(rng.random(n) < 0.7, 0, rng.integers(1, 4, n)), prob_start
        )
        prob_start = np.where(probation, opened - rng.integers(0, 120, n), prob_start)
    elif a.custody == "post_release":
        custody_in = np.where(
            in_prison | probation, opened - rng.integers(200, 2500, n), custody_in
        )
        rel1 = np.where(in_prison, opened + rng.integers(3, 75, n), rel1)
        rel1 = np.where(probation, opened - rng.integers(1, 20, n), rel1)
        second = (in_prison | probation) & (u < 0.08)
        reentry = np.where(second, rel1 + rng.integers(90, 500, n), reentry)
        rel2 = np.where(second, reentry + rng.integers(30, 200, n), rel2)
        prob_start = np.where(
            in_prison | probation, rel1 + (rng.random(n) < 0.2).astype(np.int64), prob_start
        )
    elif a.custody == "pre_trial":
        held = pre_trial | in_prison
        custody_in = np.where(held, opened - rng.integers(1, 45, n), custody_in)
        released = held & (rng.random(n) < 0.55)
        rel1 = np.where(released, opened + rng.integers(14, 240, n), rel1)
        second = released & (u < 0.1)
        reentry = np.where(second, rel1 + rng.integers(60, 300, n), reentry)
        rel2 = np.where(second, reentry + rng.integers(60, 400, n), rel2)
        prob_start = np.where(released & (rng.random(n) < 0.4), rel1, prob_start)
    custody_in = np.maximum(custody_in, _EARLIEST)
    prob_end = np.where(prob_start < _BIG, prob_start + rng.integers(365, 1100, n), prob_end)
    return {
        "custody_in": custody_in,
        "rel1": rel1,
        "reentry": reentry,
        "rel2": rel2,
        "prob_start": prob_start,
        "prob_end": prob_end,
    }


def _all_cases(
    rng: np.random.Generator, progs: list[_Prog], window_start: int, as_of: int
) -> dict[str, np.ndarray]:
    parts = [_programme_cases(rng, p, window_start, as_of) for p in progs]
    cases = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    sizes = np.array([p.n_cases for p in progs])
    cases["prog"] = np.repeat(np.arange(len(progs)), sizes).astype(np.int32)
    cases["arch"] = np.repeat(np.array([_ARCH_INDEX[p.arch.key] for p in progs]), sizes).astype(
        np.int8
    )
    cases["org"] = np.repeat(np.array([p.org for p in progs]), sizes).astype(np.int32)
    # Pseudonymous refs: country prefix and six random hex digits, unique in the whole run.
    n = int(sizes.sum())
    pool = rng.integers(0, 16**6, size=int(n * 1.3) + 64)
    _unused, first = np.unique(pool, return_index=True)
    codes = pool[np.sort(first)][:n]
    if len(codes) < n:  # pragma: no cover - needs an absurd number of collisions
        raise RuntimeError("could not draw unique case references")
    countries = np.repeat(np.array([p.country for p in progs], dtype=object), sizes)
    cases["case_ref"] = np.array(
        [f"{c}-{x:06X}" for c, x in zip(countries, codes, strict=True)], dtype=object
    )
    return cases


# --------------------------------------------------------------------------------------------
# Case-level child tables (fully vectorised)


def _group_sample(rng: np.random.Generator, groups: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one code per row from the row's group's probability vector (``probs[group]``)."""
    out = np.empty(len(groups), dtype=np.int8)
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups, minlength=len(probs))
    start = 0
    for g, c in enumerate(counts):
        if c:
            idx = order[start : start + c]
            out[idx] = rng.choice(probs.shape[1], size=c, p=probs[g])
            start += c
    return out


def _sorted(case_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    key = case_idx.astype(np.int64) * (1 << 24) + (day.astype(np.int64) - _EARLIEST + (1 << 22))
    return np.argsort(key, kind="stable")


def _contacts(
    rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int, scale: float
) -> dict[str, np.ndarray]:
    n = len(c["opened"])
    arch = c["arch"].astype(np.int64)
    conc = c["concerned"]
    o = c["opened"]
    end = c["contact_end"]
    length = (end - o).astype(np.float64)
    rate = np.where(conc, 0.12, _arch_array(lambda a: a.contact_rate)[arch])
    tau = np.where(conc, 30.0, _arch_array(lambda a: a.contact_tau)[arch])
    k_main = rng.poisson(rate * scale * tau * -np.expm1(-length / tau))
    idx_main = np.repeat(np.arange(n), k_main)
    u = rng.random(len(idx_main))
    t = -tau[idx_main] * np.log1p(-u * -np.expm1(-length[idx_main] / tau[idx_main]))
    day_main = np.minimum(o[idx_main] + np.floor(t).astype(np.int64), end[idx_main])
    idx_parts = [np.arange(n), idx_main]
    day_parts = [c["first_contact"], day_main]
    fast_p = _arch_array(lambda a: a.fast_contact)[arch]
    burst = _arch_array(lambda a: a.burst)[arch] * scale
    for rel in (c["rel1"], c["rel2"]):
        ok = (rel >= o) & (rel <= end)
        fast_day = rel + rng.geometric(0.55, n) - 1
        fast = ok & (rng.random(n) < fast_p) & (fast_day <= end)
        k_burst = np.where(ok, rng.poisson(burst), 0)
        idx_burst = np.repeat(np.arange(n), k_burst)
        span = np.minimum(90, end - rel)
        day_burst = rel[idx_burst] + rng.integers(0, span[idx_burst] + 1)
        idx_parts += [np.flatnonzero(fast), idx_burst]
        day_parts += [fast_day[fast], day_burst]
    idx = np.concatenate(idx_parts).astype(np.int32)
    day = np.concatenate(day_parts).astype(np.int32)
    del idx_parts, day_parts, idx_main, day_main, t, u
    order = _sorted(idx, day)
    idx, day = idx[order], day[order]
    del order

    a = arch[idx].astype(np.int8)
    custody = ((day >= c["custody_in"][idx]) & (day < c["rel1"][idx])) | (
        (day >= c["reentry"][idx]) & (day < c["rel2"][idx])
    )
    phase = np.where(conc[idx], 2, custody.astype(np.int8))
    group = (a.astype(np.int16) * 3 + phase).astype(np.int16)
    n_arch = len(_ARCHETYPES)
    p_modes = np.stack(
        [m for i in range(n_arch) for m in (_P_MODES[i], _P_CUSTODY_MODES, _P_CONCERNED_MODES)]
    )
    p_act = np.stack(
        [
            m
            for i in range(n_arch)
            for m in (_P_ACTIVITIES[i], _P_ACTIVITIES[i], _P_CONCERNED_ACTIVITIES)
        ]
    )
    p_staff = np.stack(
        [m for i in range(n_arch) for m in (_P_STAFF[i], _P_STAFF[i], _P_CONCERNED_STAFF)]
    )
    mode = _group_sample(rng, group, p_modes)
    activity = _group_sample(rng, group, p_act)
    staff = _group_sample(rng, group, p_staff)
    del group, phase

    setting_vocab = _vocab("contacts", "setting")
    on_probation = (
        (day >= c["prob_start"][idx]) & (day <= c["prob_end"][idx]) & (rng.random(len(idx)) < 0.6)
    )
    setting = np.full(len(idx), setting_vocab.index("community"), dtype=np.int8)
    setting[on_probation] = setting_vocab.index("probation")
    setting[_ONLINE_MODES[mode]] = setting_vocab.index("online")
    setting[custody] = setting_vocab.index("prison")
    del on_probation, custody

    median = _MODE_MINUTES[mode]
    by_activity = _ACTIVITY_MINUTES[activity]
    median = np.where(by_activity > 0, by_activity, median)
    minutes = np.clip(np.round(median * np.exp(0.45 * rng.standard_normal(len(idx)))), 1, 1440)
    return {
        "case": idx,
        "day": day,
        "minutes": minutes.astype(np.int16),
        "mode": mode,
        "activity": activity,
        "staff": staff,
        "setting": setting,
    }


def _needs(rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int) -> dict[str, np.ndarray]:
    n = len(c["opened"])
    conc = c["concerned"]
    k = np.where(conc, 1 + rng.binomial(2, 0.3, n), 1 + rng.binomial(5, 0.45, n))
    with np.errstate(divide="ignore"):
        logw = np.where(conc[:, None], np.log(_W_NEEDS_CONCERNED), np.log(_W_NEEDS_EXIT))
    keys = logw + rng.gumbel(size=(n, len(_DOMAINS)))
    ranked = np.argsort(-keys, axis=1, kind="stable")
    take = np.arange(len(_DOMAINS))[None, :] < k[:, None]
    domain = ranked[take].astype(np.int8)
    case = np.repeat(np.arange(n), k)
    o = c["opened"][case]
    closed = c["closed"][case]
    end = np.minimum(closed, as_of)
    m = len(case)
    # Assessment starts a few days before to a few months after opening; further needs
    # surface during the case.
    r = rng.random(n)
    delay = np.where(
        r < 0.08,
        -rng.integers(1, 11, n),
        np.where(r < 0.8, rng.integers(0, 31, n), rng.integers(31, 150, n)),
    )
    first = np.repeat(np.cumsum(k) - k, k) == np.arange(m)
    later = np.where(first | (rng.random(m) < 0.6), 0, rng.integers(1, 250, m))
    identified = np.minimum(o + delay[case] + later, end)

    status_vocab = _vocab("needs", "status")
    hard = _HARD_DOMAINS[domain]
    is_closed = closed <= as_of
    p_closed_easy = _p(
        "needs",
        "status",
        {"met": 0.55, "partially_met": 0.2, "unmet": 0.1, "no_longer_relevant": 0.1, "open": 0.05},
    )
    p_closed_hard = _p(
        "needs",
        "status",
        {"met": 0.35, "partially_met": 0.3, "unmet": 0.2, "no_longer_relevant": 0.08, "open": 0.07},
    )
    p_open_easy = _p(
        "needs",
        "status",
        {
            "open": 0.45,
            "met": 0.28,
            "partially_met": 0.14,
            "unmet": 0.05,
            "no_longer_relevant": 0.08,
        },
    )
    p_open_hard = _p(
        "needs",
        "status",
        {
            "open": 0.55,
            "met": 0.15,
            "partially_met": 0.18,
            "unmet": 0.07,
            "no_longer_relevant": 0.05,
        },
    )
    group = (is_closed.astype(np.int64) * 2 + hard).astype(np.int64)
    status = _group_sample(
        rng, group, np.stack([p_open_easy, p_open_hard, p_closed_easy, p_closed_hard])
    )
    span = np.maximum(end - identified, 0)
    status_on = identified + np.floor(rng.random(m) ** 0.7 * (span + 1)).astype(np.int64)
    status_on = np.minimum(status_on, end)
    still_open = status == status_vocab.index("open")
    status_on = np.where(still_open & (rng.random(m) < 0.6), identified, status_on)
    return {
        "case": case,
        "domain": domain,
        "day": identified,
        "status": status,
        "status_on": status_on,
    }


def _referrals(
    rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int
) -> dict[str, np.ndarray]:
    n = len(c["opened"])
    k = rng.poisson(np.where(c["concerned"], 0.25, 0.75))
    case = np.repeat(np.arange(n), k)
    o = c["opened"][case]
    end = np.minimum(c["closed"][case], as_of)
    m = len(case)
    day = o + rng.integers(0, np.minimum(end - o, 365) + 1)
    service = _choice(
        rng,
        _p(
            "referrals",
            "service",
            {
                "mental_health": 0.2,
                "addiction": 0.08,
                "housing": 0.15,
                "employment": 0.15,
                "education": 0.1,
                "welfare": 0.1,
                "debt_advice": 0.08,
                "legal": 0.09,
                "other": 0.05,
            },
        ),
        m,
    )
    outcome = _choice(
        rng,
        _p(
            "referrals",
            "outcome",
            {"taken_up": 0.62, "declined": 0.2, "unavailable": 0.13, "pending": 0.05},
        ),
        m,
    )
    recent = (as_of - day < 30) & (rng.random(m) < 0.7)
    outcome = np.where(recent, _code("referrals", "outcome", "pending"), outcome)
    order = _sorted(case, day)
    return {
        "case": case[order],
        "day": day[order],
        "service": service[order],
        "outcome": outcome[order],
    }


def _assessments(
    rng: np.random.Generator, c: dict[str, np.ndarray], progs: list[_Prog], as_of: int
) -> dict[str, np.ndarray]:
    n = len(c["opened"])
    arch = c["arch"].astype(np.int64)
    o = c["opened"]
    end = np.minimum(c["closed"], as_of)
    assessed_risk = c["risk"] <= 2  # low, medium, high; not not_assessed
    eligible = (
        ~c["concerned"]
        & assessed_risk
        & (rng.random(n) < _arch_array(lambda a: a.assessment_rate)[arch])
    )
    k = np.where(eligible, np.minimum(1 + (end - o) // 180, 6), 0)
    case = np.repeat(np.arange(n), k)
    starts = np.repeat(np.cumsum(k) - k, k)
    j = np.arange(len(case)) - starts
    m = len(case)
    day = o[case] + 30 + 180 * j + rng.integers(-15, 16, m)
    day = np.clip(day, o[case], None)
    keep = day <= end[case]
    step = rng.choice([-1, 0, 1], size=m, p=[0.3, 0.63, 0.07])
    total = np.cumsum(step)
    walk = total - (total[starts] - step[starts])  # cumulative change within each case
    level = np.clip(c["risk"][case].astype(np.int64) + walk, 0, 2)
    tool_vocab = ("VERA-2R", "ERG22+", "internal")
    prog_tool = np.array([tool_vocab.index(p.tool) for p in progs])
    tool = prog_tool[c["prog"][case]]
    tool = np.where(rng.random(m) < 0.15, tool_vocab.index("internal"), tool)
    case, day, level, tool = case[keep], day[keep], level[keep], tool[keep]
    return {
        "case": case,
        "day": day,
        "level": level.astype(np.int8),
        "tool": tool.astype(np.int8),
        "tools": np.array(tool_vocab, dtype=object),
    }


def _outcomes(
    rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Outcome rows, and extra custody entries for known reoffending."""
    n = len(c["opened"])
    arch = c["arch"].astype(np.int64)
    o, closed, reason, conc = c["opened"], c["closed"], c["reason"], c["concerned"]
    is_closed = closed <= as_of
    died = reason == _code("cases", "closure_reason", "died")
    r_idx = np.maximum(reason, 0)
    code = {v: i for i, v in enumerate(_vocab("outcomes", "outcome"))}
    cases: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    days: list[np.ndarray] = []

    def add(mask: np.ndarray, kind: str, day: np.ndarray) -> None:
        sel = np.flatnonzero(mask & (day <= as_of))
        cases.append(sel)
        kinds.append(np.full(len(sel), code[kind], dtype=np.int8))
        days.append(np.clip(day[sel], o[sel], as_of))

    exit_closed = is_closed & ~conc & ~died
    add(
        exit_closed & (rng.random(n) < _P_DISENGAGED[r_idx]),
        "disengaged",
        closed + rng.integers(-60, 11, n),
    )
    add(
        exit_closed & (rng.random(n) < _P_EMPLOYMENT[r_idx]),
        "employment_or_education",
        o + np.floor(rng.random(n) * (closed - o + 1)).astype(np.int64),
    )
    add(
        exit_closed & (rng.random(n) < 0.6 * _P_EMPLOYMENT[r_idx]),
        "stable_housing",
        o + np.floor(rng.random(n) * (closed - o + 1)).astype(np.int64),
    )
    add(
        exit_closed & (rng.random(n) < 0.5 * _P_IMPROVED[r_idx]),
        "family_relations_improved",
        closed - rng.integers(0, 90, n),
    )
    add(
        exit_closed & (reason == _code("cases", "closure_reason", "re_engaged")),
        "re_engaged",
        closed - rng.integers(0, 15, n),
    )
    open_long = ~is_closed & ~conc & (as_of - o > 365)
    add(
        open_long & (rng.random(n) < 0.25),
        "disengaged",
        o + 180 + np.floor(rng.random(n) * (as_of - o - 179)).astype(np.int64),
    )
    reoffend_p = _arch_array(lambda a: a.reoffend)[arch]
    after_close = exit_closed & (rng.random(n) < reoffend_p)
    reoff_after = closed + rng.integers(1, 541, n)
    during = ~is_closed & ~conc & (rng.random(n) < reoffend_p / 2)
    reoff_during = o + np.floor(rng.random(n) * (as_of - o + 1)).astype(np.int64)
    add(after_close, "reoffended", reoff_after)
    add(during, "reoffended", reoff_during)
    concerned_closed = is_closed & conc & ~died
    improved = concerned_closed & (rng.random(n) < _P_IMPROVED[r_idx])
    add(improved, "situation_improved", closed + rng.integers(-14, 15, n))
    add(
        improved & (rng.random(n) < 0.3),
        "family_relations_improved",
        closed - rng.integers(0, 30, n),
    )

    case = np.concatenate(cases)
    kind = np.concatenate(kinds)
    day = np.concatenate(days)
    order = _sorted(case, day)
    out = {"case": case[order], "kind": kind[order], "day": day[order]}

    # Known reoffending sometimes comes with a return to custody.
    reoff = out["kind"] == code["reoffended"]
    jailed = reoff & (rng.random(len(reoff)) < 0.5)
    j_case = out["case"][jailed]
    j_day = np.maximum(out["day"][jailed] - rng.integers(0, 15, int(jailed.sum())), o[j_case])
    return out, {"case": j_case, "day": j_day}


def _custody_events(
    c: dict[str, np.ndarray], extra: dict[str, np.ndarray], as_of: int
) -> dict[str, np.ndarray]:
    ev = {v: i for i, v in enumerate(_vocab("custody_events", "event"))}
    parts = [
        ("custody_in", "entered_custody"),
        ("rel1", "released"),
        ("reentry", "entered_custody"),
        ("rel2", "released"),
        ("prob_start", "probation_started"),
        ("prob_end", "probation_ended"),
    ]
    cases, kinds, days = [], [], []
    for col, name in parts:
        sel = np.flatnonzero(c[col] <= as_of)
        cases.append(sel)
        kinds.append(np.full(len(sel), ev[name], dtype=np.int8))
        days.append(c[col][sel])
    cases.append(extra["case"])
    kinds.append(np.full(len(extra["case"]), ev["entered_custody"], dtype=np.int8))
    days.append(extra["day"])
    case, kind, day = np.concatenate(cases), np.concatenate(kinds), np.concatenate(days)
    order = _sorted(case, day)
    return {"case": case[order], "kind": kind[order], "day": day[order]}


# --------------------------------------------------------------------------------------------
# Programme-level tables (small: built row by row)


def _fy_periods(
    first: date, last: date, start_month: int, months: int = 12
) -> list[tuple[date, date]]:
    """Periods of ``months`` months aligned to ``start_month`` that overlap [first, last]."""
    y = first.year - 1
    d = date(y, start_month, 1)
    out = []
    while d <= last:
        nxt = _add_months(d, months)
        if nxt > first:
            out.append((d, nxt - timedelta(days=1)))
        d = nxt
    return out


def _funding(
    rng: np.random.Generator, orgs: list[_Org], progs: list[_Prog], window_start: int, as_of: date
) -> list[tuple]:
    rows: list[tuple] = []
    for i, p in enumerate(progs):
        org = orgs[p.org]
        names = {
            lvl: _fictional(t.format(place=org.place, region=org.region_name))
            for lvl, t in _FUNDERS[org.country].items()
        }
        first = _date(max(window_start, p.started))
        size = max(p.n_cases, 30) / 200
        basis = _vocab("funding", "basis")

        def add(
            level: str,
            start: date,
            end: date,
            amount: float,
            how: str,
            name: str = "",
            i: int = i,
            names: dict[str, str] = names,
        ) -> None:
            rows.append((i, name or names[level], level, start, end, round(amount, 2), how))

        periods = _fy_periods(first, as_of, org.fy_start_month)
        if rng.random() < 0.6:
            periods += _fy_periods(
                _add_months(periods[-1][0], 12), _add_months(periods[-1][0], 12), org.fy_start_month
            )
        for s, e in periods:
            add(
                "national",
                s,
                e,
                rng.uniform(120_000, 350_000) * size,
                "project_grant" if rng.random() < 0.7 else "flat_fee",
            )
        if rng.random() < 0.7:
            periods = _fy_periods(first, as_of, 7)
            if rng.random() < 0.5:
                periods += _fy_periods(
                    _add_months(periods[-1][0], 12), _add_months(periods[-1][0], 12), 7
                )
            how = basis[int(rng.integers(len(basis)))]
            for s, e in periods:
                add("regional", s, e, rng.uniform(40_000, 120_000) * size, how)
        if rng.random() < 0.8:
            how = "per_case" if rng.random() < 0.5 else "hours_billed"
            for s, e in _fy_periods(first, as_of, 1):
                add("municipal", s, e, rng.uniform(15_000, 60_000) * size, how)
        if rng.random() < 0.45:
            latest = max(_day(first), _day(as_of) - 700)
            s = _add_months(_date(int(rng.integers(_day(first), latest + 1))), 1)
            e = _add_months(s, int(rng.choice([24, 36, 48]))) - timedelta(days=1)
            add(
                "eu",
                s,
                e,
                rng.uniform(300_000, 900_000) * size,
                "project_grant",
                _fictional(_EU_FUNDER),
            )
        if rng.random() < 0.3:
            for s, e in _fy_periods(_date(max(_day(first), _day(as_of) - 800)), as_of, 1)[:2]:
                add("private", s, e, rng.uniform(8_000, 40_000), "project_grant")
    return rows


def _staffing(
    rng: np.random.Generator,
    progs: list[_Prog],
    window_start: int,
    as_of: date,
    formers_missing: set[int],
) -> list[tuple]:
    rows: list[tuple] = []
    for i, p in enumerate(progs):
        first = _date(max(window_start, p.started))
        q = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
        lo, hi = p.arch.headcount
        head = int(rng.integers(lo, hi + 1))
        f_lo, f_hi = p.arch.formers
        formers = int(rng.integers(f_lo, f_hi + 1))
        share = rng.uniform(0.6, 0.9)
        while q <= as_of:
            leavers = int(rng.binomial(head, 0.06))
            fte = round(head * min(1.0, share + rng.normal(0, 0.03)), 1)
            rows.append(
                (i, q, head, fte, leavers, None if i in formers_missing else min(formers, head))
            )
            head = int(np.clip(head - leavers + rng.poisson(0.9 * leavers + 0.25), lo, hi))
            q = _add_months(q, 3)
    return rows


_CAPACITY_SHAPE = {  # activity: (fixed participants, Poisson mean on top, hour options)
    "training": (8, 10, (2, 4, 6, 16)),
    "workshop": (10, 12, (1.5, 2, 3, 4)),
    "network_meeting": (5, 8, (1.5, 2, 3, 3)),
    "publication": (0, 0, (10, 20, 40, 80)),
    "awareness_event": (20, 60, (1.5, 2, 3, 3)),
    "consultation": (1, 2, (0.5, 1, 1.5, 2)),
}


def _capacity(
    rng: np.random.Generator, progs: list[_Prog], window_start: int, as_of: int
) -> dict[str, np.ndarray]:
    """Training and knowledge-sharing events of every programme (vectorised)."""
    activities = _vocab("capacity", "activity")
    p_act = _p(
        "capacity",
        "activity",
        {
            "training": 0.35,
            "workshop": 0.2,
            "network_meeting": 0.2,
            "publication": 0.05,
            "awareness_event": 0.1,
            "consultation": 0.1,
        },
    )
    audiences = _vocab("capacity", "audience")
    first = np.array([max(window_start, p.started) for p in progs], dtype=np.int64)
    per_month = np.array([p.arch.capacity_per_month for p in progs])
    k = rng.poisson(per_month * (as_of - first) / 30.4375)
    prog = np.repeat(np.arange(len(progs)), k)
    m = len(prog)
    day = first[prog] + np.floor(rng.random(m) * (as_of - first[prog] + 1)).astype(np.int64)
    act = rng.choice(len(activities), size=m, p=p_act)
    arch = np.array([_ARCH_INDEX[p.arch.key] for p in progs])[prog]
    aud = _group_sample(rng, arch, _arch_probs("capacity", "audience", lambda a: a.audiences))
    aud = np.where(
        act == activities.index("awareness_event"), audiences.index("general_public"), aud
    )
    fixed = np.array([_CAPACITY_SHAPE[a][0] for a in activities])
    extra = np.array([_CAPACITY_SHAPE[a][1] for a in activities], dtype=np.float64)
    hours_opt = np.array([_CAPACITY_SHAPE[a][2] for a in activities], dtype=np.float64)
    participants = fixed[act] + rng.poisson(extra[act])
    hours = hours_opt[act, rng.integers(0, hours_opt.shape[1], m)]
    order = np.lexsort((day, prog))
    return {
        "prog": prog[order],
        "day": day[order],
        "activity": act[order].astype(np.int8),
        "audience": aud[order].astype(np.int8),
        "participants": participants[order],
        "hours": hours[order],
    }


def _targets(
    rng: np.random.Generator,
    orgs: list[_Org],
    progs: list[_Prog],
    window_start: int,
    as_of: date,
    cases: dict[str, np.ndarray],
    capacity: dict[str, np.ndarray],
) -> list[tuple]:
    """A few targets per programme, per financial year or half-year, some reaching ahead."""
    rows: list[tuple] = []
    years = 3.0
    n = len(progs)
    n_exit = np.bincount(cases["prog"], weights=~cases["concerned"], minlength=n)
    n_conc = np.bincount(cases["prog"], weights=cases["concerned"], minlength=n)
    activities = _vocab("capacity", "activity")
    trained = np.isin(
        capacity["activity"], [activities.index("training"), activities.index("workshop")]
    )
    k01 = np.bincount(capacity["prog"], weights=capacity["participants"] * trained, minlength=n)
    for i, p in enumerate(progs):
        org = orgs[p.org]
        first = _date(max(window_start, p.started))
        half = rng.random() < 0.3
        periods = _fy_periods(first, _add_months(as_of, 3), org.fy_start_month, 6 if half else 12)
        share = 0.5 if half else 1.0
        for ind, value in p.arch.targets:
            base = {"C01": n_exit[i], "C02": n_conc[i], "K01": k01[i]}.get(ind)
            for j, (s, e) in enumerate(periods):
                if base is not None:
                    per_period = base / years * share
                    target = float(max(1, round(per_period * value * (1 + 0.05 * j))))
                    baseline = float(round(per_period)) if j else None
                else:
                    target = value
                    baseline = round(value - rng.uniform(0.02, 0.12), 2) if j else None
                rows.append((i, ind, s, e, target, baseline))
    return rows


# --------------------------------------------------------------------------------------------
# Arrow assembly


def _str_dates(days: np.ndarray, as_of: int) -> pa.Array:
    """ISO date strings; a day after ``as_of`` has not happened yet and becomes null."""
    days = np.asarray(days)
    valid = days <= as_of
    arr = pa.array(
        np.where(valid, days, 0).astype(np.int32), type=pa.int32(), mask=~np.asarray(valid)
    )
    return arr.cast(pa.date32()).cast(pa.string())


def _str_codes(codes: np.ndarray, vocab: tuple[str, ...] | np.ndarray) -> pa.Array:
    codes = np.asarray(codes)
    indices = pa.array(np.where(codes >= 0, codes, 0).astype(np.int32), mask=codes < 0)
    return pc.take(pa.array(list(vocab), type=pa.string()), indices)


def _str_numbers(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    names = TABLES_BY_NAME[name].column_names
    if set(columns) != set(names):  # pragma: no cover - programming error
        raise ValueError(f"{name}: columns {sorted(columns)} do not match the registry")
    return pa.table([columns[c] for c in names], names=list(names))


def _rows_table(name: str, rows: list[tuple], columns: tuple[str, ...]) -> pa.Table:
    """Table from Python rows; dates, numbers and None are converted to CSV text."""

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, float):
            return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
        return str(v)

    cols = {
        c: pa.array([text(r[k]) for r in rows], type=pa.string()) for k, c in enumerate(columns)
    }
    return _table(name, cols)


def _side_by_side(columns: dict[str, Callable[[], pa.Array]]) -> dict[str, pa.Array]:
    """Each column built by its function, two at a time: Arrow and numpy let go of the
    interpreter while they work, so a second processor shortens the wait."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(build) for name, build in columns.items()}
        return {name: f.result() for name, f in futures.items()}


def _boundaries(owner: np.ndarray, n_orgs: int) -> np.ndarray:
    return np.searchsorted(owner, np.arange(n_orgs + 1))


def generate(
    seed: int = 7, scale: Scale = "demo", data_as_of: date = date(2026, 9, 30)
) -> list[DemoPackage]:
    """Generate fictional, valid programme data packages, one per organisation.

    Deterministic for a given ``seed``, ``scale`` and ``data_as_of``, so tests and benchmarks
    can rely on the same data. ``demo`` gives five organisations with eight programmes that
    span the typology; ``large`` gives about 120 organisations, 500 programmes, 100 000 cases
    and 10 000 000 contacts for load tests. Three years of data end at ``data_as_of``.
    """
    if scale not in ("demo", "large"):
        raise ValueError(f"scale must be 'demo' or 'large', not {scale!r}")
    if data_as_of < date(1990, 1, 1):
        raise ValueError("data_as_of must not be before 1990")
    rng = np.random.default_rng(seed)
    as_of = _day(data_as_of)
    window_start = _day(_shift_years(data_as_of, -3)) + 1
    if scale == "demo":
        orgs, progs = _demo_layout(data_as_of)
    else:
        orgs, progs = _large_layout(rng, data_as_of)
    for p in progs:
        tools = list(p.arch.tools)
        p.tool = tools[int(rng.choice(len(tools), p=np.array(list(p.arch.tools.values()))))]

    cases = _all_cases(rng, progs, window_start, as_of)
    scale_factor = 1.0
    if scale == "large":
        scale_factor = _contact_scale(cases, _LARGE_CONTACTS)
    contacts = _contacts(rng, cases, as_of, scale_factor)
    needs = _needs(rng, cases, as_of)
    referrals = _referrals(rng, cases, as_of)
    assessments = _assessments(rng, cases, progs, as_of)
    outcomes, jailed = _outcomes(rng, cases, as_of)
    custody = _custody_events(cases, jailed, as_of)
    capacity = _capacity(rng, progs, window_start, as_of)
    funding_rows = _funding(rng, orgs, progs, window_start, data_as_of)
    formers_missing = {
        i for i, p in enumerate(progs) if p.arch.key == "family_helpline" and rng.random() < 0.5
    }
    staffing_rows = _staffing(rng, progs, window_start, data_as_of, formers_missing)
    target_rows = _targets(rng, orgs, progs, window_start, data_as_of, cases, capacity)

    tables = _global_tables(
        progs,
        cases,
        contacts,
        needs,
        referrals,
        assessments,
        outcomes,
        custody,
        capacity,
        funding_rows,
        staffing_rows,
        target_rows,
        as_of,
    )
    del contacts, needs, referrals, assessments, outcomes, custody
    return _split(orgs, progs, cases, tables, data_as_of)


def _contact_scale(c: dict[str, np.ndarray], target: int) -> float:
    """Factor on contact rates that makes the expected number of contacts ``target``."""
    arch = c["arch"].astype(np.int64)
    conc = c["concerned"]
    length = (c["contact_end"] - c["opened"]).astype(np.float64)
    rate = np.where(conc, 0.12, _arch_array(lambda a: a.contact_rate)[arch])
    tau = np.where(conc, 30.0, _arch_array(lambda a: a.contact_tau)[arch])
    main = float((rate * tau * -np.expm1(-length / tau)).sum())
    burst = 0.0
    fixed = float(len(arch))
    for rel in (c["rel1"], c["rel2"]):
        ok = (rel >= c["opened"]) & (rel <= c["contact_end"])
        burst += float(_arch_array(lambda a: a.burst)[arch][ok].sum())
        fixed += float(_arch_array(lambda a: a.fast_contact)[arch][ok].sum())
    return max((target - fixed) / (main + burst), 0.0)


def _global_tables(
    progs: list[_Prog],
    c: dict[str, np.ndarray],
    contacts: dict,
    needs: dict,
    referrals: dict,
    assessments: dict,
    outcomes: dict,
    custody: dict,
    capacity: dict[str, np.ndarray],
    funding_rows: list[tuple],
    staffing_rows: list[tuple],
    target_rows: list[tuple],
    as_of: int,
) -> dict[str, tuple[pa.Table, np.ndarray]]:
    """Every table for all organisations at once, with the owning organisation of each row."""
    case_ref = pa.array(c["case_ref"], type=pa.string())
    prog_ids = pa.array([p.programme_id for p in progs], type=pa.string())
    prog_org = np.array([p.org for p in progs], dtype=np.int32)
    case_org = c["org"]
    out: dict[str, tuple[pa.Table, np.ndarray]] = {}

    out["programmes"] = (
        _rows_table(
            "programmes",
            [
                (
                    p.programme_id,
                    p.programme_name,
                    p.country,
                    p.arch.intervention_type,
                    p.arch.setting,
                    _date(p.started),
                    None if p.ends is None else _date(p.ends),
                )
                for p in progs
            ],
            TABLES_BY_NAME["programmes"].column_names,
        ),
        prog_org,
    )

    returnee = c["returnee"]
    out["cases"] = (
        _table(
            "cases",
            {
                "case_ref": case_ref,
                "programme_id": pc.take(prog_ids, pa.array(c["prog"])),
                "client_type": _str_codes(c["client"], _vocab("cases", "client_type")),
                "first_request_on": _str_dates(c["request"], as_of),
                "opened_on": _str_dates(c["opened"], as_of),
                "plan_agreed_on": _str_dates(c["plan"], as_of),
                "closed_on": _str_dates(c["closed"], as_of),
                "closure_reason": _str_codes(c["reason"], _vocab("cases", "closure_reason")),
                "referral_source": _str_codes(c["referral"], _vocab("cases", "referral_source")),
                "participation": _str_codes(c["participation"], _vocab("cases", "participation")),
                "setting_at_intake": _str_codes(c["intake"], _vocab("cases", "setting_at_intake")),
                "ideology": _str_codes(c["ideology"], _vocab("cases", "ideology")),
                "gender": _str_codes(c["gender"], _vocab("cases", "gender")),
                "age_band": _str_codes(c["age"], _vocab("cases", "age_band")),
                "returnee": _str_codes(returnee, ("false", "true")),
                "risk_at_intake": _str_codes(c["risk"], _vocab("cases", "risk_at_intake")),
                "region": pa.array(c["region"], type=pa.string()),
            },
        ),
        case_org,
    )

    def case_table(name: str, rows: dict, cols: dict[str, pa.Array]) -> None:
        idx = pa.array(rows["case"].astype(np.int32))
        out[name] = (
            _table(name, {"case_ref": pc.take(case_ref, idx), **cols}),
            case_org[rows["case"]],
        )

    k = contacts
    # the largest table (10 million rows in the large demo): its columns side by side
    built = _side_by_side(
        {
            "case_ref": lambda: pc.take(case_ref, pa.array(k["case"].astype(np.int32))),
            "contact_on": lambda: _str_dates(k["day"], as_of),
            "minutes": lambda: _str_numbers(k["minutes"]),
            "mode": lambda: _str_codes(k["mode"], _vocab("contacts", "mode")),
            "activity": lambda: _str_codes(k["activity"], _vocab("contacts", "activity")),
            "staff_role": lambda: _str_codes(k["staff"], _vocab("contacts", "staff_role")),
            "setting": lambda: _str_codes(k["setting"], _vocab("contacts", "setting")),
        }
    )
    out["contacts"] = (_table("contacts", built), case_org[k["case"]])
    case_table(
        "needs",
        needs,
        {
            "domain": _str_codes(needs["domain"], _DOMAINS),
            "identified_on": _str_dates(needs["day"], as_of),
            "status": _str_codes(needs["status"], _vocab("needs", "status")),
            "status_on": _str_dates(needs["status_on"], as_of),
        },
    )
    case_table(
        "referrals",
        referrals,
        {
            "referred_on": _str_dates(referrals["day"], as_of),
            "service": _str_codes(referrals["service"], _vocab("referrals", "service")),
            "outcome": _str_codes(referrals["outcome"], _vocab("referrals", "outcome")),
        },
    )
    case_table(
        "custody_events",
        custody,
        {
            "event": _str_codes(custody["kind"], _vocab("custody_events", "event")),
            "event_on": _str_dates(custody["day"], as_of),
        },
    )
    case_table(
        "assessments",
        assessments,
        {
            "assessed_on": _str_dates(assessments["day"], as_of),
            "tool": _str_codes(assessments["tool"], assessments["tools"]),
            "risk_level": _str_codes(assessments["level"], _vocab("assessments", "risk_level")),
        },
    )
    case_table(
        "outcomes",
        outcomes,
        {
            "outcome": _str_codes(outcomes["kind"], _vocab("outcomes", "outcome")),
            "recorded_on": _str_dates(outcomes["day"], as_of),
        },
    )

    def prog_table(name: str, rows: list[tuple], convert: Callable[[tuple], tuple]) -> None:
        names = TABLES_BY_NAME[name].column_names
        table = _rows_table(
            name, [(progs[r[0]].programme_id, *convert(r[1:])) for r in rows], names
        )
        owner = np.array([progs[r[0]].org for r in rows], dtype=np.int32)
        out[name] = (table, owner)

    cap = capacity
    out["capacity"] = (
        _table(
            "capacity",
            {
                "programme_id": pc.take(prog_ids, pa.array(cap["prog"].astype(np.int32))),
                "held_on": _str_dates(cap["day"], as_of),
                "activity": _str_codes(cap["activity"], _vocab("capacity", "activity")),
                "audience": _str_codes(cap["audience"], _vocab("capacity", "audience")),
                "participants": _str_numbers(cap["participants"]),
                "hours": _str_numbers(cap["hours"]),
            },
        ),
        prog_org[cap["prog"]],
    )
    prog_table("funding", funding_rows, lambda r: r)
    prog_table("staffing", staffing_rows, lambda r: r)
    prog_table("targets", target_rows, lambda r: r)
    return out


def _split(
    orgs: list[_Org],
    progs: list[_Prog],
    cases: dict[str, np.ndarray],
    tables: dict[str, tuple[pa.Table, np.ndarray]],
    as_of: date,
) -> list[DemoPackage]:
    packages = []
    bounds = {name: _boundaries(owner, len(orgs)) for name, (_unused, owner) in tables.items()}
    for i, org in enumerate(orgs):
        pkg_tables: dict[str, pa.Table] = {}
        for t in TABLES:
            if t.name in org.drop_tables:
                continue
            if t.name == "about":
                pkg_tables["about"] = _table(
                    "about",
                    {
                        "key": pa.array(["organisation", "data_as_of", "source_system"]),
                        "value": pa.array([org.organisation, as_of.isoformat(), org.source_system]),
                    },
                )
                continue
            table, _unused = tables[t.name]
            lo, hi = bounds[t.name][i], bounds[t.name][i + 1]
            pkg_tables[t.name] = table.slice(int(lo), int(hi - lo))
        packages.append(DemoPackage(org.name, org.organisation, pkg_tables))
    return packages


# --------------------------------------------------------------------------------------------
# Writing packages


def _write_csv(table: pa.Table, sink: object) -> None:
    """CSV as the spec wants it: header, UTF-8, RFC 4180 quoting, empty field for null.

    pyarrow's "needed" style quotes every string, so quoting is switched off when no value
    contains a comma, quote or line break (the usual case) and left on otherwise.
    """
    needs_quotes = any(
        pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py()
        for col in table.columns
        if len(col)
    )
    style = "needed" if needs_quotes else "none"
    pacsv.write_csv(
        table,
        sink,
        pacsv.WriteOptions(
            include_header=True, quoting_style=style, quoting_header="none", batch_size=65536
        ),
    )


def write_package(pkg: DemoPackage, path: Path, container: Container) -> Path:
    """Write ``pkg`` as a package file or folder per the format spec and return where it went.

    Why three containers: CSOs export whichever their system produces, and ingest must be
    shown and tested on each. ``path`` is the destination itself (``x.xlsx``, ``x.zip`` or
    the folder); if it is an existing directory and the container is a file,
    ``<pkg.name>.xlsx``/``.zip`` is written inside it. Files are written to a temporary name
    and renamed, so a half-written package is never picked up; a reused folder loses the CSVs
    of registry tables the package lacks, so "no data" stays visible. xlsx is meant for
    demo-sized packages and refuses tables above ``XLSX_MAX_ROWS`` rows.
    """
    if container not in ("xlsx", "zip", "folder"):
        raise ValueError(f"container must be 'xlsx', 'zip' or 'folder', not {container!r}")
    path = Path(path)
    if container in ("xlsx", "zip") and path.is_dir():
        path = path / f"{pkg.name}.{container}"
    if container == "folder":
        path.mkdir(parents=True, exist_ok=True)
        for t in TABLES:
            if t.name not in pkg.tables:
                (path / f"{t.name}.csv").unlink(missing_ok=True)
        for name, table in pkg.tables.items():
            tmp = path / f".{name}.csv.partial"
            _write_csv(table, str(tmp))
            tmp.replace(path / f"{name}.csv")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if container == "zip":
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                for name, table in pkg.tables.items():
                    with zf.open(f"{name}.csv", "w", force_zip64=True) as member:
                        _write_csv(table, member)
        else:
            _write_xlsx(pkg, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_xlsx(pkg: DemoPackage, path: Path) -> None:
    """One sheet per table; real date cells in date columns, numbers in integer columns."""
    from openpyxl import Workbook

    for name, table in pkg.tables.items():
        if table.num_rows > XLSX_MAX_ROWS:
            raise ValueError(
                f"table {name} has {table.num_rows} rows; too many for xlsx "
                f"(at most {XLSX_MAX_ROWS}); write a zip or folder instead"
            )
    wb = Workbook(write_only=True)
    for name, table in pkg.tables.items():
        ws = wb.create_sheet(name)
        spec = TABLES_BY_NAME[name]
        ws.append(list(table.column_names))
        columns = []
        for col_name in table.column_names:
            col = table.column(col_name)
            kind = spec.column(col_name).type
            if kind == "date":
                columns.append(col.cast(pa.date32()).to_pylist())
            elif kind == "integer":
                columns.append(col.cast(pa.int64()).to_pylist())
            else:
                columns.append(col.to_pylist())
        for row in zip(*columns, strict=True):
            ws.append(row)
    with open(path, "wb") as fh:  # the temporary name has no .xlsx suffix
        wb.save(fh)


def write_demo(
    out_dir: Path,
    seed: int,
    scale: str,
    progress: Callable[[str, float], None] | None = None,
    written: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Generate and write a full demo data set into ``out_dir``; return the written paths.

    demo: ``<name>.xlsx`` for every organisation, and the first organisation again as
    ``<name>.zip`` of CSVs, so users see both containers. large: one folder of CSVs per
    organisation, ``out_dir/<name>/<table>.csv``. ``written(path)`` is called as each package
    is complete, so a caller may start loading it while the next one is written.
    """
    if scale not in ("demo", "large"):
        raise ValueError(f"scale must be 'demo' or 'large', not {scale!r}")

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report(
        _("generating the demo data") if scale == "demo" else _("generating the large demo data"),
        0.0,
    )
    packages = generate(seed=seed, scale=scale)  # type: ignore[arg-type]
    report(
        n_(
            "generated {n} package",
            "generated {n} packages",
            len(packages),
            n=count(len(packages), current()),
        ),
        0.3,
    )
    paths: list[Path] = []
    for i, pkg in enumerate(packages):
        if scale == "demo":
            path = write_package(pkg, out_dir / f"{pkg.name}.xlsx", "xlsx")
            paths.append(path)
            if i == 0:
                paths.append(write_package(pkg, out_dir / f"{pkg.name}.zip", "zip"))
        else:
            path = write_package(pkg, out_dir / pkg.name, "folder")
            paths.append(path)
        if written is not None:
            written(path)
        report(_("wrote {name}", name=pkg.name), 0.3 + 0.7 * (i + 1) / len(packages))
    report(_("done"), 1.0)
    return paths
