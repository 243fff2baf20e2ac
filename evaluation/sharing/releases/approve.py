"""Approving, previewing and withdrawing releases: who may, and what it does.

``preview`` computes exactly what ``approve`` would store (the protected table set over the
union with earlier releases) without storing it; ``approve`` stores it as a new numbered
release; ``approve_each`` does the same for programmes of several organisations at once, one
release per organisation, the figures computed in one engine pass (the large demo's 500
programmes in minutes); ``withdraw`` stops a release being served.

Only administrators and the CSO managers of the programmes' organisation may approve or withdraw
(``AccessDenied`` otherwise); the command line acts as the store's local operator
(``store.users.OPERATOR``), who may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Catalogue, load_catalogue
from evaluation.measures.result import NUMBER_COLUMNS
from evaluation.periods import Period
from evaluation.progress import Progress, no_progress, scaled
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases import ledger
from evaluation.sharing.releases.model import DataVersion, Release, ReleaseError
from evaluation.sharing.releases.protect import protect_releases
from evaluation.sharing.releases.tables import atoms, table_set
from evaluation.sharing.releases.versions import catalogue_version, data_versions
from evaluation.store.access import AccessDenied, Viewer
from evaluation.store.database import Store, cursor_of
from evaluation.store.users import Operator
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.numbers import count
from evaluation.vocabulary.roles import role_title

Approver = Viewer | Operator
"""Who approves: the dashboard's signed-in viewer, or the command line's local operator."""
APPROVER_ROLES = ("admin", "cso_manager")
OPERATOR_ROLE = "operator"
"""The role recorded for the command line's local operator."""


@dataclass(frozen=True)
class Draft:
    """A release as it would be approved: for the preview, and what ``approve`` stores.

    ``cells``: one row per cell in the engine's result layout (``period`` label included) plus
    ``split_column``, ``split_value`` and the attacker's ranges (``range_low``, ``range_high``,
    ``den_low``, ``den_high``) of each hidden cell; true figures kept, ``suppressed`` marks
    what the funder will not see (``shared`` blanks them).
    """

    organisation: str
    programmes: tuple[str, ...]
    periods: tuple[Period, ...]
    data: tuple[DataVersion, ...]
    catalogue_version: str
    settings: DisclosureSettings
    cells: pd.DataFrame

    @property
    def shared(self) -> pd.DataFrame:
        """The cells as a funder will read them: a hidden cell's figures and completeness
        blanked."""
        out = self.cells.copy()
        hidden = out["suppressed"].astype(bool)
        for col in (*NUMBER_COLUMNS, "completeness"):
            out[col] = out[col].where(~hidden)
        return out


def require_approver(actor: Approver, organisation: str, programmes: Sequence[str]) -> None:
    """Refuse (``AccessDenied``) an actor who may not approve or withdraw for ``organisation``:
    anyone but an administrator or a CSO manager whose scope holds the programmes."""
    if isinstance(actor, Operator) or actor.role == "admin":
        return
    if actor.role == "cso_manager" and actor.scope.allows(organisation, programmes):
        return
    raise AccessDenied(
        _(
            "Only an administrator or a CSO manager of {organisation} can approve or withdraw "
            "its releases; {name} is signed in as {role}, so nothing was changed.",
            organisation=organisation,
            name=actor.name,
            role=_(role_title(actor.role)),
        )
    )


def _role(actor: Approver) -> str:
    return OPERATOR_ROLE if isinstance(actor, Operator) else str(actor.role)


def _plan(
    cur: duckdb.DuckDBPyConnection, programmes: Sequence[str], periods: Sequence[Period]
) -> dict[str, list[DataVersion]]:
    """The programmes' data versions by organisation; ``ReleaseError`` for nothing asked."""
    programmes = list(dict.fromkeys(p.strip() for p in programmes if p.strip()))
    if not programmes:
        raise ReleaseError(_("Name at least one programme to approve; nothing was approved."))
    if not periods:
        raise ReleaseError(_("Name at least one period to approve; nothing was approved."))
    found = data_versions(cur, programmes)
    by_org: dict[str, list[DataVersion]] = {}
    for p in programmes:
        org, version = found[p]
        by_org.setdefault(org, []).append(version)
    return by_org


def _one_organisation(by_org: dict[str, list[DataVersion]]) -> tuple[str, list[DataVersion]]:
    if len(by_org) > 1:
        listing = "; ".join(
            f"{org}: {', '.join(v.programme_id for v in versions)}"
            for org, versions in sorted(by_org.items())
        )
        raise ReleaseError(
            _(
                "A release holds the programmes of one organisation (each approves its own), "
                "but these belong to {n}: {listing}. Approve each organisation's programmes "
                "separately; nothing was approved.",
                n=_count(len(by_org)),
                listing=listing,
            )
        )
    ((org, versions),) = by_org.items()
    return org, versions


def _already_released(
    cur: duckdb.DuckDBPyConnection,
    versions: Sequence[DataVersion],
    periods: Sequence[Period],
    catalogue: str,
) -> int | None:
    """The newest active release that already holds every programme × period with the same
    data and catalogue versions, if any (then there is nothing new to approve)."""
    covering: set[int] | None = None
    for v in versions:
        programme_releases = {
            r.number
            for r in ledger.list_releases(cur, v.programme_id)
            if r.active
            and r.catalogue_version == catalogue
            and v in r.data
            and {(p.start, p.end) for p in periods} <= {(p.start, p.end) for p in r.periods}
        }
        covering = programme_releases if covering is None else covering & programme_releases
    return max(covering) if covering else None


def _drafts(
    cur: duckdb.DuckDBPyConnection,
    by_org: dict[str, list[DataVersion]],
    periods: Sequence[Period],
    settings: DisclosureSettings,
    catalogue: Catalogue,
    version: str,
    progress: Progress,
) -> list[Draft]:
    """The protected table set of each organisation, computed in one engine pass."""
    every = [v for versions in by_org.values() for v in versions]
    programmes = [v.programme_id for v in every]
    periods = sorted(dict.fromkeys(periods), key=lambda p: (p.start, -p.end.toordinal()))
    spans = {(p.start, p.end) for p in periods} | ledger.earlier_periods(cur, every)
    pieces = atoms(spans)
    cells = table_set(
        cur,
        programmes,
        [*periods, *pieces],
        catalogue,
        progress=scaled(progress, 0, 0.4),
        min_cases=settings.min_denominator,
    )
    piece_spans = {(p.start, p.end) for p in pieces}
    cells["virtual"] = [
        (s, e) in piece_spans
        for s, e in zip(
            pd.to_datetime(cells["period_start"]).dt.date,
            pd.to_datetime(cells["period_end"]).dt.date,
            strict=True,
        )
    ]
    infos = {i.id: i for i in catalogue.latest()}
    step = scaled(progress, 0.4, 1.0)
    work = []
    for versions in by_org.values():
        earlier, hidden = ledger.earlier_cells(cur, versions)
        for ind in earlier["indicator_id"].unique():
            if ind not in infos:  # an indicator no longer in force: keep it known
                infos.update({i.id: i for i in catalogue.versions(str(ind))[-1:]})
        mine = cells[cells["programme_id"].isin([v.programme_id for v in versions])]
        work.append((mine, earlier, hidden))

    def tick(programme: str, done: int, total: int) -> None:
        step(
            n_(
                "Protected {programme} ({done} of {n} programme)",
                "Protected {programme} ({done} of {n} programmes)",
                total,
                programme=programme,
                done=_count(done),
                n=_count(total),
            ),
            done / max(total, 1),
        )

    step(
        n_(
            "Protecting the figures of {n} programme",
            "Protecting the figures of {n} programmes",
            len(programmes),
            n=_count(len(programmes)),
        ),
        0.0,
    )
    protected = protect_releases(work, infos, settings, on_programme=tick)
    drafts = [
        Draft(
            organisation=org,
            programmes=tuple(v.programme_id for v in versions),
            periods=tuple(periods),
            data=tuple(versions),
            catalogue_version=version,
            settings=settings,
            cells=frame,
        )
        for (org, versions), frame in zip(by_org.items(), protected, strict=True)
    ]
    progress(_("Protected the figures"), 1.0)
    return drafts


def preview(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    programmes: Sequence[str],
    periods: Sequence[Period],
    *,
    progress: Progress | None = None,
    settings: DisclosureSettings | None = None,
) -> Draft:
    """The release ``approve`` would make now, not stored. ``ReleaseError`` for programmes of
    several organisations, unknown programmes or nothing asked."""
    cur = cursor_of(store_or_cursor)
    by_org = _plan(cur, programmes, periods)
    _one_organisation(by_org)
    (draft,) = _drafts(
        cur,
        by_org,
        periods,
        settings or DisclosureSettings(),
        load_catalogue(),
        catalogue_version(),
        progress or no_progress,
    )
    return draft


def _store(store: Store, draft: Draft, actor: Approver, note: str) -> Release:
    from evaluation.sharing import audit

    cur = store.cursor()
    number = ledger.write_release(
        cur,
        organisation=draft.organisation,
        approved_by=actor.name,
        approver_role=_role(actor),
        note=note.strip(),
        catalogue_version=draft.catalogue_version,
        settings=draft.settings,
        data=draft.data,
        periods=draft.periods,
        cells=draft.cells,
        on_written=lambda c, n: audit.record(
            c,
            actor=actor.name,
            role=None if isinstance(actor, Operator) else str(actor.role),
            action="approve",
            release=n,
            organisations=[draft.organisation],
            detail={
                "programmes": list(draft.programmes),
                "periods": [p.spec for p in draft.periods],
                "hidden": int(draft.cells["suppressed"].sum()),
                "cells": len(draft.cells),
            },
        ),
    )
    return ledger.get_release(cur, number)


def approve_each(
    store: Store,
    programmes: Sequence[str],
    periods: Sequence[Period],
    *,
    actor: Approver,
    note: str = "",
    progress: Progress | None = None,
    settings: DisclosureSettings | None = None,
) -> list[Release]:
    """One release per organisation of ``programmes`` (each organisation approves its own), the
    figures of all of them computed together. Organisations whose programmes × periods an
    active release already holds with the same data and catalogue are skipped. ``ReleaseError``
    when nothing is left to approve or a programme's figures cannot be protected (then nothing
    at all is approved); ``AccessDenied`` for an actor who may not approve one of them."""
    progress = progress or no_progress
    cur = store.cursor()
    by_org = _plan(cur, programmes, periods)
    for org, versions in by_org.items():
        require_approver(actor, org, [v.programme_id for v in versions])
    version = catalogue_version()
    todo = {
        org: versions
        for org, versions in by_org.items()
        if _already_released(cur, versions, periods, version) is None
    }
    if not todo:
        numbers = sorted(
            {_already_released(cur, v, periods, version) or 0 for v in by_org.values()}
        )
        raise ReleaseError(
            n_(
                "Nothing to approve: release {numbers} already holds these programmes and "
                "periods with the same data and catalogue.",
                "Nothing to approve: releases {numbers} already hold these programmes and "
                "periods with the same data and catalogue.",
                len(numbers),
                numbers=", ".join(str(n) for n in numbers),
            )
        )
    drafts = _drafts(
        cur,
        todo,
        periods,
        settings or DisclosureSettings(),
        load_catalogue(),
        version,
        scaled(progress, 0, 0.95),
    )
    releases = []
    for n, draft in enumerate(drafts):
        progress(
            _("Storing the release of {organisation}", organisation=draft.organisation),
            0.95 + 0.05 * n / len(drafts),
        )
        releases.append(_store(store, draft, actor, note))
    progress(_("Approved"), 1.0)
    return releases


def approve(
    store: Store,
    programmes: Sequence[str],
    periods: Sequence[Period],
    *,
    actor: Approver,
    note: str = "",
    progress: Progress | None = None,
    settings: DisclosureSettings | None = None,
) -> Release:
    """Approve the figures of ``programmes`` (of one organisation) for ``periods`` as a new,
    immutable release, protected over the union with every earlier release of the programmes.

    ``ReleaseError`` (nothing stored) for programmes of several organisations, unknown
    programmes, nothing new to approve, or protection that cannot be met; ``AccessDenied`` for
    an actor who may not approve.
    """
    cur = store.cursor()
    _one_organisation(_plan(cur, programmes, periods))
    (release,) = approve_each(
        store, programmes, periods, actor=actor, note=note, progress=progress, settings=settings
    )
    return release


def withdraw(store: Store, number: int, *, actor: Approver) -> Release:
    """Stop serving release ``number``. Its cells still count as published for the protection
    of later releases (a downloaded file cannot be recalled). ``ReleaseError`` for an unknown or
    already withdrawn release."""
    from evaluation.sharing import audit

    cur = store.cursor()
    release = ledger.get_release(cur, number)
    require_approver(actor, release.organisation, release.programmes)
    if not release.active:
        raise ReleaseError(
            _("Release {number} was already withdrawn; nothing was changed.", number=number)
        )
    cur.execute("BEGIN TRANSACTION")
    try:
        ledger.set_withdrawn(cur, number, actor.name)
        audit.record(
            cur,
            actor=actor.name,
            role=None if isinstance(actor, Operator) else str(actor.role),
            action="withdraw",
            release=number,
            organisations=[release.organisation],
        )
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return ledger.get_release(cur, number)


def _count(value: int) -> str:
    """A count in the language of the moment."""
    return count(value, current())
