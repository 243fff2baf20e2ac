"""A return as a file: written by suffix (``.xlsx``, ``.json``, ``.xml``), read back by content.

Why reading sniffs the bytes rather than trusting the suffix: a renamed or mislabelled file
should get the sentence that fits what it is (a damaged workbook, text that is not JSON), not
a parser's error. ADX XML is written for funders who run DHIS2 or a statistics office's tools;
it carries no signature, so the platform imports only the workbook and the JSON form.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.sharing.returns.content import ReturnContent, canonical_text, from_object
from evaluation.sharing.returns.model import ReturnError
from evaluation.sharing.returns.sign import Signature, SignedReturn, signed_object, unsigned
from evaluation.vocabulary.language import _

SUFFIXES = (".xlsx", ".json", ".xml")
MAX_FILE = 256 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


def write_json(signed: SignedReturn, path: Path) -> None:
    """The JSON form: ``{"content": …, "signature": …}``, the content exactly as signed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(canonical_text(signed_object(signed)) + "\n", encoding="ascii")


def write_return(signed: SignedReturn, path: Path) -> None:
    """Write ``signed`` in the form ``path``'s suffix names; ``ReturnError`` for another."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_json(signed, path)
    elif suffix == ".xlsx":
        from evaluation.sharing.returns.workbook import write_xlsx

        write_xlsx(signed, path)
    elif suffix == ".xml":
        try:
            from evaluation.sharing.returns.adx import write_adx
        except ImportError:
            raise ReturnError(
                _(
                    "This version of the platform cannot write ADX XML yet; write an .xlsx or "
                    ".json return instead. Nothing was written."
                ),
                "malformed",
            ) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        write_adx(signed.content, path)
    else:
        raise ReturnError(
            _(
                "A return is written as .xlsx, .json or .xml (ADX), not {suffix}; nothing was "
                "written.",
                suffix=suffix or _("a file without a suffix"),
            ),
            "malformed",
        )


def _json_parts(path: Path, raw: bytes) -> tuple[bytes, Signature]:
    name = path.name
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReturnError(
            _(
                "{name} is neither a return workbook nor JSON text; nothing was imported.",
                name=name,
            ),
            "malformed",
        ) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        if text.lstrip().startswith("{") and not text.rstrip().endswith("}"):
            raise ReturnError(
                _(
                    "{name} ends in the middle of the return (it was cut off while it was "
                    "sent). Ask for the file again; nothing was imported.",
                    name=name,
                ),
                "truncated",
            ) from None
        raise ReturnError(
            _(
                "{name} is not valid JSON, so it is not a return this platform wrote; nothing "
                "was imported.",
                name=name,
            ),
            "malformed",
        ) from None
    if not isinstance(obj, dict) or "content" not in obj:
        raise ReturnError(
            _(
                "{name} is JSON but not a return (it holds no content); nothing was imported.",
                name=name,
            ),
            "malformed",
        )
    if "signature" not in obj:
        raise unsigned()
    signature = Signature.from_object(obj["signature"])
    content = obj["content"]
    if not isinstance(content, dict):
        raise ReturnError(
            _("{name} holds no return content; nothing was imported.", name=name), "malformed"
        )
    try:
        data = canonical_text(content).encode("ascii")
    except ValueError:
        raise ReturnError(
            _("{name} holds numbers that are not figures; nothing was imported.", name=name),
            "malformed",
        ) from None
    return data, signature


def read_return(path: Path) -> tuple[bytes, Signature, list[list[object]] | None]:
    """The signed bytes, the signature and (for a workbook) its Figures rows, before anything
    is verified. ``ReturnError`` for a file that cannot be a signed return."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise ReturnError(
                _(
                    "{name} is far larger than a return can be; nothing was imported.",
                    name=path.name,
                ),
                "malformed",
            )
        raw = path.read_bytes()
    except OSError:
        raise ReturnError(
            _("The file {path} cannot be read; nothing was imported.", path=path), "unreadable"
        ) from None
    if not raw.strip():
        raise ReturnError(_("{name} is empty; nothing was imported.", name=path.name), "truncated")
    if raw.startswith(ZIP_MAGIC) or path.suffix.lower() == ".xlsx":
        if not raw.startswith(ZIP_MAGIC):
            raise ReturnError(
                _(
                    "{name} is not a workbook (an .xlsx file), so it is not a return; nothing "
                    "was imported.",
                    name=path.name,
                ),
                "malformed",
            )
        from evaluation.sharing.returns.workbook import read_xlsx

        return read_xlsx(path)
    if raw.lstrip()[:1] == b"<":
        raise ReturnError(
            _(
                "{name} looks like XML. ADX files carry no signature, so the platform imports "
                "only the .xlsx or .json form of a return; nothing was imported.",
                name=path.name,
            ),
            "unsigned",
        )
    data, signature = _json_parts(path, raw)
    return data, signature, None


def parse_signed(data: bytes) -> ReturnContent:
    """The content of signed bytes (already verified), its structure checked."""
    try:
        obj = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReturnError(
            _("The return's signed content is not readable; nothing was imported."), "malformed"
        ) from None
    return from_object(obj)
