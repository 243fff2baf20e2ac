"""Page benchmark: how long each dashboard page takes to answer in a real browser.

    python -m evaluation demo --db /tmp/demo/x.duckdb                         # ~1 min
    python benchmarks/pages_bench.py --db /tmp/demo/x.duckdb --label demo
    python -m evaluation demo --scale large --db /tmp/large/x.duckdb --out /tmp/large/demo
    python benchmarks/pages_bench.py --db /tmp/large/x.duckdb --label large  # ~14 min to build
    python benchmarks/pages_bench.py --db /tmp/demo/x.duckdb --role funder    # funder's pages

Starts ``python -m evaluation serve --demo --db DB`` (a fresh server: every cache cold), opens
it in headless Chromium at 1280 × 900 and uses the demo role switcher. Each page is opened by
clicking its link in the navigation, as a person would, and timed from the click until the
page is done (see ``scripts/appdriver.py``: script finished, the page's charts, tables and tiles
drawn, nothing stale or running, then quiet). *First visit*: the first time any session opens
the page with that role's scope on this server (the results are computed). *Later visit*: the
median of ``--rounds`` further visits (the results come from the caches). A screenshot of every
timed page is saved in ``--shots`` to check that what was timed was complete.

The funder's pages read every figure from the approved releases (the demo approves one per
organisation): ``--role funder`` times only those (and the app's first load).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.appdriver import VIEWPORT, Driver, launch, serve  # noqa: E402

# (role in the demo switcher, its label there, the pages it opens); the first page of the
# first role is where the app opens.
ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "cso_manager",
        "CSO manager",
        (
            "Upload",
            "Submissions",
            "Data overview",
            "Programme",
            "Indicator explorer",
            "Reports",
            "Indicator catalogue",
        ),
    ),
    ("funder", "Funder", ("Data overview", "Indicator explorer", "Comparison", "Reports")),
    ("admin", "Administrator", ("Comparison", "Users")),
)
NEUTRAL = "Indicator catalogue"  # every role may open it: roles are switched on this page


def run(
    db: Path,
    label: str,
    rounds: int,
    shots: Path,
    log: Path,
    skip: frozenset[str] = frozenset(),
    settle: float = 0.0,
) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    first: dict[str, float] = {}
    later: dict[str, list[float]] = {}
    t0 = time.monotonic()
    with serve(db, log, demo=True) as url, sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport=VIEWPORT)
        time.sleep(settle)  # a person opening the address the server printed
        driver = Driver.open(context, url)
        role_now = "cso_manager"
        first["cso_manager/Upload"] = driver.first_page("Upload")
        page_now = "Upload"

        def visit(role: str, title: str) -> float:
            nonlocal role_now, page_now
            if role != role_now:
                if page_now != NEUTRAL:
                    driver.open_page(NEUTRAL)
                driver.switch_role(next(lbl for r, lbl, _ in ROLES if r == role), NEUTRAL)
                role_now, page_now = role, NEUTRAL
            ms = driver.open_page(title)
            page_now = title
            return ms

        for role, _, titles in ROLES:
            for title in titles:
                key = f"{role}/{title}"
                if key in first or key in skip:
                    continue
                first[key] = visit(role, title)
                driver.screenshot(shots / f"{label}-{role}-{title.replace(' ', '_')}.png")
                print(f"first  {key:40s} {first[key]:8.0f} ms", flush=True)
        for n in range(rounds):
            for role, _, titles in ROLES:
                for title in titles:
                    key = f"{role}/{title}"
                    if key in skip:
                        continue
                    ms = visit(role, title)
                    later.setdefault(key, []).append(ms)
                    print(f"later{n + 1} {key:40s} {ms:8.0f} ms", flush=True)
        errors = list(driver.errors)
        context.close()
        browser.close()
    return {
        "label": label,
        "db": str(db),
        "rounds": rounds,
        "settle_seconds": settle,
        "first_ms": first,
        "later_ms": later,
        "browser_errors": errors,
        "wall_seconds": round(time.monotonic() - t0, 1),
    }


def table(result: dict[str, object], aim_ms: float) -> str:
    first: dict[str, float] = result["first_ms"]  # type: ignore[assignment]
    later: dict[str, list[float]] = result["later_ms"]  # type: ignore[assignment]
    lines = [
        f"| page (role) | store | first visit | later visit, median (max) | "
        f"aim {aim_ms / 1000:g} s |",
        "|---|---|---:|---:|---|",
    ]
    for key, ms in first.items():
        role, title = key.split("/", 1)
        runs = later.get(key, [])
        med = statistics.median(runs) if runs else float("nan")
        worst = max(runs) if runs else float("nan")
        met = "met" if runs and worst <= aim_ms else "**not met**" if runs else "first load only"
        lines.append(
            f"| {title} ({role}) | {result['label']} | {ms / 1000:.2f} s | "
            f"{med / 1000:.2f} s ({worst / 1000:.2f} s) | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a store built by `demo`")
    parser.add_argument("--label", default="demo", help="the store's name in the table")
    parser.add_argument("--rounds", type=int, default=3, help="later visits of each page")
    parser.add_argument("--aim", type=float, default=1.5, help="seconds, for the table")
    parser.add_argument("--shots", type=Path, default=ROOT / "benchmarks" / "out" / "pages")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ROLE/PAGE",
        help="leave a page out, e.g. 'funder/Indicator explorer'",
    )
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        choices=[r for r, _, _ in ROLES],
        help="time only this role's pages (repeatable), e.g. 'funder': the pages that read "
        "releases",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between the server answering and the first visit (a person opening the "
        "address; `serve` imports the app's modules meanwhile); default 0: at once",
    )
    args = parser.parse_args()
    if args.role:
        args.skip += [f"{r}/{t}" for r, _, titles in ROLES if r not in args.role for t in titles]

    result = run(
        args.db.resolve(),
        args.label,
        args.rounds,
        args.shots,
        args.shots / f"{args.label}-server.log",
        frozenset(args.skip),
        args.settle,
    )
    print()
    print(table(result, args.aim * 1000))
    if result["browser_errors"]:
        print("\nErrors in the page:", *result["browser_errors"], sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
