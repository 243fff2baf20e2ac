"""Secondary suppression (rule 4), the heuristic that chooses which further cells to hide.

Deterministic (ties broken by the row's key, so the input's row order does not matter), it looks
at one relation at a time: a relation with a hidden count must hide at least two of its cells, and
when its total is shown the hidden parts must add up to at least ``min_width``. It repeats over
all relations until nothing changes; the attacker (``attacker.Attacker``) then has the last word.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evaluation.sharing.disclosure.settings import DisclosureSettings
from evaluation.sharing.disclosure.table import TOLERANCE, Relation, Table


class Planner:
    """Secondary suppression over one table's figures (the truth) and relations."""

    def __init__(
        self, table: Table, settings: DisclosureSettings, fixed: frozenset[int] = frozenset()
    ) -> None:
        self.t = table
        self.s = settings
        self.fixed = fixed
        """Rows published earlier and shown: facts the attacker holds, never hidden again."""
        self.by_member: dict[tuple[int, str], list[Relation]] = defaultdict(list)
        self.relations_of_row: dict[int, list[int]] = defaultdict(list)
        """Per row: the positions in ``table.relations`` of the relations it is a member of."""
        for i, rel in enumerate(table.relations):
            for m in rel.members:
                self.by_member[m, rel.layer].append(rel)
                self.relations_of_row[m].append(i)

    def protected(self, pos: int, layer: str) -> bool:
        """Whether a hidden figure needs a wide range: not when it is a 0 that may be shown."""
        return self.s.min_count == 0 or self.t.values[layer][pos] > TOLERANCE

    def suppressible(self, pos: int, hidden: set[int]) -> bool:
        """Whether the row may still be hidden to protect another."""
        return (
            pos not in hidden
            and pos not in self.fixed
            and self.t.additive(pos)
            and not self.t.no_data[pos]
        )

    def unsafe(self, rel: Relation, hidden: set[int]) -> bool:
        """Whether this relation alone lets its hidden figures be narrowed below min_width."""
        held = [m for m in rel.members if m in hidden]
        if not any(self.protected(m, rel.layer) for m in held):
            return False
        if len(held) < 2:
            return True
        if rel.parent in hidden:
            return False
        mass = sum(self.t.values[rel.layer][m] for m in held)
        return mass < self.s.min_width - TOLERANCE

    def candidate(self, rels: Sequence[Relation], hidden: set[int]) -> int | None:
        """The next cell to hide among ``rels``: the smallest shown part with people in it, else
        a shown 0 part (adds doubt, hides nothing), else a shown total."""
        best: tuple[tuple[float, ...], int] | None = None
        for rel in rels:
            arr = self.t.values[rel.layer]
            for m in rel.members:
                if not self.suppressible(m, hidden):
                    continue
                x = arr[m]
                tier = 2 if m == rel.parent else 0 if x > TOLERANCE else 1
                order = (tier, x, float(self.t.rank[m]))
                if best is None or order < best[0]:
                    best = (order, m)
        return None if best is None else best[1]

    def secure(self, hidden: set[int]) -> None:
        """Hide cells until every relation is safe on its own; repeat to a fixed point.

        A relation found safe stays safe until one of its cells is hidden, so each pass looks
        again only at relations with a cell hidden since they were last found safe: the same
        passes, in the same order, as looking at every relation, without the repeats."""
        by_row = self.relations_of_row
        dirty = set(range(len(self.t.relations)))
        changed = True
        while changed:
            changed = False
            for i, rel in enumerate(self.t.relations):
                if i not in dirty:
                    continue
                dirty.discard(i)
                while self.unsafe(rel, hidden):
                    cell = self.candidate([rel], hidden)
                    if cell is None:
                        break
                    hidden.add(cell)
                    dirty.update(by_row.get(cell, ()))
                    changed = True

    def widen(self, pos: int, layer: str, hidden: set[int]) -> int | None:
        """A cell to hide so that an attacker narrows (pos, layer) less: the best candidate of
        the relations nearest to it, searching outwards through hidden cells."""
        frontier, seen_rows = {pos}, {pos}
        seen_rels: set[int] = set()
        while frontier:
            rels = [
                r
                for p in sorted(frontier, key=lambda q: self.t.rank[q])
                for r in self.by_member.get((p, layer), ())
                if id(r) not in seen_rels
            ]
            seen_rels.update(id(r) for r in rels)
            cell = self.candidate(rels, hidden)
            if cell is not None:
                return cell
            frontier = {m for r in rels for m in r.members if m not in seen_rows}
            seen_rows |= frontier
        return None
