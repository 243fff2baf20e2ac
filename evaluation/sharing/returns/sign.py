"""Signing a return's canonical bytes, and checking a signature against trusted keys.

Why separate from the file formats: the JSON file, the workbook and any later form carry the
same ``Signature`` over the same ``canonical_bytes``; only where they keep it differs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evaluation.sharing.returns.content import ReturnContent, canonical_bytes
from evaluation.sharing.returns.keys import ALGORITHM, TrustedKey, fingerprint
from evaluation.sharing.returns.model import ReturnError
from evaluation.vocabulary.language import _


@dataclass(frozen=True)
class Signature:
    """An Ed25519 signature and the fingerprint of the key that made it."""

    fingerprint: str
    value: bytes
    algorithm: str = ALGORITHM

    def to_object(self) -> dict[str, str]:
        return {
            "algorithm": self.algorithm,
            "fingerprint": self.fingerprint,
            "value": base64.b64encode(self.value).decode("ascii"),
        }

    @classmethod
    def from_object(cls, obj: object) -> Signature:
        """The signature a file holds; ``ReturnError`` (unsigned) when there is none or it is
        not one."""
        if not isinstance(obj, Mapping) or not obj.get("value"):
            raise unsigned()
        try:
            value = base64.b64decode(str(obj["value"]), validate=True)
        except (binascii.Error, ValueError):
            raise unsigned() from None
        if obj.get("algorithm") != ALGORITHM or len(value) != 64:
            raise unsigned()
        return cls(str(obj.get("fingerprint") or ""), value)


@dataclass(frozen=True)
class SignedReturn:
    """A return's content and its signature: what every file form of a return carries."""

    content: ReturnContent
    signature: Signature


def unsigned() -> ReturnError:
    return ReturnError(
        _(
            "The return carries no valid signature, so nobody can tell who made it or whether "
            "it was changed. Ask the organisation for the file exactly as the platform wrote "
            "it; nothing was imported."
        ),
        "unsigned",
    )


def sign(content: ReturnContent, key: Ed25519PrivateKey) -> SignedReturn:
    """Sign ``content``'s canonical bytes with ``key``."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SignedReturn(content, Signature(fingerprint(raw), key.sign(canonical_bytes(content))))


def verify(data: bytes, signature: Signature, trusted: Sequence[TrustedKey]) -> TrustedKey:
    """The trusted key that signed ``data``; ``ReturnError`` when the key is not trusted here
    (unknown key) or the signature does not match the bytes (tampered)."""
    key = next((k for k in trusted if k.fingerprint == signature.fingerprint), None)
    if key is None:
        raise ReturnError(
            _(
                "The return is signed with a key this store does not trust (fingerprint "
                "{fingerprint}). Ask the organisation for its public key file, compare the "
                "fingerprint by phone, register it with `python -m evaluation keys trust "
                "FILE`, then import again; nothing was imported.",
                fingerprint=signature.fingerprint[:44] or _("none"),
            ),
            "unknown key",
        )
    if not key.public_key.verify(signature.value, data):
        raise ReturnError(
            _(
                "The return's signature does not match its content: the file was changed "
                "after {organisation} signed it, or damaged. Ask {organisation} to send it "
                "again; nothing was imported.",
                organisation=key.organisation,
            ),
            "tampered",
        )
    return key


def signed_object(signed: SignedReturn) -> dict[str, Any]:
    """The JSON file's object: ``{"content": …, "signature": …}``."""
    from evaluation.sharing.returns.content import to_object

    return {"content": to_object(signed.content), "signature": signed.signature.to_object()}
