"""Who may see what: the scope every reading function takes.

A scope names the organisations and programmes a caller may see and the audience: *internal*
(a CSO's own staff, unsuppressed) or *shared* (funders, evaluators, anything leaving the
organisation: small numbers suppressed, aggregates only). The CLI passes ``Scope.everything()``;
the dashboard derives a scope from the signed-in user. Access is enforced here, in the data
layer, by the SQL the engine writes, never by hiding pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from evaluation.errors import EvaluationError

Audience = Literal["internal", "shared"]


class AccessDenied(EvaluationError, PermissionError):
    """The caller's scope does not allow this (another organisation, or case-level data for the
    shared audience)."""


@dataclass(frozen=True)
class Scope:
    organisations: frozenset[str] | None = None
    """Organisation names (case-insensitive); None: all."""
    programmes: frozenset[str] | None = None
    """Programme ids; None: all (of the organisations)."""
    audience: Audience = "internal"

    @classmethod
    def everything(cls, audience: Audience = "internal") -> Scope:
        return cls(None, None, audience)

    @property
    def key(self) -> str:
        """A stable text to key caches by."""
        orgs = ",".join(sorted(self.organisations)) if self.organisations is not None else "*"
        progs = ",".join(sorted(self.programmes)) if self.programmes is not None else "*"
        return f"{self.audience}|{orgs}|{progs}"

    def sql_filter(self, org_col: str, programme_col: str) -> tuple[str, list[object]]:
        """A SQL condition (and its parameters) limiting rows to this scope."""
        conds, params = [], []
        if self.organisations is not None:
            conds.append(f"lower(trim({org_col})) IN (SELECT unnest(?::VARCHAR[]))")
            params.append(sorted(o.strip().lower() for o in self.organisations))
        if self.programmes is not None:
            conds.append(f"{programme_col} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(sorted(self.programmes))
        return (" AND ".join(conds) or "TRUE"), params

    def allows(self, organisation: str, programmes: Iterable[str] = ()) -> bool:
        """Whether rows of ``organisation`` (and, if given, all of ``programmes``) are in scope:
        the same rule as ``sql_filter``, for values already in Python."""
        if self.organisations is not None and organisation.strip().lower() not in {
            o.strip().lower() for o in self.organisations
        }:
            return False
        return self.programmes is None or set(programmes) <= self.programmes

    def require_internal(self, what: str) -> None:
        """Refuse ``what`` (a noun phrase) to the shared audience: it is case-level or
        unsuppressed, for the organisation's own staff only."""
        if self.audience != "internal":
            raise AccessDenied(
                f"{what[:1].upper()}{what[1:]} are for the organisation's own staff. Funders "
                "and evaluators see the indicators, with small numbers hidden."
            )
