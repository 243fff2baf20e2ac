"""Who may see what: the scope every reading function takes.

A scope names the organisations and programmes a caller may see and the audience: *internal*
(a CSO's own staff, unsuppressed) or *shared* (funders, evaluators, anything leaving the
organisation: small numbers suppressed, aggregates only). The CLI passes ``Scope.everything()``;
the dashboard derives a scope from the signed-in user. Access is enforced here, in the data
layer, by the SQL the engine writes, never by hiding pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["internal", "shared"]


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
