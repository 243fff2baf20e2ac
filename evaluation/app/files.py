"""Files the dashboard takes in and hands out: the uploaded package, the template, problem lists.

The package functions work on paths; these helpers turn an upload into a temporary file (kept
only while it is read) and the package's spreadsheets into bytes for a download button.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import streamlit as st

from evaluation.intake.problems import ValidationReport
from evaluation.intake.template import write_template
from evaluation.store.access import Viewer
from evaluation.views.spreadsheet import write_problem_list
from evaluation.vocabulary.language import current, using

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = ("xlsx", "zip")


class Upload(Protocol):
    name: str
    size: int

    def getbuffer(self) -> memoryview: ...


def upload_key(upload: Upload, profile: str | None) -> str:
    """Identifies one upload checked with one profile, so a rerun does not check it again."""
    return f"{upload.name}\x1f{upload.size}\x1f{profile or ''}"


@contextmanager
def saved_upload(upload: Upload) -> Iterator[Path]:
    """The upload as a temporary file with its original ending, deleted afterwards."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=Path(upload.name).suffix.lower())
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.getbuffer())
        yield path
    finally:
        path.unlink(missing_ok=True)


def _bytes_of(write: Callable[[Path], object], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="evaluation-") as tmp:
        path = Path(tmp) / f"file{suffix}"
        write(path)
        return path.read_bytes()


@st.cache_data(show_spinner=False)
def cached_template_bytes(lang: str) -> bytes:
    with using(lang):
        return _bytes_of(write_template, ".xlsx")


def template_bytes() -> bytes:
    """The blank template workbook (generated from the registry, so the same for everyone who
    reads the reader's language)."""
    return cached_template_bytes(current())


def problem_list_bytes(report: ValidationReport) -> bytes:
    """The report's problem list as an ``.xlsx`` workbook."""
    return _bytes_of(lambda path: write_problem_list(report, path), ".xlsx")


def audit_bytes(viewer: Viewer, suffix: str, since: dt.date | None = None) -> bytes:
    """The audit trail ``viewer`` may read as a ``.csv``, ``.xlsx`` or ``.json`` file (never
    cached: it grows with every event)."""
    from evaluation.app import state
    from evaluation.sharing.audit import export_audit

    with state.cursor() as cur:
        return _bytes_of(lambda path: export_audit(cur, path, since, reader=viewer), suffix)


def problem_list_name(source: str) -> str:
    return f"{Path(source).stem or 'package'}-problems.xlsx"
