"""What the audit trail records, declared once: each action's code, display name and meaning.

The audit trail (``evaluation.sharing.audit``) stores the code; the Audit page, its downloads
and the CLI's ``audit`` show the display name; ``docs`` and the CLI's help list ``ACTIONS``.
A code is written by exactly one place in the package (named in ``written_by``), so a reader of
the trail can find what wrote a row.

Stores written before the trail had this registry hold older codes (``users.sign_in``,
``ingest``, …); ``LEGACY`` maps each to its code here, and readers translate them, so the table
itself is never rewritten (it is append-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.vocabulary.language import N_, _

Action = Literal[
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "upload",
    "upload_refused",
    "approve",
    "withdraw",
    "shared_read",
    "user_add",
    "user_change",
    "user_remove",
    "trust_key",
    "export_return",
    "import_return",
]


@dataclass(frozen=True)
class ActionInfo:
    code: Action
    title: str
    """The display name: ``Failed sign-in`` (English: translate with :func:`action_title`)."""
    doc: str
    """What happened, as the end of a sentence ("someone …"; :func:`action_meaning`)."""
    written_by: str
    """The function that records it."""


ACTIONS: dict[str, ActionInfo] = {
    a.code: a
    for a in (
        ActionInfo(
            "sign_in",
            N_("Sign-in"),
            N_("signed in to the dashboard (with a password or the identity provider)"),
            "evaluation.store.users.authenticate / evaluation.app.session",
        ),
        ActionInfo(
            "sign_in_failed",
            N_("Failed sign-in"),
            N_(
                "tried to sign in with a wrong password, a disabled account or an unknown name, or "
                "through the identity provider without an account or with an unverified address"
            ),
            "evaluation.store.users.authenticate / evaluation.app.session",
        ),
        ActionInfo(
            "sign_in_locked",
            N_("Sign-in locked"),
            N_(
                "made so many failed sign-ins that an account name or a computer was locked for "
                "a while (even the right password is refused until then)"
            ),
            "evaluation.store.users.authenticate",
        ),
        ActionInfo(
            "upload",
            N_("Upload"),
            N_("loaded a package: a new submission of the programmes it holds"),
            "evaluation.intake.ingest.ingest",
        ),
        ActionInfo(
            "upload_refused",
            N_("Refused upload"),
            N_(
                "offered a package that was refused (errors, outside their scope, older data); "
                "nothing was loaded"
            ),
            "evaluation.intake.ingest.ingest",
        ),
        ActionInfo(
            "approve",
            N_("Approval"),
            N_("approved a release: figures of programmes and periods that may now be shared"),
            "evaluation.sharing.releases",
        ),
        ActionInfo(
            "withdraw",
            N_("Withdrawal"),
            N_("withdrew a release: it is no longer served (what was downloaded stays out)"),
            "evaluation.sharing.releases",
        ),
        ActionInfo(
            "shared_read",
            N_("Shared read"),
            N_("read figures of a release (a funder's page, download, report or return)"),
            "evaluation.sharing.audit.record_shared_read",
        ),
        ActionInfo(
            "user_add",
            N_("Account added"),
            N_("added an account"),
            "evaluation.store.users.add_user",
        ),
        ActionInfo(
            "user_change",
            N_("Account changed"),
            N_("changed an account's role, scope, password or whether it is disabled"),
            "evaluation.store.users.add_user",
        ),
        ActionInfo(
            "user_remove",
            N_("Account removed"),
            N_("removed an account (its entries in the trail stay)"),
            "evaluation.store.users.remove_user",
        ),
        ActionInfo(
            "trust_key",
            N_("Key trusted"),
            N_("registered an organisation's public key, so its signed returns can be imported"),
            "evaluation.sharing.returns.keys.trust",
        ),
        ActionInfo(
            "export_return",
            N_("Return exported"),
            N_("wrote a signed return of a release for a funder (a file that leaves the store)"),
            "evaluation.sharing.returns.export.export_return",
        ),
        ActionInfo(
            "import_return",
            N_("Return imported"),
            N_("imported an organisation's signed return as a release of this store"),
            "evaluation.sharing.returns.importer.import_return",
        ),
    )
}
"""Every action, in the order the Audit page offers them."""

LEGACY: dict[str, Action] = {
    "users.sign_in": "sign_in",
    "users.sign_in_refused": "sign_in_failed",
    "users.add": "user_add",
    "users.update": "user_change",
    "users.remove": "user_remove",
    "ingest": "upload",
}
"""Codes written before this registry, and the action each one is."""


def action_code(stored: str) -> str:
    """The registry's code of a stored action (older codes translated; unknown ones kept)."""
    return LEGACY.get(stored, stored)


def action_title(code: str) -> str:
    """The display name of an action code (an older code is translated; an unknown one is
    shown as it is stored, so no row of the trail is ever hidden)."""
    info = ACTIONS.get(action_code(code))
    return _(info.title) if info is not None else code


def action_meaning(code: str) -> str:
    """What an action means, in the language of the moment (empty for an unknown code)."""
    info = ACTIONS.get(action_code(code))
    return _(info.doc) if info is not None else ""
