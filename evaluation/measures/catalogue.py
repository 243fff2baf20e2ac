"""The indicator catalogue: one YAML file per indicator, validated as a whole.

Each file declares an indicator of ``docs/spec/indicators-v1.md`` (or an organisation's own):
what it means (name, definition, unit, direction, caveats), which tables it needs, which splits
it allows, and its computation in a declarative form — the population counted, the date that
must fall in the period, the conditions, the censoring, and what the numerator or measure is.
The engine (``evaluation.measures.engine``) compiles these declarations to DuckDB SQL.

The model below is the contract; ``catalogue.schema.json`` is generated from it and checked in.
Loading validates every file in one pass and reports every issue with file and line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evaluation.errors import EvaluationError
from evaluation.vocabulary.groups import GroupCode
from evaluation.vocabulary.kinds import Kind

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_DIR = ROOT / "indicators" / "catalogue"
SCHEMA_FILE = ROOT / "indicators" / "catalogue.schema.json"

Population = Literal["cases", "releases", "needs", "referrals", "capacity", "funding", "staffing"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Model):
    """A condition on a column of the population row (or of its case: ``case.<column>``)."""

    column: str
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    is_missing: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if sum(x is not None for x in (self.in_, self.not_in, self.is_missing)) != 1:
            raise ValueError("a condition needs exactly one of `in`, `not_in`, `is_missing`")
        return self


class DateRef(_Model):
    """A day: a date column of the population row (or ``period_start``/``period_end``) + days."""

    date: str
    days: int = 0
    exclusive: bool = False
    """For a window start: the day itself is not included (``after``, not ``on or after``)."""


class Related(_Model):
    """Rows of another table of the same case inside a window, e.g. contacts within 7 days."""

    table: Literal["contacts", "needs", "referrals", "custody_events", "assessments", "outcomes"]
    date: str
    """The related row's date column."""
    from_: DateRef | None = Field(None, alias="from")
    """Window start (included unless ``exclusive``); none: any time before."""
    to: DateRef | None = None
    """Window end (included); none: any time after."""
    where: list[Condition] = []
    min_rows: int = 1
    """At least this many rows (``min_contacts: 6`` of O07)."""


class Compare(_Model):
    """``column ≤ other + days`` on the population row; a missing ``column`` is false."""

    column: str
    on_or_before: DateRef


class ClosedWithin(_Model):
    """The case was closed with one of ``reasons`` on a day up to ``to``."""

    reasons: list[str]
    to: DateRef


class LatestLower(_Model):
    """The level of the latest related row inside the window is lower than a level of the row.

    O09: the latest assessment between opening and closing has a ``risk_level`` lower than the
    case's ``risk_at_intake``. Levels rank by their place in ``order`` (``low`` < ``medium`` <
    ``high``); a level not in it ranks as missing, so the member does not count. Several rows on
    the latest date: the highest of their levels.
    """

    related: Related
    level: str
    """The related row's level column."""
    than: str
    """The population row's level column it must be lower than."""
    order: Annotated[list[str], Field(min_length=2)]
    """The levels from lowest to highest."""


class Numerator(_Model):
    """What makes a member of the denominator count in the numerator (all must hold)."""

    where: list[Condition] = []
    related: Related | None = None
    compare: Compare | None = None
    not_closed_within: ClosedWithin | None = None
    latest_lower: LatestLower | None = None
    """O09: the latest assessment between opening and closing is below risk at intake."""


class Measure(_Model):
    """How the value is computed from the population in the period."""

    type: Literal[
        "count",
        "sum",
        "proportion",
        "median_days_to_related",
        "ratio_sum_related",
        "funding_total",
        "funding_per_open_case",
        "largest_funder_share",
        "funding_months_ahead",
        "turnover",
    ]
    column: str | None = None
    """``sum``: the column summed."""
    numerator: Numerator | None = None
    """``proportion``: who counts in the numerator."""
    related: Related | None = None
    """``median_days_to_related`` / ``ratio_sum_related``: the related rows."""
    divide_by: float = 1.0
    """``ratio_sum_related``: e.g. 60 to turn minutes into hours."""
    days_per_month: float = 30.4375


class Computation(_Model):
    population: Population
    clients: Literal["exit", "concerned", "any"] = "any"
    """For case populations: which client types (``CLIENT_GROUPS``)."""
    anchor: str
    """The population row's date that must fall in the period, or ``open_during`` (cases
    opened on or before the period's end and not closed before its start)."""
    where: list[Condition] = []
    censor: DateRef | None = None
    """Only members with this day on or before the programme's ``data_as_of``."""
    exclude: ClosedWithin | None = None
    """Members left out of the denominator (O08's excluded closures)."""
    open_on_anchor: bool = False
    """Releases: the case must be open on the event day."""
    requires_related: Related | None = None
    """Members must have such related rows (O09: an assessment between opening and closing)."""
    measure: Measure


class Indicator(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,15}$")]
    version: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=3)]
    kind: Kind
    unit: Annotated[str, Field(min_length=1)]
    direction: Literal["higher", "lower", "neutral"]
    definition: Annotated[str, Field(min_length=10)]
    group: GroupCode
    sources: list[str]
    splits: Literal["case", "programme"]
    """``case``: every case column and programme attribute; ``programme``: programme only."""
    about_people: bool
    """Counts of people: small numbers are suppressed for the shared audience."""
    caveats: list[str] = []
    optional_fields: list[str] = []
    """Optional columns the indicator depends on (``cases.first_request_on``): their
    completeness is reported beside the indicator so a reader knows how far to trust it."""
    computation: Computation

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class CatalogueIssue:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FileIssues(EvaluationError, ValueError):
    """YAML files that do not validate; ``issues`` lists each with file and line."""

    subject = "The files have"
    """How the message starts (``The indicator catalogue has``)."""

    def __init__(self, issues: list[CatalogueIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  {i}" for i in issues)
        super().__init__(
            f"{self.subject} {len(issues)} problem{'s' if len(issues) != 1 else ''}:\n{lines}"
        )


class CatalogueError(FileIssues):
    subject = "The indicator catalogue has"


class Catalogue:
    """Every indicator and version, by id; the newest version is the default."""

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        self._by_key: dict[str, Indicator] = {}
        for ind in indicators:
            self._by_key[ind.key] = ind

    def __iter__(self):
        return iter(self.latest())

    def __len__(self) -> int:
        return len(self.latest())

    def latest(self) -> list[Indicator]:
        newest: dict[str, Indicator] = {}
        for ind in self._by_key.values():
            if ind.id not in newest or ind.version > newest[ind.id].version:
                newest[ind.id] = ind
        return sorted(newest.values(), key=_order)

    def versions(self, indicator_id: str) -> list[Indicator]:
        return sorted(
            (i for i in self._by_key.values() if i.id == indicator_id), key=lambda i: i.version
        )

    def get(self, ref: str) -> Indicator:
        """``C04`` (newest version) or ``C04@1``."""
        ref = ref.strip().upper()
        if "@" in ref:
            if ref not in self._by_key:
                raise KeyError(ref)
            return self._by_key[ref]
        versions = self.versions(ref)
        if not versions:
            raise KeyError(ref)
        return versions[-1]


def _order(ind: Indicator) -> tuple[int, str]:
    return ("COKFS".find(ind.id[0]) if ind.id[0] in "COKFS" else 9, ind.id)


def _line_of(node: yaml.Node, path: tuple[Any, ...]) -> int:
    """Line (1-based) of the value at ``path`` in a composed YAML document."""
    current = node
    for key in path:
        if isinstance(current, yaml.MappingNode):
            for k, v in current.value:
                if (
                    k.value == key
                    or (key == "in_" and k.value == "in")
                    or (key == "from_" and k.value == "from")
                ):
                    current = v
                    break
            else:
                break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(key, int)
            and key < len(current.value)
        ):
            current = current.value[key]
        else:
            break
    return current.start_mark.line + 1


M = TypeVar("M", bound=BaseModel)


def issue_at(
    name: str,
    node: yaml.Node | None,
    loc: tuple[Any, ...],
    message: str,
) -> CatalogueIssue:
    """An issue of file ``name`` at the value ``loc`` points to (``sections.0.splits.1``)."""
    label = ".".join(str(x) for x in loc) or "(file)"
    return CatalogueIssue(name, _line_of(node, loc) if node else 0, f"{label}: {message}")


_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (~10× faster), else the Python one."""


def load_yaml_models(
    folders: Iterable[Path],
    model: type[M],
    issues: list[CatalogueIssue],
    *,
    what: str,
    extra: Callable[[Path], dict[str, Any]] | None = None,
    not_mapping: str | None = None,
) -> list[tuple[str, yaml.Node | None, M]]:
    """Parse and validate every ``*.yaml`` of ``folders`` as a ``model``; the files that
    validate come back with their name and YAML node (for line numbers), and every problem is
    appended to ``issues`` with file and line. Shared by the catalogue and the report templates.

    ``what`` names the files for a folder without any; ``extra`` adds fields from the file's
    path; ``not_mapping`` is the sentence for a file that is not a mapping (default: the
    model's own error).
    """
    out = []
    for folder in folders:
        files = sorted(Path(folder).glob("*.yaml"))
        if not files:
            issues.append(CatalogueIssue(str(folder), 0, f"no {what} (*.yaml) here"))
        for path in files:
            name = path.name
            text = path.read_text(encoding="utf-8")
            try:
                node = yaml.compose(text, Loader=_YAML_LOADER)
                data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                issues.append(
                    CatalogueIssue(
                        name,
                        (mark.line + 1) if mark else 0,
                        f"not valid YAML ({getattr(exc, 'problem', exc)})",
                    )
                )
                continue
            if not_mapping and not isinstance(data, dict):
                issues.append(CatalogueIssue(name, 1, not_mapping))
                continue
            if extra is not None and isinstance(data, dict):
                data = {**data, **extra(path)}
            try:
                out.append((name, node, model.model_validate(data)))
            except ValidationError as exc:
                issues += [
                    issue_at(name, node, tuple(err["loc"]), err["msg"]) for err in exc.errors()
                ]
    return out


_LOADED: dict[tuple[object, ...], Catalogue] = {}
_LOADING = threading.Lock()


def _fingerprint(folders: tuple[Path, ...]) -> tuple[object, ...]:
    """What a loaded catalogue depends on: each folder's ``*.yaml`` files with their size and
    modification time, so an added, removed or edited file gives another key."""
    out: list[object] = []
    for folder in folders:
        out.append(str(Path(folder).resolve()))
        for path in sorted(Path(folder).glob("*.yaml")):
            stat = path.stat()
            out.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def load_catalogue(*folders: Path) -> Catalogue:
    """Load and validate every ``*.yaml`` of the folders (default: the shipped catalogue).

    Raises ``CatalogueError`` listing every issue with file and line. A catalogue is read once
    and kept while its files are unchanged (same names, sizes and modification times): the
    engine, the pages and the reports ask for it on every request, and validating it costs
    about a tenth of a second. Safe across threads; a catalogue is never changed once built.
    """
    chosen = tuple(folders) or (CATALOGUE_DIR,)
    key = _fingerprint(chosen)
    with _LOADING:
        cached = _LOADED.get(key)
        if cached is None:
            cached = _read_catalogue(chosen)
            if len(_LOADED) >= 16:
                _LOADED.clear()
            _LOADED[key] = cached
        return cached


def _read_catalogue(folders: tuple[Path, ...]) -> Catalogue:
    issues: list[CatalogueIssue] = []
    indicators: list[Indicator] = []
    seen: dict[str, str] = {}
    for name, _node, ind in load_yaml_models(folders, Indicator, issues, what="indicator files"):
        for problem in _semantic_issues(ind):
            issues.append(CatalogueIssue(name, 1, problem))
        if ind.key in seen:
            issues.append(CatalogueIssue(name, 1, f"{ind.key} is also defined in {seen[ind.key]}"))
        seen[ind.key] = name
        indicators.append(ind)
    if issues:
        raise CatalogueError(issues)
    return Catalogue(indicators)


def _semantic_issues(ind: Indicator) -> list[str]:
    from evaluation.store.schema import TABLES_BY_NAME

    out = []
    for s in ind.sources:
        if s not in TABLES_BY_NAME:
            out.append(f"sources: `{s}` is not a table of the data format")
    for f in ind.optional_fields:
        table, _, column = f.partition(".")
        if table not in TABLES_BY_NAME or column not in TABLES_BY_NAME[table].column_names:
            out.append(f"optional_fields: `{f}` is not a column of the data format")
    out += _column_issues(ind)
    m = ind.computation.measure
    if m.type == "proportion" and m.numerator is None:
        out.append("computation.measure: a proportion needs a `numerator`")
    if ind.kind == "proportion" and m.type != "proportion":
        out.append("kind proportion needs measure type proportion")
    return out


def catalogue_json_schema() -> dict[str, Any]:
    """The JSON Schema of an indicator file, generated from the model."""
    schema = Indicator.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Indicator (exit-evaluation catalogue)"
    return schema


def write_json_schema(path: Path = SCHEMA_FILE) -> Path:
    path.write_text(
        json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


@dataclass(frozen=True)
class PopulationTable:
    """Where the members of a population are: the rows of ``table`` that meet ``where``.

    ``of_case``: every row belongs to a case (its case columns can be named and split by);
    otherwise the rows belong to a programme.
    """

    table: str
    of_case: bool
    where: tuple[Condition, ...] = ()


def _is(column: str, *values: str) -> Condition:
    return Condition.model_validate({"column": column, "in": list(values)})


POPULATIONS: Mapping[str, PopulationTable] = {
    "cases": PopulationTable("cases", of_case=True),
    "releases": PopulationTable("custody_events", of_case=True, where=(_is("event", "released"),)),
    "needs": PopulationTable("needs", of_case=True),
    "referrals": PopulationTable("referrals", of_case=True),
    "capacity": PopulationTable("capacity", of_case=False),
    "funding": PopulationTable("funding", of_case=False),
    "staffing": PopulationTable("staffing", of_case=False),
}
"""Every ``computation.population``: a release is a ``custody_events`` row of event
``released`` (``indicators-v1.md``, release cohort R(P))."""
CASE_POPULATIONS = tuple(name for name, pop in POPULATIONS.items() if pop.of_case)
CLIENT_GROUPS: Mapping[str, Condition] = {
    "exit": _is("client_type", "exit_participant"),
    "concerned": _is("client_type", "relative", "friend", "professional"),
}
"""``computation.clients``, as ``indicators-v1.md`` defines them: an *exit case* has client
type ``exit_participant``, a *concerned case* ``relative``, ``friend`` or ``professional``;
``any`` is every case."""


def _column_issues(ind: Indicator) -> list[str]:
    """Every column a computation names must be a column of the data format.

    The engine writes these names into SQL, so a custom catalogue file must not be able to
    smuggle in anything else.
    """
    from evaluation.store.schema import TABLES_BY_NAME

    comp = ind.computation
    row_table = TABLES_BY_NAME[POPULATIONS[comp.population].table]
    case_cols = set(TABLES_BY_NAME["cases"].column_names)
    own = set(row_table.column_names)
    if comp.population in CASE_POPULATIONS:
        own |= case_cols
    periods = {"period_start", "period_end"}
    out: list[str] = []

    def check(name: str, allowed: set[str], where: str) -> None:
        bare = name[5:] if name.startswith("case.") else name
        pool = case_cols if name.startswith("case.") else allowed
        if bare not in pool:
            out.append(f"{where}: `{name}` is not a column here")

    def check_related(rel: Related, where: str) -> None:
        if rel.table not in TABLES_BY_NAME:
            out.append(f"{where}.table: `{rel.table}` is not a table")
            return
        rel_cols = set(TABLES_BY_NAME[rel.table].column_names)
        check(rel.date, rel_cols, f"{where}.date")
        for c in rel.where:
            check(c.column, rel_cols, f"{where}.where")
        for r in (rel.from_, rel.to):
            if r is not None:
                check(r.date, own | periods, f"{where} window")

    if comp.anchor not in ("open_during", "period"):
        check(comp.anchor, own, "computation.anchor")
    for c in comp.where:
        check(c.column, own, "computation.where")
    for r in (comp.censor, comp.exclude.to if comp.exclude else None):
        if r is not None:
            check(r.date, own, "computation.censor")
    if comp.requires_related:
        check_related(comp.requires_related, "computation.requires_related")
    m = comp.measure
    if m.related:
        check_related(m.related, "computation.measure.related")
        if m.column:
            check(
                m.column,
                set(TABLES_BY_NAME[m.related.table].column_names),
                "computation.measure.column",
            )
    elif m.column:
        check(m.column, own, "computation.measure.column")
    if m.numerator:
        for c in m.numerator.where:
            check(c.column, own, "computation.measure.numerator.where")
        if m.numerator.related:
            check_related(m.numerator.related, "computation.measure.numerator.related")
        if m.numerator.compare:
            check(m.numerator.compare.column, own, "computation.measure.numerator.compare")
            check(
                m.numerator.compare.on_or_before.date,
                own | periods,
                "computation.measure.numerator.compare",
            )
        if m.numerator.not_closed_within:
            check(
                m.numerator.not_closed_within.to.date,
                own,
                "computation.measure.numerator.not_closed_within",
            )
        latest = m.numerator.latest_lower
        if latest:
            where = "computation.measure.numerator.latest_lower"
            check_related(latest.related, f"{where}.related")
            if latest.related.table in TABLES_BY_NAME:
                check(latest.level, set(TABLES_BY_NAME[latest.related.table].column_names), where)
            check(latest.than, own, where)
    return out
