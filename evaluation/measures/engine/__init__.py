"""The indicator engine: a request compiled to DuckDB SQL, run set-based, returned tidy.

``compute(store, request)`` returns the machine-readable result of the agreed catalogue (one
row per indicator × programme × period × split); ``explain(store, request)`` the SQL it runs.

The package, by noun: ``request`` (what is asked), ``registry`` (one entry per measure type of
the catalogue, each compiling itself), ``compiler`` (an indicator's members: population, period,
filters, keys), ``scans`` (related-row windows), ``expressions`` (the sqlglot building blocks),
``plan`` (the one statement of a request), ``frame`` (rows every programme must have),
``figures`` (values, intervals, statuses), ``targets`` and ``facade`` (``compute``,
``compute_together``, ``explain``; the shared audience is read from releases, not computed).
"""

from evaluation.measures.engine.facade import compute, compute_together, explain
from evaluation.measures.engine.figures import Z95, as_number, shown_number, wilson_arrays
from evaluation.measures.engine.registry import MEASURES, MeasureType
from evaluation.measures.engine.request import IndicatorRequest, RequestError

__all__ = [
    "MEASURES",
    "Z95",
    "IndicatorRequest",
    "MeasureType",
    "RequestError",
    "as_number",
    "compute",
    "compute_together",
    "explain",
    "shown_number",
    "wilson_arrays",
]
