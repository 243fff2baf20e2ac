"""Upload a return (funders and administrators of a funder's store): check a signed return, see
what it holds, import it; register the organisations' public keys; list the keys trusted here.

Why a preview first: importing a return makes its figures the ones every page of this store
shows for its programmes and periods. The person importing sees first who sent it, which
release, who approved it and when, for which periods, how many figures (and how many hidden),
and the fingerprint of the key that signed it, all checked (``returns.verified``, which changes
nothing); only then does "Import" write it (``returns.import_return``, one transaction, on the
audit trail). A file that fails a check is refused with the sentence of ``ReturnError``.

Who may do what (written down in ``docs/returns.md``): administrators and funders import
returns, a funder only those of organisations their account covers (what they could not see,
they should not load); only administrators trust a key, because trusting a key decides whose
figures this store believes, and the person doing it must first compare the fingerprint with
the organisation by phone. Everyone who can open the page sees the trusted keys and their
fingerprints.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from evaluation.app import files, render, state
from evaluation.app.session import current_viewer
from evaluation.periods import Period, label
from evaluation.sharing.returns import (
    ImportResult,
    ReturnContent,
    ReturnError,
    import_return,
    read_public_key,
    trust,
    trusted_keys,
    verified,
)
from evaluation.store.access import Viewer
from evaluation.views import explore
from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import _, current
from evaluation.vocabulary.roles import ROLES

RETURN_TYPES = ("xlsx", "json")
CHECKED, IMPORTED = "return_checked", "return_imported"
TRUSTED = "return_key_trusted"
MAY_TRUST = frozenset({"admin"})  # who may register a public key as trusted (docstring above)


@dataclass(frozen=True)
class Preview:
    """What a checked return holds, as the page shows it (the figures themselves stay in the
    file until it is imported)."""

    organisation: str
    release: int
    label: str
    approved_by: str
    approver_role: str
    approved_at: object
    """When the release was approved (UTC); the page shows the day in the reader's language."""
    note: str
    periods: tuple[Period, ...]
    programmes: tuple[tuple[str, str], ...]
    figures: int
    hidden: int
    fingerprint: str

    @classmethod
    def of(cls, content: ReturnContent, fingerprint: str) -> Preview:
        p = content.provenance
        return cls(
            content.organisation,
            content.release,
            content.label,
            str(p["approved_by"]),
            str(p.get("approver_role") or ""),
            content.approved_at,
            str(p.get("note") or ""),
            tuple(content.periods),
            tuple((pid, name) for pid, name in content.names.items()),
            len(content.rows),
            sum(1 for r in content.rows if r["suppressed"]),
            fingerprint,
        )


def _safe_name(name: str) -> str:
    """The upload's own file name (without folders or odd characters), so sentences about the
    file name the file the person chose."""
    base = re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip(" .") or "return"
    return base[:120]


@contextmanager
def _saved(upload: files.Upload) -> Iterator[Path]:
    """The upload as a temporary file under its own name, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="evaluation-return-") as tmp:
        path = Path(tmp) / _safe_name(upload.name)
        path.write_bytes(upload.getbuffer())
        yield path


def _outside_scope(viewer: Viewer, preview: Preview) -> str | None:
    """Why ``viewer`` may not import this return (None: they may)."""
    if viewer.scope.allows(preview.organisation, [p for p, _name in preview.programmes]):
        return None
    return _(
        "This return comes from {organisation}, whose figures your account does not cover. An "
        "administrator can import it, or add the organisation to your account; nothing was "
        "imported.",
        organisation=preview.organisation,
    )


def _checked(upload: files.Upload) -> Preview | ReturnError:
    """The upload checked once (kept for later reruns of the page): its preview, or the
    refusal."""
    key = files.upload_key(upload, None)
    kept = st.session_state.get(CHECKED)
    if kept and kept[0] == key:
        return kept[1]
    with st.spinner(_("Checking the return and its signature…")), _saved(upload) as path:
        try:
            content, fingerprint = verified(state.store(), path)
            outcome: Preview | ReturnError = Preview.of(content, fingerprint)
        except ReturnError as exc:
            outcome = exc
    st.session_state[CHECKED] = (key, outcome)
    st.session_state.pop(IMPORTED, None)
    return outcome


def _show(preview: Preview) -> None:
    lang = current()
    st.success(
        render.md(
            _(
                "The return is complete and signed with the trusted key of {organisation} "
                "({fingerprint}).",
                organisation=preview.organisation,
                fingerprint=preview.fingerprint,
            )
        ),
        icon=":material/verified:",
    )
    cols = st.columns(4)
    cols[0].metric(_("Their release"), f"{preview.release}")
    cols[1].metric(
        _("Approved"),
        explore.date_text(pd.Timestamp(preview.approved_at).date()),  # type: ignore[arg-type]
    )
    cols[2].metric(_("Figures"), numbers.count(preview.figures, lang))
    cols[3].metric(
        _("Hidden"),
        numbers.count(preview.hidden, lang),
        help=_(
            "Figures the organisation hid to protect small numbers: the file holds no number "
            "for them."
        ),
    )
    code = preview.approver_role
    if code == "operator":  # approved on the command line
        role = _("on the command line")
    else:
        role = _(ROLES[code].title) if code in ROLES else code.replace("_", " ")
    approver = render.md(preview.approved_by) + (f" ({render.md(role)})" if role else "")
    lines = [
        _("**Organisation:** {organisation}", organisation=render.md(preview.organisation)),
        _("**Approved by:** {approver}", approver=approver),
        _(
            "**Periods:** {periods}",
            periods=render.md(", ".join(label(p, lang) for p in preview.periods)),
        ),
        _(
            "**Signing key fingerprint:** {fingerprint}",
            fingerprint=render.md(preview.fingerprint),
        ),
    ]
    if preview.note:
        lines.append(_("**Note:** {note}", note=render.md(preview.note)))
    st.markdown("  \n".join(lines))
    st.dataframe(
        pd.DataFrame(
            [(name, pid) for pid, name in preview.programmes],
            columns=["programme", "programme_id"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "programme": st.column_config.TextColumn(_("Programme"), width=260),
            "programme_id": st.column_config.TextColumn(_("Programme ID"), width=110),
        },
    )


def _import(viewer: Viewer, upload: files.Upload) -> ImportResult | ReturnError:
    with st.spinner(_("Importing the return…")), _saved(upload) as path:
        try:
            result: ImportResult | ReturnError = import_return(
                state.store(), path, actor=viewer.name, role=viewer.role
            )
        except ReturnError as exc:
            return exc
    state.clear_caches()
    return result


def _returns(viewer: Viewer) -> None:
    upload = render.file_uploader(_("Return file"), type=list(RETURN_TYPES), key="return_file")
    if upload is None:
        return
    outcome = _checked(upload)
    if isinstance(outcome, ReturnError):
        st.error(render.md(str(outcome)), icon=":material/gpp_bad:")
        if outcome.reason == "unknown key":
            st.caption(
                _(
                    "An administrator registers the organisation's public key file below, after "
                    "comparing its fingerprint with the organisation by phone."
                )
            )
        return
    _show(outcome)
    refused = _outside_scope(viewer, outcome)
    if refused is not None:
        st.error(render.md(refused), icon=":material/block:")
        return
    key = files.upload_key(upload, None)
    if st.button(
        _("Import"),
        key="return_import",
        type="primary",
        icon=":material/download_done:",
        help=_(
            "Its figures become the ones every page of this store shows for these programmes "
            "and periods; a newer release of the same ones takes over later."
        ),
    ):
        st.session_state[IMPORTED] = (key, _import(viewer, upload))
    done = st.session_state.get(IMPORTED)
    if done and done[0] == key:
        result = done[1]
        if isinstance(result, ReturnError):
            st.error(render.md(str(result)), icon=":material/gpp_bad:")
        elif result.status == "already imported":
            st.info(render.md(result.sentence()), icon=":material/info:")
        else:
            st.success(render.md(result.sentence()), icon=":material/check_circle:")


def _trust(viewer: Viewer) -> None:
    st.subheader(_("Trust an organisation's key"))
    st.caption(
        _(
            "An organisation sends its public key file once. Register it here, but first phone "
            "the organisation and compare the fingerprint group by group: an e-mail can be "
            "intercepted and the file replaced, a voice you know cannot."
        )
    )
    key_file = render.file_uploader(_("Public key file"), type=["json"], key="return_key_file")
    if (done := st.session_state.pop(TRUSTED, None)) is not None:
        status, sentence = done
        if status == "already trusted":
            st.info(render.md(sentence), icon=":material/info:")
        else:
            st.success(render.md(sentence), icon=":material/check_circle:")
    if key_file is None:
        return
    with _saved(key_file) as path:
        try:
            key = read_public_key(path)
        except ReturnError as exc:
            st.error(render.md(str(exc)), icon=":material/gpp_bad:")
            return
    st.markdown(_("**Organisation:** {organisation}", organisation=render.md(key.organisation)))
    st.markdown(_("**Fingerprint**, to compare by phone:"))
    st.code(key.fingerprint, language=None)
    compared = st.checkbox(
        _("I compared this fingerprint with the organisation by phone, and it is the same."),
        key="return_key_compared",
    )
    if st.button(
        _("Trust this key"),
        key="return_key_trust",
        disabled=not compared,
        icon=":material/key:",
        help=None if compared else _("Compare the fingerprint by phone first."),
    ):
        with _saved(key_file) as path:
            try:
                result = trust(state.store(), path, actor=viewer.name)
            except ReturnError as exc:
                st.error(render.md(str(exc)), icon=":material/gpp_bad:")
                return
        st.session_state[TRUSTED] = (result.status, result.sentence())
        st.session_state.pop(CHECKED, None)  # a refused return may pass now
        st.rerun()


def _trusted() -> None:
    st.subheader(_("Keys trusted here"))
    with state.cursor() as cur:
        keys = trusted_keys(cur)
    if not keys:
        st.caption(
            _(
                "No key is trusted yet, so no return can be imported. An administrator "
                "registers each organisation's public key file."
            )
        )
        return
    render.trusted_keys(keys)


def _page() -> None:
    viewer = current_viewer()
    st.title(_("Upload a return"))
    st.caption(
        _(
            "A return is a file of figures an organisation approved and signed: small numbers "
            "are already hidden, and it holds no case data. Upload the workbook (.xlsx) or the "
            "JSON file exactly as the organisation sent it; it is checked and shown before "
            "anything is imported. A newer release of the same programmes and periods takes "
            "over on every page; the older one stays on record."
        )
    )
    _returns(viewer)
    if viewer.role in MAY_TRUST:
        _trust(viewer)
    _trusted()


with render.sentences():
    _page()
