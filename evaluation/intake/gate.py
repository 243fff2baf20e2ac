"""The anonymisation gate: what must never enter the store.

Two checks, both pure functions so they can be tested property-based:

* ``identifier_column(name)`` — a column or sheet name that suggests a direct identifier
  (name, e-mail, phone, address, birth date, passport, national id, IBAN, IP address, notes…),
  in English or in the extra words a mapping profile declares;
* ``personal_kind(text)`` — a free-text cell that looks like an e-mail address, a phone number
  (7 or more digits with ``+``, spaces, dashes, dots or brackets), an IBAN with valid check
  digits, an IP address, or a date (a date of birth).

The functions return the *kind* found, never the value, so callers can name the problem without
echoing it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from evaluation.store.schema import IDENTIFIER_NAMES, TABLES
from evaluation.vocabulary.language import N_

FORMAT_NAMES = frozenset(c.name for t in TABLES for c in t.columns) | {t.name for t in TABLES}

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}"
)
_PHONE_CANDIDATE = re.compile(r"\+?[\d(][\d\s().\-/]*\d")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[-/]\s*(?:19|20)\d\d$")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}", re.ASCII)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|maerz|mai|juni|"
    "juli|okt|dez|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|"
    "novembre|décembre|decembre|january|february|march|april|june|july|august|september|"
    "october|november|december|oktober|dezember"
)
_DATES = (
    re.compile(r"(?<!\d)\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*(?:\d{4}|\d{2})(?!\d)"),
    re.compile(r"(?<!\d)\d{4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,2}(?!\d)"),
    re.compile(rf"(?<!\d)\d{{1,2}}\.?\s+(?:{_MONTHS})\.?\s+\d{{2,4}}(?!\d)", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}(?!\d)", re.IGNORECASE),
)

KINDS = {
    "email": N_("an e-mail address"),
    "phone": N_("a phone number"),
    "iban": N_("a bank account number (IBAN)"),
    "ip": N_("an IP address"),
    "date": N_("a date (possibly a date of birth)"),
}
"""What each kind of personal data is called in a sentence (translate where shown)."""


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` (spaces allowed) has valid IBAN check digits (ISO 13616)."""
    s = re.sub(r"\s+", "", candidate).upper()
    if not (s.isascii() and s.isalnum()) or not (15 <= len(s) <= 34):
        return False
    if not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    digits = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(digits) % 97 == 1


def _has_iban(text: str) -> bool:
    """An IBAN anywhere in ``text``, written compactly or in groups, followed by anything."""
    for m in _IBAN_START.finditer(text):
        compact = ""
        for ch in text[m.start() :]:
            if ch == " ":
                continue
            if not (ch.isascii() and ch.isalnum()) or len(compact) == 34:
                break
            compact += ch
            if len(compact) >= 15 and iban_valid(compact):
                return True
    return False


def _has_phone(text: str) -> bool:
    for m in _PHONE_CANDIDATE.finditer(text):
        chunk = m.group(0)
        if sum(ch.isdigit() for ch in chunk) >= 7 and not _YEAR_RANGE.match(chunk.strip()):
            return True
    return False


def _has_ip(text: str) -> bool:
    for m in _IPV4.finditer(text):
        if all(int(part) <= 255 for part in m.group(0).split(".")):
            return True
    for m in _IPV6_CANDIDATE.finditer(text):
        token = m.group(0)
        if token.count(":") >= 2 and any(c.isalnum() for c in token):
            try:
                ipaddress.IPv6Address(token)
                return True
            except ValueError:
                continue
    return False


def personal_kind(text: str) -> str | None:
    """The kind of personal data ``text`` looks like (a key of ``KINDS``), or None."""
    if not text or not any(ch.isdigit() or ch == "@" for ch in text):
        return None
    if _EMAIL.search(text):
        return "email"
    if _has_iban(text):
        return "iban"
    if _has_ip(text):
        return "ip"
    if any(p.search(text) for p in _DATES):
        return "date"
    if _has_phone(text):
        return "phone"
    return None


def normalise_name(name: str) -> str:
    """Table and column names are matched case-insensitively after trimming spaces."""
    return name.strip().lower()


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9äöü])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return [t for t in re.split(r"[^0-9a-zäöüßàâçéèêëîïôûùüÿñæœ]+", spaced.lower()) if t]


def identifier_column(name: str, extra: Iterable[str] = ()) -> bool:
    """True when a column or sheet name suggests a direct identifier.

    ``extra`` holds further identifier words, e.g. a profile's German ``vorname``.
    """
    if normalise_name(name) in FORMAT_NAMES:
        return False  # a column of the format is checked by its own rules
    words = {w.lower() for w in (*IDENTIFIER_NAMES, *extra)}
    tokens = _tokens(name)
    if not tokens or "_".join(tokens) in FORMAT_NAMES:
        return False
    joined_ = "_".join(tokens)
    joined = "".join(tokens)
    if joined_ in words or joined in words:
        return True
    if any(t in words for t in tokens):
        return True
    # Bigram compounds such as "date of birth" → "date_of_birth", "e mail" → "e_mail".
    for size in (2, 3):
        for i in range(len(tokens) - size + 1):
            gram = tokens[i : i + size]
            if "_".join(gram) in words or "".join(gram) in words:
                return True
    # Compounds written as one word in other languages ("geburtsdatum", "kundenname").
    return any(len(w) >= 5 and w in joined for w in words)
