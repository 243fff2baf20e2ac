"""Write the ``indicators`` CLI's CSV for every period kind and split of a store into a folder.

Used to prove that a refactoring changes no figure: run it before and after on the same demo
store, then ``--compare BEFORE AFTER`` reports every cell that differs (columns present on only
one side, such as a new ``period`` label column, are listed but not compared).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

PERIODS = [
    "2025",
    "2025-H2",
    "2025-Q2",
    "2025-03",
    "FY2025-04",
    "2025-02-15..2025-08-31",
    "2024,2024-Q1,2024-Q2,2024-Q3,2024-Q4",
]
SPLITS = [
    "",
    "all",
    "client_type",
    "referral_source",
    "participation",
    "setting_at_intake",
    "ideology",
    "gender",
    "age_band",
    "returnee",
    "risk_at_intake",
    "region",
    "organisation",
    "country",
    "intervention_type",
    "setting",
    "gender,age_band",
]
AUDIENCES = ["internal", "shared"]


def name(period: str, split: str, audience: str) -> str:
    clean = period.replace(",", "+").replace("..", "_")
    return f"{clean}__{split.replace(',', '+') or 'none'}__{audience}.csv"


def write(db: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for period in PERIODS:
        for split in SPLITS:
            for audience in AUDIENCES:
                cmd = [
                    sys.executable,
                    "-m",
                    "evaluation",
                    "indicators",
                    "--db",
                    str(db),
                    "--period",
                    period,
                    "--audience",
                    audience,
                    "--out",
                    str(out / name(period, split, audience)),
                ]
                if split:
                    cmd += ["--by", split]
                subprocess.run(cmd, check=True)


def compare(before: Path, after: Path, ignore: set[str]) -> int:
    differences = 0
    for old in sorted(before.glob("*.csv")):
        new = after / old.name
        a = pd.read_csv(old, dtype=str, keep_default_na=False)
        b = pd.read_csv(new, dtype=str, keep_default_na=False)
        only = set(a.columns) ^ set(b.columns)
        common = [c for c in a.columns if c in b.columns and c not in ignore]
        if len(a) != len(b):
            print(f"{old.name}: {len(a)} rows before, {len(b)} after")
            differences += 1
            continue
        diff = a[common].reset_index(drop=True) != b[common].reset_index(drop=True)
        cells = int(diff.to_numpy().sum())
        if cells:
            cols = sorted(diff.columns[diff.any()].tolist())
            print(f"{old.name}: {cells} cells differ in {cols}")
            differences += 1
        elif only:
            print(f"{old.name}: same figures; columns on one side only: {sorted(only)}")
    print(f"{differences} files differ")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--ignore", default="", help="comma-separated columns not compared")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare, set(filter(None, args.ignore.split(","))))
    write(args.db, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
