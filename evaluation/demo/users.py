"""The demo mode's fictional accounts: one per role, none stored.

In demo mode nobody signs in; the sidebar's role switcher picks one of these. They live with the
demo, not with the accounts of the store, so the store layer never depends on the demo.
"""

from __future__ import annotations

from evaluation.demo.generate import DEMO_ORGANISATIONS
from evaluation.store.database import Store
from evaluation.store.users import User


def demo_users(store: Store) -> dict[str, User]:
    """The demo mode's fictional accounts by role, none stored: the CSO manager of the first
    demo organisation in the store (else of its first organisation), a funder and an evaluator
    of every organisation in the store, and an administrator."""
    with store.cursor() as cur:
        orgs = sorted(
            {r[0] for r in cur.execute("SELECT organisation FROM current_submission").fetchall()},
            key=str.lower,
        )
    first = next((o for o in DEMO_ORGANISATIONS if o in orgs), orgs[0] if orgs else None)
    everyone = tuple(orgs)
    return {
        "cso_manager": User("demo-cso-manager", "cso_manager", (first,) if first else ()),
        "funder": User("demo-funder", "funder", everyone),
        "evaluator": User("demo-evaluator", "evaluator", everyone),
        "admin": User("demo-admin", "admin"),
    }
