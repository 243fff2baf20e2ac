"""Mapping profiles: how a case-management system's own export maps onto the format.

A profile is a small YAML file. It renames tables and columns, maps values (e.g. German labels
to the format's vocabulary), drops named columns before anything reads them, converts dates
written in another pattern, and adds words the anonymisation gate must treat as identifiers in
that language. Profiles shipped with the platform live in ``evaluation/profiles/``; a path to
any other YAML file works too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from evaluation.errors import ProfileError
from evaluation.intake.gate import normalise_name
from evaluation.store.schema import TABLES_BY_NAME
from evaluation.vocabulary.language import _

SHIPPED = Path(__file__).parent / "profiles"
_KEYS = {
    "name",
    "description",
    "tables",
    "columns",
    "drop",
    "values",
    "booleans",
    "date_format",
    "identifier_names",
}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    tables: dict[str, str] = field(default_factory=dict)
    """source table name (normalised) → format table."""
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    """format table → source column (normalised) → format column."""
    drop: dict[str, frozenset[str]] = field(default_factory=dict)
    """format table → source columns (normalised) never read."""
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """format table → format column → source value (lower-case) → format value."""
    booleans: dict[str, bool] = field(default_factory=dict)
    date_format: str | None = None
    identifier_names: tuple[str, ...] = ()
    digest: str = ""

    def table_for(self, source_name: str) -> str:
        n = normalise_name(source_name)
        return self.tables.get(n, n)

    def column_for(self, table: str, source_name: str) -> str:
        n = normalise_name(source_name)
        return self.columns.get(table, {}).get(n, n)

    def drops(self, table: str, source_name: str) -> bool:
        return normalise_name(source_name) in self.drop.get(table, frozenset())


NO_PROFILE = Profile(name="")


def available_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def load_profile(name_or_path: str | Path | None) -> Profile:
    """Load a shipped profile by name, or a profile file by path."""
    if not name_or_path:
        return NO_PROFILE
    path = Path(name_or_path)
    if not path.is_file():
        path = SHIPPED / f"{name_or_path}.yaml"
    if not path.is_file():
        shipped = ", ".join(available_profiles()) or _("none")
        raise ProfileError(
            _(
                'There is no mapping profile called "{name}". Shipped profiles: {shipped}; or '
                "give the path of a .yaml profile file.",
                name=name_or_path,
                shipped=shipped,
            )
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProfileError(
            _(
                "The profile {name} is not valid YAML at line {line}.",
                name=path.name,
                line=mark.line + 1,
            )
            if mark
            else _("The profile {name} is not valid YAML.", name=path.name)
        ) from None
    return parse_profile(raw, path.name, text)


def parse_profile(raw: object, label: str, text: str = "") -> Profile:
    import hashlib

    if not isinstance(raw, dict):
        raise ProfileError(_("The profile {name} must be a YAML mapping of settings.", name=label))
    problems: list[str] = []
    unknown = set(raw) - _KEYS
    if unknown:
        problems.append(
            _("unknown settings {settings}", settings=", ".join(sorted(map(str, unknown))))
        )
    tables = {normalise_name(str(k)): str(v) for k, v in (raw.get("tables") or {}).items()}
    for target in tables.values():
        if target not in TABLES_BY_NAME:
            problems.append(
                _("`tables` maps to `{target}`, which is not a table of the format", target=target)
            )

    def per_table(key: str) -> dict:
        section = raw.get(key) or {}
        if not isinstance(section, dict):
            problems.append(_("`{key}` must be a mapping of table names", key=key))
            return {}
        for t in section:
            if t not in TABLES_BY_NAME:
                problems.append(
                    _(
                        "`{key}` names `{table}`, which is not a table of the format",
                        key=key,
                        table=t,
                    )
                )
        return section

    columns: dict[str, dict[str, str]] = {}
    for t, mapping in per_table("columns").items():
        columns[t] = {normalise_name(str(k)): str(v) for k, v in (mapping or {}).items()}
        for target in columns[t].values():
            if t in TABLES_BY_NAME and target not in TABLES_BY_NAME[t].column_names:
                problems.append(
                    _(
                        "`columns.{table}` maps to `{target}`, not a column of `{table}`",
                        table=t,
                        target=target,
                    )
                )
    drop = {
        t: frozenset(normalise_name(str(c)) for c in (cols or []))
        for t, cols in per_table("drop").items()
    }
    values: dict[str, dict[str, dict[str, str]]] = {}
    for t, cols in per_table("values").items():
        values[t] = {}
        for c, mapping in (cols or {}).items():
            if t in TABLES_BY_NAME and c not in TABLES_BY_NAME[t].column_names:
                problems.append(
                    _(
                        "`values.{table}` names `{column}`, not a column of `{table}`",
                        table=t,
                        column=c,
                    )
                )
            values[t][c] = {str(k).strip().lower(): str(v) for k, v in (mapping or {}).items()}
            for k, v in (mapping or {}).items():
                if not isinstance(v, str):
                    problems.append(
                        _(
                            "`values.{table}.{column}` maps `{value}` to a number; put the format "
                            "value in quotes (YAML reads 18_24 as the number 1824)",
                            table=t,
                            column=c,
                            value=k,
                        )
                    )
    booleans = {str(k).strip().lower(): bool(v) for k, v in (raw.get("booleans") or {}).items()}
    date_format = raw.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        problems.append(_('`date_format` must be a text such as "%d.%m.%Y"'))
    idents = tuple(str(w).strip().lower() for w in (raw.get("identifier_names") or []))
    if problems:
        raise ProfileError(
            _(
                "The profile {name} has problems: {problems}.",
                name=label,
                problems="; ".join(problems),
            )
        )
    return Profile(
        name=str(raw.get("name") or Path(label).stem),
        description=str(raw.get("description") or ""),
        tables=tables,
        columns=columns,
        drop=drop,
        values=values,
        booleans=booleans,
        date_format=date_format,
        identifier_names=idents,
        digest=hashlib.sha256(text.encode()).hexdigest()[:16] if text else "",
    )
