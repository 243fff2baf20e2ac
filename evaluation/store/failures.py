"""Storage failures (a full disk, a read-only file system, a missing permission) as sentences.

Why one place: such a failure can surface anywhere the store or a file is written — DuckDB's
commit of a load (``TransactionException: Failed to commit: Could not write file ...``), the
rollback that follows it (``cannot rollback - no transaction is active``, which hides the real
cause in ``__context__``), every statement after it (``database has been invalidated``), or
Python's own ``OSError`` while a backup or a secret is written. The CLI's top-level handler and
the dashboard's page runner (``evaluation.app.render.sentences``) both ask ``storage_failure``
whether an unexpected exception is one of these and, if so, show its sentence instead of a
traceback. The store itself is safe in each case: DuckDB writes a transaction to its log only
at commit, and a commit that could not be written is not applied (``tests/test_storage_failures``
makes each failure happen for real and checks that the store is unchanged).
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import duckdb

from evaluation.errors import StoreError
from evaluation.vocabulary.language import _

FULL, READ_ONLY, NO_PERMISSION, INVALIDATED = "full", "read-only", "permission", "invalidated"

_ERRNO_KINDS = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
}
_MESSAGE_KINDS = (  # how DuckDB (and the C library below it) words them
    ("no space left on device", FULL),
    ("disk quota exceeded", FULL),
    ("read-only file system", READ_ONLY),
    ("permission denied", NO_PERMISSION),
    ("operation not permitted", NO_PERMISSION),
    ("database has been invalidated", INVALIDATED),
)
_QUOTED_FILE = re.compile(r'file "([^"]+)"')
_STORE_PARTS = (".wal", ".secret", ".tmp")


class StorageFailure(StoreError):
    """A write to the disk failed (full, read-only, not permitted); ``kind`` says which."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, nearest first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__]
    return seen


def _classify(exc: BaseException) -> tuple[str, Path | None] | None:
    if isinstance(exc, OSError) and exc.errno in _ERRNO_KINDS:
        name = exc.filename
        return _ERRNO_KINDS[exc.errno], Path(name) if isinstance(name, str) and name else None
    if isinstance(exc, duckdb.Error):
        text = str(exc)
        lowered = text.lower()
        for marker, kind in _MESSAGE_KINDS:
            if marker in lowered:
                found = _QUOTED_FILE.search(text)
                return kind, Path(found.group(1)) if found else None
    return None


def _place(path: Path | None, store: Path | None, *, where: bool) -> str:
    """'the store X' for the store file and what lives beside it (its log ``.wal``, secret,
    keys, temporary folder), else the file itself (as the subject of a sentence: translators
    put the sentences around it so that it stays one)."""
    if path is None:
        return _("the store")
    owner = None
    beside = store is not None and path.parent == store.parent
    if store is not None and (
        (beside and (path.name == store.name or path.name.startswith(store.name + ".")))
        or path.parent.name.startswith(store.name + ".")
    ):
        owner = store
    elif path.suffix == ".duckdb":
        owner = path
    elif path.name.endswith(_STORE_PARTS):
        owner = path.with_name(path.name.rsplit(".", 1)[0])
    if owner is not None:
        return _("the store {path}", path=owner) if where else _("the store")
    return str(path) if where else _("a file the platform writes")


def storage_failure(
    exc: BaseException,
    *,
    outcome: str | None = None,
    store: Path | None = None,
    place: str | None = None,
    where: bool = True,
) -> StorageFailure | None:
    """The sentence for ``exc`` when it (or what it was raised from) is a storage failure,
    else ``None``. ``outcome`` says what did not happen ("nothing was loaded"); ``store`` is
    the store's file (so its log and secret are called "the store"), ``place`` names the thing
    written instead (e.g. "the backup X"); ``where``
    false leaves file paths out (the dashboard shows the store's path only to administrators).
    ``outcome`` and ``place`` are translated by the caller; the sentence is in the language of
    the moment.
    """
    found = [c for e in _chain(exc) if (c := _classify(e)) is not None]
    if not found:
        return None
    outcome = outcome or _("nothing was changed")
    # A specific cause (full, read-only, permission) wins over the invalidation it led to.
    kind, path = next((f for f in found if f[0] != INVALIDATED), found[0])
    place = place or _place(path, store, where=where)
    if kind == FULL:
        text = _(
            "The disk holding {place} is full, so {outcome}; the store is as it was. Free "
            "some space on that disk (or use a larger one) and try again.",
            place=place,
            outcome=outcome,
        )
    elif kind == READ_ONLY:
        text = _(
            "{place} is on a read-only file system, so {outcome}; the "
            "store is as it was. Ask your administrator to make that place writable, or choose "
            "a writable place.",
            place=place,
            outcome=outcome,
        )
        text = text[0].upper() + text[1:]
    elif kind == NO_PERMISSION:
        text = _(
            "This account may not write to {place}, so {outcome}; the store is as it was. Run "
            "the command as the account that owns the store, or ask your administrator for "
            "access.",
            place=place,
            outcome=outcome,
        )
    else:
        text = _(
            "The store stopped accepting changes after a write to its disk failed (a full or "
            "read-only disk), so {outcome}; the store is as it was before that write. Free "
            "some space, then start the program again.",
            outcome=outcome,
        )
    return StorageFailure(text, kind)
