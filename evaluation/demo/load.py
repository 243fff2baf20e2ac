"""Generate the fictional demo organisations' packages and load them into a store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from evaluation.intake.ingest import IngestResult, ingest
from evaluation.progress import Progress, no_progress, scaled
from evaluation.store.database import Store
from evaluation.vocabulary.language import _


def load_demo(
    store: Store,
    out_dir: Path,
    *,
    seed: int = 7,
    scale: Literal["demo", "large"] = "demo",
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Write every demo package into ``out_dir`` and ingest it (a no-op when already loaded).

    At demo scale the first organisation is also written as a ``.zip`` of CSVs so users can see
    both containers; it holds the same data as that organisation's workbook and is not loaded
    a second time. At demo scale each organisation then approves its releases for the periods
    shown first (``evaluation.demo.releases``), so a funder sees figures at once; the large
    demo is left for timing approvals by hand.
    """
    from evaluation.demo.generate import write_demo

    say = progress or no_progress
    paths = write_demo(Path(out_dir), seed, scale, progress=scaled(say, 0.0, 0.3))
    packages = [p for p in paths if p.suffix.lower() != ".zip"]
    results = []
    share = 0.3 if scale == "demo" else 0.7  # of the bar: loading; the rest approves
    for i, path in enumerate(packages):
        lo = 0.3 + share * i / len(packages)
        hi = 0.3 + share * (i + 1) / len(packages)
        step = scaled(say, lo, hi)
        results.append(
            ingest(
                path,
                store,
                progress=_prefixed(step, path.name),
                actor="demo",
            )
        )
    if scale == "demo":
        from evaluation.demo.releases import approve_demo

        approve_demo(store, progress=_prefixed(scaled(say, 0.6, 1.0), _("Approving releases")))
    say(_("Demo data loaded"), 1.0)
    return results


def _prefixed(progress: Progress, prefix: str) -> Progress:
    """``progress`` with each message prefixed by the package it is about."""
    return lambda message, fraction: progress(f"{prefix}: {message}", fraction)
