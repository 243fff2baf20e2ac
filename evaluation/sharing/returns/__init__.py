"""Returns: a release, sent (``docs/spec/releases.md``, "Returns").

In the field a funder should never hold case data: each organisation keeps its own store and
sends the funder the aggregates it approved. A return is the part of one release a funder
asked for, signed with the organisation's Ed25519 key; the funder imports it, after checking
the signature against the key a person trusted, as a release of its own store, where the same
read path, suppression and pages serve it.

By noun: ``model`` (``ReturnError``, ``ImportResult``, ``TrustResult``), ``content``
(``ReturnContent`` and its canonical bytes), ``keys`` (key pairs beside the store, public key
files, the trusted keys), ``sign`` (``Signature``, ``sign``, ``verify``), ``export``
(``build_return``, ``export_return``), ``files`` (the ``.json`` form, reading any form),
``workbook`` (the ``.xlsx`` form), ``adx`` (ADX XML), ``importer`` (``import_return``).
"""

from evaluation.sharing.returns.content import (
    ROW_COLUMNS,
    ReturnContent,
    canonical_bytes,
    content_hash,
    from_object,
    to_object,
)
from evaluation.sharing.returns.export import ExportResult, build_return, export_return
from evaluation.sharing.returns.files import read_return, write_return
from evaluation.sharing.returns.importer import import_return, returned_names, verified
from evaluation.sharing.returns.keys import (
    PublicKey,
    TrustedKey,
    export_public_key,
    fingerprint,
    own_keys,
    public_key,
    read_public_key,
    trust,
    trusted_keys,
)
from evaluation.sharing.returns.model import ImportResult, ReturnError, TrustResult
from evaluation.sharing.returns.sign import Signature, SignedReturn, sign, verify

__all__ = [
    "ROW_COLUMNS",
    "ExportResult",
    "ImportResult",
    "PublicKey",
    "ReturnContent",
    "ReturnError",
    "Signature",
    "SignedReturn",
    "TrustResult",
    "TrustedKey",
    "build_return",
    "canonical_bytes",
    "content_hash",
    "export_public_key",
    "export_return",
    "fingerprint",
    "from_object",
    "import_return",
    "own_keys",
    "public_key",
    "read_public_key",
    "read_return",
    "returned_names",
    "sign",
    "to_object",
    "trust",
    "trusted_keys",
    "verified",
    "verify",
    "write_return",
]
