"""Generate the fictional demo organisations' packages and load them into a store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from evaluation.intake.ingest import IngestResult, Progress, _quiet, _scaled, ingest
from evaluation.store.database import Store


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
    a second time.
    """
    from evaluation.demo.generate import write_demo

    say = progress or _quiet
    paths = write_demo(Path(out_dir), seed, scale, progress=_scaled(say, 0.0, 0.3))
    packages = [p for p in paths if p.suffix.lower() != ".zip"]
    results = []
    for i, path in enumerate(packages):
        lo = 0.3 + 0.7 * i / len(packages)
        hi = 0.3 + 0.7 * (i + 1) / len(packages)
        step = _scaled(say, lo, hi)
        results.append(
            ingest(
                path,
                store,
                progress=lambda m, f, n=path.name, s=step: s(f"{n}: {m}", f),
                actor="demo",
            )
        )
    say("Demo data loaded", 1.0)
    return results
