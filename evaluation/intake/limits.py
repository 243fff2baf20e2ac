"""Limits that keep hostile or broken files from exhausting the machine.

Defaults suit a national-scale CSV package of 10 million contact rows; every limit can be
changed through an environment variable named in ``Limits.from_env``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 4096 * MB
    """Largest package file (or sum of a folder's CSV files) accepted."""
    max_unpacked_bytes: int = 8192 * MB
    """Largest total size of a zip's or workbook's members once unpacked."""
    max_compression_ratio: int = 200
    """A member that unpacks to more than this many times its packed size is a zip bomb."""
    max_members: int = 200
    """Most members in a zip (a workbook has a few dozen)."""
    max_xlsx_rows: int = 1_048_576
    """Most rows in one sheet (Excel's own maximum)."""
    max_xlsx_columns: int = 200
    """Widest sheet accepted; the widest table has 18 columns."""
    max_problem_rows: int = 5
    """Row numbers listed per problem; the count always covers all rows."""
    memory_limit: str = "1536MB"
    """DuckDB's memory limit while loading; larger work spills to disk."""

    @classmethod
    def from_env(cls) -> Limits:
        """Read ``EVALUATION_MAX_FILE_MB`` and friends (``EVALUATION_<FIELD>``)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"EVALUATION_{f.name.upper()}")
            if env is None and f.name.endswith("_bytes"):
                mb = os.environ.get(f"EVALUATION_{f.name.upper().removesuffix('_BYTES')}_MB")
                if mb is not None:
                    values[f.name] = int(float(mb) * MB)
                continue
            if env is not None:
                values[f.name] = env if f.type == "str" else int(env)
        return cls(**values)  # type: ignore[arg-type]
