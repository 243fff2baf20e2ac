"""Report templates: what a funder asks for, as data (one YAML file per template).

A template names the funder (and a slot for its logo), the kind of period it reports in (a
financial year from April, a calendar half-year, a quarter …), the headline indicators of the
summary page, the sections with their indicators, splits and charts, the annexes, the wording
of headings and the formats it wants. The model below is the contract; templates are validated
like the catalogue: every issue in one pass, with file and line, and every indicator id and split
checked against the catalogue the report is built with.

``indicators/templates/*.yaml`` ships four fictional funders' templates and ``standard`` (the
default of ``report`` without ``--template``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from evaluation.measures.catalogue import (
    Catalogue,
    CatalogueIssue,
    FileIssues,
    Indicator,
    issue_at,
    load_catalogue,
    load_yaml_models,
)
from evaluation.periods import Period, recent_periods
from evaluation.vocabulary.language import N_, _, current
from evaluation.vocabulary.splits import SPLIT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "indicators" / "templates"
Format = Literal["xlsx", "docx", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("xlsx", "docx", "html", "pdf")
PeriodType = Literal["year", "half_year", "quarter", "month", "financial_year", "any"]
Annex = Literal["definitions", "data_quality", "method", "provenance", "data"]
DEFAULT_TEMPLATE = "standard"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Funder(_Model):
    name: Annotated[str, Field(min_length=2, max_length=120)]
    short_name: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    logo: str | None = None
    """A PNG or JPEG beside the template (relative path); the cover shows it when present."""


class PeriodRule(_Model):
    type: PeriodType = "any"
    start_month: Annotated[int, Field(ge=1, le=12)] = 1
    """First month of the financial year (``financial_year`` only)."""

    def example(self) -> str:
        return {
            "year": "2025",
            "half_year": "2025-H1",
            "quarter": "2025-Q2",
            "month": "2025-03",
            "financial_year": f"FY2025-{self.start_month:02d}",
            "any": "2025-Q2",
        }[self.type]

    def describe(self) -> str:
        """The periods the rule takes, in words of the language of the moment."""
        if self.type == "financial_year":
            from babel.dates import get_month_names

            lang = current()
            month = get_month_names("wide", "format", "en_GB" if lang == "en" else lang)
            return _("financial years starting in {month}", month=month[self.start_month])
        return _(PERIOD_TYPES[self.type])

    def accepts(self, period: Period) -> bool:
        if self.type == "any":
            return True
        if self.type == "financial_year":
            return (period.kind == "financial_year" and period.start.month == self.start_month) or (
                self.start_month == 1 and period.kind == "year"
            )
        return period.kind == self.type


PERIOD_TYPES: dict[str, str] = {
    "year": N_("calendar years"),
    "half_year": N_("calendar half-years"),
    "quarter": N_("calendar quarters"),
    "month": N_("calendar months"),
    "any": N_("any period"),
}
"""What a template of each period type reports, in words (translated where shown)."""


class Trend(_Model):
    type: Literal["quarter", "month", "half_year", "year"] = "quarter"
    count: Annotated[int, Field(ge=2, le=24)] = 8
    """How many periods of ``type`` the trend charts show, ending with the report period."""


class Section(_Model):
    heading: Annotated[str, Field(min_length=2, max_length=120)]
    intro: str = ""
    indicators: Annotated[list[str], Field(min_length=1)]
    """Catalogue ids (``C01``, ``C04@1``); ``all`` for every indicator of the catalogue."""
    splits: list[str] = []
    """Each split gives a table (and a chart) of the section's indicators by its values."""
    chart: Literal["trend", "none"] = "trend"
    narrative: bool = True


class Wording(_Model):
    """The headings and notices of a report. The defaults are the platform's (translated in
    its catalogues); a template's own wording is translated too when a catalogue holds it (the
    shipped templates' texts are in ``locale/<lang>/reports.po``), else it is written as given.
    Translate at use: ``_(wording.summary_heading)``."""

    summary_heading: str = N_("Summary")
    narrative_heading: str = N_("Narrative (draft)")
    draft_notice: str = N_(
        "Draft generated from the figures of this report. Check it, add context "
        "and edit it before sending; it states only what the figures show."
    )
    definitions_heading: str = N_("Definitions")
    data_quality_heading: str = N_("Data quality")
    method_heading: str = N_("Method")
    provenance_heading: str = N_("Provenance")
    data_heading: str = N_("Data")
    phrases: dict[str, str] = {}
    """Sentence openings per indicator id, e.g. ``C01: "the programme opened {value} new exit
    cases"``; ``{value}`` is the formatted figure. Others get a generic sentence."""


class ReportTemplate(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")]
    title: Annotated[str, Field(min_length=3, max_length=160)]
    description: str = ""
    funder: Funder
    period: PeriodRule = PeriodRule()
    audience: Literal["shared", "internal"] = "shared"
    """``shared`` (suppressed) unless the report stays inside the organisation."""
    formats: Annotated[list[Format], Field(min_length=1)] = list(FORMATS)
    counts_only: bool = False
    """Refuse any indicator that is not a count (a municipality's return)."""
    show_targets: bool = True
    show_baselines: bool = True
    headline: list[str] = []
    trend: Trend = Trend()
    sections: Annotated[list[Section], Field(min_length=1)]
    annexes: list[Annex] = ["definitions", "data_quality", "method", "provenance", "data"]
    wording: Wording = Wording()
    docx_template: str | None = None
    """A Word file beside the template (docxtpl tags) that the platform fills instead of
    writing its own layout; see ``docs/reports.md``."""
    folder: Path | None = Field(default=None, exclude=True)

    def resolve(self, relative: str | None) -> Path | None:
        if relative is None or self.folder is None:
            return None
        return (self.folder / relative).resolve()


class TemplateError(FileIssues):
    """Templates that do not validate; ``issues`` lists each with file and line."""

    subject = "The report templates have"


@dataclass(frozen=True)
class Templates:
    by_id: dict[str, ReportTemplate]

    def __iter__(self) -> Iterator[ReportTemplate]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, template_id: str | None) -> ReportTemplate:
        name = template_id or DEFAULT_TEMPLATE
        try:
            return self.by_id[name]
        except KeyError:
            known = ", ".join(sorted(self.by_id))
            raise TemplateError(
                [
                    CatalogueIssue(
                        "--template",
                        0,
                        _(
                            "there is no report template {name}; the templates are: {known}",
                            name=_short(name),
                            known=known,
                        ),
                    )
                ]
            ) from None


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text))
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def section_indicators(section: Section, catalogue: Catalogue) -> list[Indicator]:
    """The indicators of a section, in catalogue order for ``all``, else as listed."""
    if section.indicators == ["all"]:
        return catalogue.latest()
    return [catalogue.get(ref) for ref in section.indicators]


def headline_indicators(template: ReportTemplate, catalogue: Catalogue) -> list[Indicator]:
    return [catalogue.get(ref) for ref in template.headline]


def _semantic_issues(t: ReportTemplate, catalogue: Catalogue) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []

    def check_ids(ids: list[str], loc: tuple) -> None:
        for n, ref in enumerate(ids):
            if ref == "all" and loc[0] == "sections":
                if len(ids) > 1:
                    out.append(((*loc, n), "`all` stands alone in a section's indicators"))
                continue
            try:
                ind = catalogue.get(ref)
            except KeyError:
                out.append(((*loc, n), f"{_short(ref)} is not an indicator of the catalogue"))
                continue
            if t.counts_only and ind.kind != "count":
                out.append(
                    ((*loc, n), f"{ind.id} is a {ind.kind}, but the template is counts only")
                )

    check_ids(t.headline, ("headline",))
    for s_n, section in enumerate(t.sections):
        check_ids(section.indicators, ("sections", s_n, "indicators"))
        if t.counts_only and section.indicators == ["all"]:
            out.append(
                (
                    ("sections", s_n, "indicators"),
                    "`all` includes rates, but the template is counts only",
                )
            )
        for n, split in enumerate(section.splits):
            if split not in SPLIT_COLUMNS:
                out.append(
                    (
                        ("sections", s_n, "splits", n),
                        f"{_short(split)} is not a split; the splits are "
                        f"{', '.join(SPLIT_COLUMNS)}",
                    )
                )
        if len(set(section.splits)) != len(section.splits):
            out.append((("sections", s_n, "splits"), "a split is listed twice"))
    for key in t.wording.phrases:
        try:
            catalogue.get(key)
        except KeyError:
            out.append(
                (("wording", "phrases"), f"{_short(key)} is not an indicator of the catalogue")
            )
    for key, phrase in t.wording.phrases.items():
        if "{value}" not in phrase:
            out.append((("wording", "phrases", key), "a phrase must contain {value}"))
        stray = set(re.findall(r"{([^}]*)}", phrase)) - {"value"}
        if stray:
            out.append((("wording", "phrases", key), "a phrase may only use {value}"))
    for field, rel in (("funder", t.funder.logo), ("docx_template", t.docx_template)):
        path = t.resolve(rel)
        if rel is not None and (path is None or not path.is_file()):
            loc = ("funder", "logo") if field == "funder" else ("docx_template",)
            out.append((loc, f"the file {_short(rel)} is not beside the template"))
    if t.docx_template is not None and "docx" not in t.formats:
        out.append((("docx_template",), "a Word template is given but docx is not a format"))
    return out


def load_templates(*folders: Path, catalogue: Catalogue | None = None) -> Templates:
    """Load and validate every ``*.yaml`` of the folders (default: the shipped templates).

    Raises ``TemplateError`` listing every issue with file and line.
    """
    catalogue = catalogue or load_catalogue()
    issues: list[CatalogueIssue] = []
    found: dict[str, ReportTemplate] = {}
    where: dict[str, str] = {}
    for name, node, template in load_yaml_models(
        folders or (TEMPLATES_DIR,),
        ReportTemplate,
        issues,
        what="report templates",
        extra=lambda path: {"folder": path.parent},
        not_mapping="a template is a mapping of fields",
    ):
        issues += [
            issue_at(name, node, loc, problem)
            for loc, problem in _semantic_issues(template, catalogue)
        ]
        if template.id in where:
            issues.append(
                CatalogueIssue(
                    name, 1, f"the id {template.id} is also used by {where[template.id]}"
                )
            )
        where[template.id] = name
        found[template.id] = template
    if issues:
        raise TemplateError(issues)
    return Templates(found)


def period_choices(
    template: ReportTemplate, data_as_of: date, first_date: date | None = None, *, count: int = 6
) -> list[Period]:
    """The periods a template can report on for data up to ``data_as_of``, newest first.

    Only periods that are over in the data are offered (a funder's report is for a finished
    period); periods ending before ``first_date`` are left out. A template that takes ``any``
    period offers the dashboard's usual ``recent_periods``; a financial-year template offers
    financial years starting in its own ``start_month``.
    """
    rule = template.period
    if rule.type == "any":
        return recent_periods(data_as_of, first_date)
    return recent_periods(data_as_of, first_date, {rule.type: count}, start_month=rule.start_month)
