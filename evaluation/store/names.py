"""Names and identifiers: one Unicode policy for every name a person reads or a scope matches.

Why: an organisation name with a zero-width space, or a programme name wrapped in a right-to-left
override, looks exactly like another on screen, so a scope picker or a comparison could offer two
"identical" organisations, and an administrator could grant the wrong one. The same name typed
on two systems can also arrive in two Unicode forms (``ü`` as one character or as ``u`` plus a
combining diaeresis, ``Exit`` in full-width letters ``Ｅｘｉｔ``, ``fi`` as the ligature ``ﬁ``)
that look alike, or are the same to a person, but compare unequal.

The policy, applied wherever a name or identifier enters the platform (the text columns of a
package in ``intake.validation`` and ``intake.staging``, user names and scope entries in
``store.users``):

* Text is normalised to **NFKC** (:func:`normalise`; in SQL :data:`SQL_NORMALISE`, registered
  on a connection by :func:`register_sql`). A name typed with full-width letters, ligatures or
  other compatibility forms looks like (or is) the same name to a person, so it must be the
  same identifier: NFKC folds exactly those (and, as NFC does, joins the composed and
  decomposed spellings of an accented letter). The folding happens once, at entry; what was
  typed is otherwise left as it is (case, spaces inside the name, punctuation).
* **Invisible and direction-changing characters are refused** (:func:`forbidden`): every
  format character (Unicode category Cf: zero-width space, joiners, byte-order mark inside the
  text, the bidirectional embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069,
  …), every control character (Cc, a tab only where a caller allows it), line and paragraph
  separators (Zl, Zp) and lone surrogates (Cs). A refusal names where the text was and the
  character's code point and Unicode name, never the text itself.
* A new name that is not equal to, but **looks like**, a name already on record gets a warning,
  not a refusal (:func:`look_alikes`): two names look alike when their UTS #39 skeletons are
  equal (:func:`skeleton`, from Unicode's ``confusables.txt`` beside this module), as written
  or after case folding. ``Brückenbau Exit`` with a Cyrillic ``а`` (U+0430) looks like the
  Latin one; so do ``rn`` and ``m``. Whether two look-alikes are one organisation only a person
  can say, so the warning quotes the name on record and asks for exactly that spelling.

No library fits the skeleton: ``confusable-homoglyphs`` and ``confusables`` test characters
pairwise (the latter with additions of its own such as ``e`` → ``3``) and do not compute the
UTS #39 skeleton, ``disarm`` changes the mapping on purpose and is a large native extension,
and ICU's spoof checker (PyICU) needs ICU built on the machine. The skeleton itself is a few
lines over Unicode's data file.

Python's ``unicodedata`` (Unicode 14 on Python 3.11) and Arrow's ``utf8_normalize`` (used in
SQL) agree on every character assigned in Unicode 14 (``tests/test_unicode_policy.py``).
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from evaluation.errors import EvaluationError
from evaluation.vocabulary.language import _

__all__ = [
    "FORM",
    "SQL_NORMALISE",
    "NameRefused",
    "clean",
    "forbidden",
    "is_forbidden",
    "look_alikes",
    "normalise",
    "register_sql",
    "shown",
    "skeleton",
]

FORM: Final = "NFKC"
"""The Unicode normalisation form of every name and identifier (see the module's docstring)."""

FORBIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Cs"})
"""Unicode general categories refused in names (see the module's docstring)."""

CONFUSABLES = Path(__file__).with_name("confusables.txt")
"""Unicode's confusables.txt (UTS #39): each character's prototype, for :func:`skeleton`."""


def is_forbidden(char: str, *, allow_tab: bool = False) -> bool:
    """Whether the single character ``char`` may not appear in a name."""
    if char == "\t" and allow_tab:
        return False
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def forbidden(text: str, *, allow_tab: bool = False) -> list[str]:
    """The forbidden characters of ``text``, each once, in order, as ``U+200B ZERO WIDTH SPACE``
    (the code point and its Unicode name: safe to show, it is not the text)."""
    if text.isascii() and text.isprintable():  # the common case, at C speed
        return []
    seen: dict[str, None] = {}
    for char in text:
        if char not in seen and is_forbidden(char, allow_tab=allow_tab):
            seen[char] = None
    return [_describe(ch) for ch in seen]


def _describe(char: str) -> str:
    name = unicodedata.name(char, "") or {
        "Cc": "CONTROL CHARACTER",
        "Cs": "SURROGATE",
    }.get(unicodedata.category(char), "FORMAT CHARACTER")
    return f"U+{ord(char):04X} {name}"


def normalise(text: str) -> str:
    """``text`` in Unicode NFKC (spellings that are the same name to a person become one
    string: composed and decomposed accents, full-width letters, ligatures)."""
    return unicodedata.normalize(FORM, text)


class NameRefused(EvaluationError, ValueError):
    """A name or identifier holds an invisible or direction-changing character."""


def clean(text: str, where: str, *, allow_tab: bool = False) -> str:
    """``text`` in NFKC and trimmed, or :class:`NameRefused` with a sentence naming ``where``
    (e.g. "The organisation name in row 3 of the about table", translated by the caller) and
    the characters found."""
    found = forbidden(text, allow_tab=allow_tab)
    if found:
        raise NameRefused(
            _(
                "{where} contains an invisible or text-direction character ({characters}), "
                "which would make it look like another name; type it again without it. Nothing "
                "was changed.",
                where=where,
                characters=", ".join(found),
            )
        )
    return normalise(text).strip()  # NFKC first: it turns e.g. an ideographic space into " "


def shown(text: str) -> str:
    """``text`` with every forbidden character made visible as ``⟨U+200B⟩``, for names stored
    before this policy (so two look-alikes in a list can be told apart)."""
    return "".join(f"⟨U+{ord(ch):04X}⟩" if is_forbidden(ch) else ch for ch in text)


# -- in SQL ------------------------------------------------------------------------------------

SQL_NORMALISE = "nfkc_normalize"
"""The SQL function ``nfkc_normalize(VARCHAR) → VARCHAR`` that :func:`register_sql` adds (DuckDB
has ``nfc_normalize`` only)."""
_REGISTERING = threading.Lock()


def _nfkc_arrow(values: pa.Array) -> pa.Array:
    # a vectorised UDF: DuckDB hands over a chunk of values as one Arrow array
    return pc.utf8_normalize(values, FORM)


def register_sql(conn: duckdb.DuckDBPyConnection) -> None:
    """Make :data:`SQL_NORMALISE` callable in SQL on ``conn`` and every cursor of its database.

    DuckDB keeps a Python function in the database's catalogue, shared by its cursors, and
    refuses to create one twice; so it is created once per database, on first use.
    """
    with _REGISTERING:
        try:  # a call is cheaper than a look in duckdb_functions() (under 1 ms against 20)
            conn.execute(f"SELECT {SQL_NORMALISE}(NULL)")
        except duckdb.CatalogException:
            conn.create_function(  # type: ignore[call-overload]  # "arrow": DuckDB 1.2 to 2
                SQL_NORMALISE, _nfkc_arrow, ["VARCHAR"], "VARCHAR", type="arrow"
            )


# -- look-alikes -------------------------------------------------------------------------------

_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): step 2 of the
skeleton drops them, as a renderer shows nothing for them."""


def _ignorable(char: str) -> bool:
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in _DEFAULT_IGNORABLE)


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character → its prototype (``confusables.txt``: ``source ; target ;``)."""
    table: dict[str, str] = {}
    for line in CONFUSABLES.read_text(encoding="utf-8-sig").splitlines():
        body = line.split("#", 1)[0].strip()
        if body:
            source, target = body.split(";")[:2]
            table[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return table


@functools.lru_cache(maxsize=8192)
def skeleton(text: str) -> str:
    """The UTS #39 skeleton of ``text``: NFD, without default-ignorable characters, each
    character replaced by its prototype, NFD again. Two strings whose skeletons are equal look
    alike (``Exit`` with a Cyrillic ``а`` and with a Latin ``a``; ``rn`` and ``m``)."""
    proto = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(proto.get(ch, ch) for ch in decomposed if not _ignorable(ch))
    return unicodedata.normalize("NFD", mapped)


def _keys(text: str) -> tuple[str, str]:
    # as written (a capital I looks like a small l) and case-folded (Exit, EXIT and exit)
    return skeleton(text), skeleton(text.casefold())


def look_alikes(name: str, existing: Iterable[str]) -> list[str]:
    """The names of ``existing`` that look like ``name`` without being equal to it (their
    skeletons, as written or case-folded, are equal), each once, in the order given."""
    others = [o for o in dict.fromkeys(existing) if o and o != name]
    if not name or not others:  # nothing to compare: the confusables table stays unread
        return []
    plain, folded = _keys(name)
    return [o for o in others if (keys := _keys(o))[0] == plain or keys[1] == folded]
