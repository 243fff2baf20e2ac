"""Who may see what: the scope every reading function takes, and the viewer who holds one.

A scope names the organisations and programmes a caller may see and the audience: *internal*
(a CSO's own staff, unsuppressed) or *shared* (funders, evaluators, anything leaving the
organisation: small numbers suppressed, aggregates only). The CLI passes ``Scope.everything()``;
the dashboard derives a scope from the signed-in user. Access is enforced here, in the data
layer, by the SQL the engine writes, never by hiding pages.

A ``Viewer`` is who looks: a person's name (their actions are recorded under it), their role and
their scope. Caches of results are keyed by the scope alone (``Scope.key``): two viewers who may
see the same data share them, and no one is ever served another scope's result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evaluation.errors import EvaluationError
from evaluation.vocabulary.audiences import Audience
from evaluation.vocabulary.language import _, n_
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.roles import Role, role_title

__all__ = ["AccessDenied", "Audience", "Scope", "Viewer"]


class AccessDenied(EvaluationError, PermissionError):
    """The caller's scope does not allow this (another organisation, or case-level data for the
    shared audience)."""


@dataclass(frozen=True)
class Scope:
    """What may be seen: which organisations and programmes, and for which audience."""

    organisations: frozenset[str] | None = None
    """Organisation names (case-insensitive); None: all."""
    programmes: frozenset[str] | None = None
    """Programme ids; None: all (of the organisations)."""
    audience: Audience = "internal"

    @classmethod
    def everything(cls, audience: Audience = "internal") -> Scope:
        return cls(None, None, audience)

    @property
    def internal(self) -> bool:
        """Whether figures are seen unsuppressed (the organisation's own staff)."""
        return self.audience == "internal"

    @property
    def key(self) -> str:
        """A stable text to key caches by."""
        orgs = ",".join(sorted(self.organisations)) if self.organisations is not None else "*"
        progs = ",".join(sorted(self.programmes)) if self.programmes is not None else "*"
        return f"{self.audience}|{orgs}|{progs}"

    def sql_filter(self, org_col: str, programme_col: str) -> tuple[str, list[object]]:
        """A SQL condition (and its parameters) limiting rows to this scope."""
        conds: list[str] = []
        params: list[object] = []
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
        """Refuse ``what`` (a noun phrase in the plural, translated by the caller) to the
        shared audience: it is case-level or unsuppressed, for the organisation's own staff
        only."""
        if self.audience != "internal":
            text = _(
                "{what} are for the organisation's own staff. Funders "
                "and evaluators see the indicators, with small numbers hidden.",
                what=what,
            )
            raise AccessDenied(text[:1].upper() + text[1:])


@dataclass(frozen=True)
class Viewer:
    """Who looks: the name their actions are recorded under, their role and what they may see.

    The dashboard makes one per run from the signed-in account (``users.scope_for`` gives the
    scope); ``Viewer.everything()`` is the unrestricted internal view.
    """

    name: str = "dashboard"
    role: Role = "admin"
    scope: Scope = Scope()

    @classmethod
    def everything(cls, name: str = "dashboard") -> Viewer:
        return cls(name, "admin", Scope.everything())

    @property
    def key(self) -> str:
        """The cache key: the scope's (what is seen depends on nothing else)."""
        return self.scope.key

    @property
    def internal(self) -> bool:
        return self.scope.internal

    @property
    def label(self) -> str:
        """``ana — CSO manager, Verein A (internal view)``: who looks at what, for the sidebar
        (in the language of the moment); programmes by their ids (``label_with`` names them)."""
        return self.label_with({})

    def label_with(self, programme_names: Mapping[str, str]) -> str:
        """``label``, each programme of the scope by its name in ``programme_names`` (id →
        name; its id where it has none) and the demo's mark in the reader's language."""
        scope = self.scope
        view = _("internal view") if scope.internal else _("shared view: small numbers hidden")
        if scope.organisations is None and scope.programmes is None:
            what = _("every organisation")
        elif not scope.organisations:
            what = _("nothing yet (an empty scope)")
        else:
            organisations = sorted(shown_name(o) for o in scope.organisations)
            what = _listing(
                organisations,
                n_("{n} organisation", "{n} organisations", len(organisations)),
            )
            if scope.programmes is not None:
                programmes = sorted(programme_names.get(p, p) for p in scope.programmes)
                what = _(
                    "{programmes} of {organisations}",
                    programmes=_listing(
                        programmes, n_("{n} programme", "{n} programmes", len(programmes))
                    ),
                    organisations=what,
                )
        return _(
            "{name} — {role}, {what} ({view})",
            name=self.name,
            role=role_title(self.role),
            what=what,
            view=view,
        )


def _listing(items: list[str], counted: str) -> str:
    """Up to two items by name, else how many (``counted``: ``5 organisations``)."""
    return ", ".join(items) if len(items) <= 2 else counted
