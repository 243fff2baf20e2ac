"""Evaluation reporting for exit work: ingest, validate, compute and report.

Everything that decides lives in this package; the dashboard and the CLI only call it.
"""

__version__ = "0.1.0"
