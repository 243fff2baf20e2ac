"""The versions a release records: of the catalogue (a hash of its files) and of each
programme's data (its current submission and that package's content hash)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import duckdb

from evaluation.measures.catalogue import CATALOGUE_DIR
from evaluation.sharing.releases.model import DataVersion, ReleaseError
from evaluation.vocabulary.language import n_

SHORT = 10
"""Characters of a hash shown to a person (``releases`` listing)."""


def catalogue_version(*folders: Path) -> str:
    """SHA-256 over the names and bytes of every ``*.yaml`` of the catalogue folders (default:
    the shipped catalogue), in name order: the same files give the same version on any machine,
    and any edit, addition or removal gives another."""
    digest = hashlib.sha256()
    for folder in folders or (CATALOGUE_DIR,):
        for path in sorted(Path(folder).glob("*.yaml")):
            digest.update(path.name.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def data_versions(
    cur: duckdb.DuckDBPyConnection, programmes: Sequence[str]
) -> dict[str, tuple[str, DataVersion]]:
    """Each programme's organisation and current data version; ``ReleaseError`` naming the
    programmes that are not in the store."""
    rows = cur.execute(
        """SELECT cp.programme_id, cp.organisation, s.submission_id, s.content_hash
           FROM current_submission cp JOIN submissions s USING (submission_id)
           WHERE cp.programme_id IN (SELECT unnest(?::VARCHAR[]))""",
        [list(programmes)],
    ).fetchall()
    found = {r[0]: (r[1], DataVersion(r[0], r[2], r[3])) for r in rows}
    missing = [p for p in programmes if p not in found]
    if missing:
        raise ReleaseError(
            n_(
                "There is no programme {ids} in the store; nothing was approved.",
                "There are no programmes {ids} in the store; nothing was approved.",
                len(missing),
                ids=", ".join(missing),
            )
        )
    return found
