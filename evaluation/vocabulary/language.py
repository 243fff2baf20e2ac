"""The language a person reads: the one translator of every sentence, label and heading.

The platform is written in English; every other language is a folder of gettext catalogues,
``evaluation/vocabulary/locale/<lang>/*.po``, which a translator edits with any PO editor
(Poedit, Weblate, a text editor). A third language is a new folder, not a code change:
:data:`LANGUAGES` is English plus every folder found there. The catalogues are read as they
are (Babel's PO reader), so there is no compile step and no ``.mo`` to keep in step.

How code uses it:

* ``_("Upload a package")`` translates a sentence into the language of the moment;
  ``_("{n} programmes of {org}", n=..., org=...)`` fills named places *after* translating, so
  a translation may move them. Never build the message id with an f-string: the translator
  must see the sentence with its places.
* ``n_("{n} row", "{n} rows", n)`` picks the plural form the language needs (German and
  English have two; the catalogue's ``Plural-Forms`` says how many).
* ``N_("…")`` marks a text declared before any language is known (a module constant, a
  registry entry); translate it where it is shown: ``_(ENTRY.title)``.
* ``using("de")`` is the language of a block (a report, a command); the dashboard sets it per
  run from the signed-in person's choice (``set_language``). A context variable holds it, so
  threads and Streamlit sessions each have their own; worker processes are handed it.

The extractor (``python -m evaluation.vocabulary.catalogues``) collects every marked text of
the package and of the indicator catalogue into the template and adds new ones, empty, to each
language's catalogues; ``tests/test_language.py`` fails while any of them lacks a translation.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "_",
    "current",
    "language_name",
    "n_",
    "normalise",
    "set_language",
    "using",
]

LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT = "en"
"""The language of the source texts, and of a reader who has not chosen one."""


def _languages() -> tuple[str, ...]:
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir() and any(p.glob("*.po")))
    return (DEFAULT, *(lang for lang in found if lang != DEFAULT))


LANGUAGES: tuple[str, ...] = _languages()
"""Every language the platform speaks: English, then one per catalogue folder."""

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT)


def normalise(lang: str | None) -> str:
    """The language of ``lang`` the platform speaks: ``de_AT``, ``de-CH`` and ``DE`` are German;
    one it does not speak (or None) is English."""
    if not lang:
        return DEFAULT
    base = lang.replace("-", "_").split("_")[0].strip().lower()
    return base if base in LANGUAGES else DEFAULT


def current() -> str:
    """The language of the moment (``en`` unless a person, report or command chose another)."""
    return _current.get()


def set_language(lang: str | None) -> None:
    """Make ``lang`` the language of this context from now on (the dashboard, once per run)."""
    _current.set(normalise(lang))


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` within the block (a report, a command, a test), then the one before."""
    token = _current.set(normalise(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


class _Catalogue:
    """One language's translations, from every ``.po`` file of its folder."""

    def __init__(self, lang: str) -> None:
        self.singular: dict[tuple[str | None, str], str] = {}
        self.plural: dict[tuple[str | None, str], tuple[str, ...]] = {}
        self.plural_index: Callable[[int], int] = lambda n: int(n != 1)
        for path in sorted((LOCALE_DIR / lang).glob("*.po")):
            with path.open("rb") as file:
                catalogue = read_po(file, locale=lang)
            self.plural_index = gettext.c2py(catalogue.plural_expr)
            for message in catalogue:
                if not message.id or message.fuzzy:
                    continue
                ident = message.id
                key = (message.context, str(ident[0] if isinstance(ident, tuple | list) else ident))
                string = message.string
                if isinstance(string, tuple | list):
                    if all(string):
                        self.plural[key] = tuple(str(s) for s in string)
                elif string:
                    self.singular[key] = str(string)


@functools.cache
def _catalogue(lang: str) -> _Catalogue | None:
    return None if lang == DEFAULT else _Catalogue(lang)


def translate(message: str, lang: str | None = None, context: str | None = None) -> str:
    """``message`` in ``lang`` (the language of the moment by default); itself when the
    language has no translation of it."""
    catalogue = _catalogue(normalise(lang) if lang else current())
    if catalogue is None:
        return message
    return catalogue.singular.get((context, message), message)


def _(message: str, /, *, context: str | None = None, **places: Any) -> str:
    """Translate ``message`` and fill its named places (``{n}``) with ``places``."""
    text = translate(message, context=context)
    return text.format(**places) if places else text


def n_(singular: str, plural: str, n: int, /, **places: Any) -> str:
    """The form of a counted message that ``n`` needs, translated; ``{n}`` is filled with ``n``
    unless ``places`` says otherwise."""
    places.setdefault("n", n)
    catalogue = _catalogue(current())
    if catalogue is None:
        text = singular if n == 1 else plural
    else:
        forms = catalogue.plural.get((None, singular))
        if forms is None:
            text = singular if n == 1 else plural
        else:
            text = forms[min(catalogue.plural_index(n), len(forms) - 1)]
    return text.format(**places)


def N_(message: str) -> str:
    """Mark ``message`` for the extractor without translating it (yet): translate at use."""
    return message


_NAMES = {"en": ("English", "Englisch"), "de": ("Deutsch", "Deutsch")}


def language_name(lang: str) -> str:
    """How a language calls itself (``Deutsch``), as a language picker offers it."""
    if lang in _NAMES:  # not `.get(lang, default)`: the default would load babel's data
        return _NAMES[lang][0]
    from babel import Locale

    return Locale.parse(lang).display_name or lang
