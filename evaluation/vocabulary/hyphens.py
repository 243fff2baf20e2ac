"""Where a word may break: Pyphen's hyphenation dictionaries, one per language.

A word too long for its room (a Word or PDF table cell, a chart's tick label) breaks where the
language breaks it (``Angehörigen-beratung``, never ``Angehörigenb-eratung``).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def hyphenator(lang: str) -> Any:
    """Pyphen's hyphenation dictionary of ``lang`` (None for a language it lacks)."""
    import pyphen

    code = {"en": "en_GB", "de": "de_DE"}.get(lang, lang)
    return pyphen.Pyphen(lang=code) if code in pyphen.LANGUAGES else None


def broken(word: str, width: int, lang: str) -> list[str]:
    """``word`` in pieces of at most ``width`` characters, each but the last ending in a
    hyphen, broken where ``lang`` hyphenates it (cut at the width where it knows no break)."""
    dictionary = hyphenator(lang)
    pieces: list[str] = []
    while len(word) > width:
        cut = dictionary.wrap(word, width) if dictionary is not None else None
        head, word = cut if cut else (word[: width - 1] + "-", word[width - 1 :])
        pieces.append(head)
    return [*pieces, word]
