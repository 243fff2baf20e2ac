"""Send a return (CSO managers and administrators): the approved figures a funder asked for, as a
signed file, and the organisation's public key that lets the funder check it.

Why a page of its own: a return is a release, sent (``evaluation.sharing.returns``). Before a
file leaves the organisation the person sending it sees exactly what it holds (which release,
approved when and by whom, how many figures, how many hidden), and the download is recorded in
the audit trail like every shared output. The figures themselves were checked and approved on
the Approvals page; nothing here computes or protects anything.

Everything comes from the package: ``build_return`` (what the return holds, or a sentence why
it cannot be made), ``sign`` with the organisation's key (made on first use, kept beside the
store), ``write_return`` for the three forms, and ``audit.record`` when the file is downloaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from evaluation.app import render, state
from evaluation.app.period_picker import pick_periods
from evaluation.app.session import current_viewer
from evaluation.periods import RECENT, Period, PeriodChoices, PeriodOption
from evaluation.sharing import audit, releases
from evaluation.sharing.releases.model import NotReleased
from evaluation.sharing.releases.read import approval_date
from evaluation.sharing.returns import ReturnContent, ReturnError, build_return, sign
from evaluation.sharing.returns.files import write_return
from evaluation.sharing.returns.keys import organisations, public_key, signing_key, trusted_keys
from evaluation.store.access import Viewer
from evaluation.vocabulary import numbers
from evaluation.vocabulary.roles import ROLES

FORMATS: dict[str, str] = {
    ".xlsx": "Workbook (.xlsx): opens in Excel or LibreOffice, signed",
    ".json": "JSON (.json): the same content and signature, for machines",
    ".xml": "ADX XML (.xml): for DHIS2 and statistics offices, not signed, hidden figures left out",
}
MIME = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".xml": "application/xml",
}
PREPARED = "send_prepared_file"  # session state: the file prepared, what it was made from


def _file_name(content: ReturnContent, suffix: str) -> str:
    """``return-release-3-2025-Q1-2025-Q2.xlsx``: the release and periods, no personal name."""
    specs = "-".join(p.spec.replace("..", "_") for p in content.periods)
    name = f"return-release-{content.release}-{specs}"
    return (name if len(name) <= 80 else f"return-release-{content.release}") + suffix


def _file_bytes(viewer: Viewer, content: ReturnContent, suffix: str) -> tuple[bytes, str]:
    """The signed return written in the form ``suffix`` names, and its key's fingerprint."""
    signed = sign(content, signing_key(state.store(), content.organisation))
    with tempfile.TemporaryDirectory(prefix="evaluation-return-") as tmp:
        path = Path(tmp) / _file_name(content, suffix)
        write_return(signed, path)
        return path.read_bytes(), signed.signature.fingerprint


def _record_download(viewer: Viewer, content: ReturnContent, name: str, fingerprint: str) -> None:
    """The download is a shared output: on the audit trail as the command line records it."""
    audit.record(
        state.store(),
        actor=viewer.name,
        role=viewer.role,
        action="export_return",
        release=content.release,
        organisations=[content.organisation],
        target=f"file:{name}",
        detail={
            "programmes": list(content.programmes),
            "periods": [p.spec for p in content.periods],
            "fingerprint": fingerprint,
            "page": "send",
        },
    )


def _period_choices(active: list[releases.Release], chosen: list[str]) -> PeriodChoices:
    """Every period of the newest active release holding the chosen programmes (the default),
    then each period an active release holds for them, newest release first; or typed."""
    holding = [r for r in reversed(active) if set(chosen) <= set(r.programmes)] or list(
        reversed(active)
    )
    options: list[PeriodOption] = []
    newest = holding[0]
    if len(newest.periods) > 1:
        labels = ", ".join(p.label for p in newest.periods)
        options.append(
            PeriodOption(
                f"release-{newest.number}",
                f"Every period of release {newest.number} ({labels})",
                tuple(newest.periods),
            )
        )
    seen: dict[tuple[object, object], Period] = {}
    for r in holding:
        for p in r.periods:
            seen.setdefault((p.start, p.end), p)
    kinds = list(RECENT)
    ordered = sorted(
        seen.values(),
        key=lambda p: (
            kinds.index(p.kind) if p.kind in kinds else len(kinds),
            -p.start.toordinal(),
        ),
    )
    options.extend(PeriodOption.of(p) for p in ordered)
    return PeriodChoices(tuple(options), custom=True)


def _role(code: str) -> str:
    """A role as a person reads it (a code the registry does not know, such as the command
    line's ``operator``, as it is)."""
    return ROLES[code].title if code in ROLES else code.replace("_", " ")


def _holds(content: ReturnContent) -> None:
    """What the return holds, as the person sending it reads it."""
    hidden = sum(1 for r in content.rows if r["suppressed"])
    p = content.provenance
    st.subheader("What the return holds")
    cols = st.columns(4)
    cols[0].metric("Release", f"{content.release}")
    cols[1].metric("Approved", approval_date(content.approved_at))
    cols[2].metric("Figures", numbers.count(len(content.rows)))
    cols[3].metric(
        "Hidden",
        numbers.count(hidden),
        help="Figures hidden to protect small numbers: the file keeps their place but no "
        "number, not even in its hidden sheet.",
    )
    role = _role(str(p.get("approver_role") or ""))
    st.markdown(
        render.md(
            f"{content.label}: approved by {p['approved_by']}"
            + (f" ({role})" if role else "")
            + (f', note "{p["note"]}"' if p.get("note") else "")
            + "."
        )
    )
    st.markdown("**Periods:** " + render.md(", ".join(period.label for period in content.periods)))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "programme_id": x["programme_id"],
                    "programme": x["name"],
                    "figures": sum(
                        1 for r in content.rows if r["programme_id"] == x["programme_id"]
                    ),
                }
                for x in p["programmes"]
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "programme_id": "ID",
            "programme": "Programme",
            "figures": st.column_config.NumberColumn("Figures", format="%d"),
        },
    )


def _download(viewer: Viewer, content: ReturnContent) -> None:
    suffix = st.radio(
        "File form",
        list(FORMATS),
        format_func=FORMATS.__getitem__,
        key="send_format",
        help="A funder's platform imports the workbook or the JSON file; ADX carries no "
        "signature and is for other systems.",
    )
    asked = (
        content.organisation,
        content.release,
        content.programmes,
        tuple(p.spec for p in content.periods),
        suffix,
    )
    prepared = st.session_state.get(PREPARED)
    if prepared is None or prepared[0] != asked:
        if st.button("Prepare the file", key="send_prepare", icon=":material/draft:"):
            with st.spinner("Signing and writing the return…"):
                data, fingerprint = _file_bytes(viewer, content, suffix)
            prepared = (asked, data, _file_name(content, suffix), fingerprint, content)
            st.session_state[PREPARED] = prepared
        else:
            st.caption(
                "The file is signed with the organisation's key when you prepare it; the "
                "download is recorded in the audit trail."
            )
            return
    _, data, name, fingerprint, made = prepared
    if st.download_button(
        f"Download {name}",
        data=data,
        file_name=name,
        mime=MIME[suffix],
        key="send_download",
        type="primary",
        icon=":material/download:",
        help="Send the file to the funder by e-mail or through their portal.",
    ):
        _record_download(viewer, made, name, fingerprint)
        st.success(
            render.md(
                f"Recorded in the audit trail: {name}, {made.label}, signed with key {fingerprint}."
            ),
            icon=":material/check_circle:",
        )


def _keys(organisation: str | None) -> None:
    """The organisation's own key (made on first use), and the keys this store trusts."""
    st.subheader("Keys")
    if organisation is not None:
        _own_key(organisation)
    _trusted()


def _own_key(organisation: str) -> None:
    key = public_key(state.store(), organisation)
    st.markdown(
        f"Returns of {render.md(organisation)} are signed with its key. Its fingerprint, to "
        "read out to the funder by phone:"
    )
    st.code(key.fingerprint, language=None)
    st.download_button(
        "Download the public key file",
        data=key.to_json().encode("utf-8"),
        file_name="public-key.json",
        mime="application/json",
        key="send_public_key",
        on_click="ignore",
        icon=":material/key:",
        help="Send it to the funder once; they register it and compare the fingerprint with "
        "you by phone. The private key never leaves this computer.",
    )


def _trusted() -> None:
    with state.cursor() as cur:
        trusted = trusted_keys(cur)
    if not trusted:
        st.caption("This store trusts no other organisation's key: it imports no returns.")
        return
    st.markdown("**Keys this store trusts** (returns signed with them can be imported here):")
    render.trusted_keys(trusted)


def _page() -> None:
    viewer = current_viewer()
    st.title("Send a return")
    st.caption(
        "A return is an approved release, sent: the figures a funder asked for, with small "
        "numbers already hidden, signed with your organisation's key so the funder can tell "
        "it came from you unchanged. It holds no case data. Approve the figures on the "
        "Approvals page first."
    )
    store = state.store()
    mine = [o for o in organisations(store) if viewer.scope.allows(o)]
    with state.cursor() as cur:
        listed = releases.list_releases(cur)
    active_of = {
        o: [r for r in listed if r.active and r.organisation == o and viewer.scope.allows(o)]
        for o in mine
    }
    senders = [o for o in mine if active_of[o]]
    if not senders:
        st.info(
            "No organisation you may send for has an approved release yet. Approve figures "
            "on the Approvals page first.",
            icon=":material/lock_clock:",
        )
        _keys(mine[0] if mine else None)
        return
    org = (
        st.selectbox("Organisation", senders, key="send_organisation")
        if len(senders) > 1
        else senders[0]
    )
    active = active_of[org]
    programmes = sorted({p for r in active for p in r.programmes if viewer.scope.allows(org, [p])})
    known = state.programmes_in_scope(viewer.scope)
    names = dict(zip(known["programme_id"], known["programme"], strict=True))
    chosen = st.multiselect(
        "Programmes",
        programmes,
        default=programmes,
        format_func=lambda p: f"{names.get(p, p)} ({p})",
        key="send_programmes",
    )
    periods: tuple[Period, ...] = pick_periods(
        _period_choices(active, chosen),
        key="send_periods",
        label="Periods",
        help="The periods the funder asked for; a return carries them from one release.",
    )
    if not chosen:
        st.info("Choose at least one programme.", icon=":material/info:")
        _keys(org)
        return
    try:
        with state.cursor() as cur:
            content = build_return(cur, chosen, periods, exported_by=viewer.name)
    except NotReleased as exc:
        st.info(render.md(str(exc)), icon=":material/lock_clock:")
    except ReturnError as exc:
        st.warning(render.md(str(exc)), icon=":material/warning:")
    else:
        _holds(content)
        _download(viewer, content)
    _keys(org)


with render.sentences():
    _page()
