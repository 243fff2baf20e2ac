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
from evaluation.demo.releases import note_text
from evaluation.periods import RECENT, Period, PeriodChoices, PeriodOption, label
from evaluation.sharing import audit, releases
from evaluation.sharing.releases.model import NotReleased
from evaluation.sharing.returns import ReturnContent, ReturnError, build_return, sign
from evaluation.sharing.returns.files import write_return
from evaluation.sharing.returns.keys import organisations, public_key, signing_key, trusted_keys
from evaluation.store.access import Viewer
from evaluation.views import explore
from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import N_, _, current
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.roles import ROLES

FORMATS: dict[str, str] = {
    ".xlsx": N_("Workbook (.xlsx): opens in Excel or LibreOffice, signed"),
    ".json": N_("JSON (.json): the same content and signature, for machines"),
    ".xml": N_(
        "ADX XML (.xml): for DHIS2 and statistics offices, not signed, hidden figures left out"
    ),
}
# The download button of each form: what it downloads, short enough never to be cut.
DOWNLOAD: dict[str, str] = {
    ".xlsx": N_("Download the return (.xlsx)"),
    ".json": N_("Download the return (.json)"),
    ".xml": N_("Download the return (.xml)"),
}
MIME = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".xml": "application/xml",
}
PREPARED = "send_prepared_file"  # session state: the file prepared, what it was made from


def release_label(number: int, approved_at: object) -> str:
    """``Release 3 (approved 4 Dec 2026)`` in the reader's language (the day in UTC)."""
    day = pd.Timestamp(approved_at).date()  # type: ignore[arg-type]
    return _("Release {n} (approved {date})", n=number, date=explore.date_text(day))


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
    lang = current()
    if len(newest.periods) > 1:
        labels = ", ".join(label(p, lang) for p in newest.periods)
        options.append(
            PeriodOption(
                f"release-{newest.number}",
                _(
                    "Every period of release {n} ({periods})",
                    n=newest.number,
                    periods=labels,
                ),
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
    options.extend(PeriodOption(p.spec, label(p, lang), (p,)) for p in ordered)
    return PeriodChoices(tuple(options), custom=True)


def _role(code: str) -> str:
    """A role as a person reads it, in the reader's language (the command line's
    ``operator`` says where it was approved; another code the registry does not know, as it
    is)."""
    if code == "operator":
        return _("on the command line")
    return _(ROLES[code].title) if code in ROLES else code.replace("_", " ")


def _holds(content: ReturnContent) -> None:
    """What the return holds, as the person sending it reads it."""
    lang = current()
    hidden = sum(1 for r in content.rows if r["suppressed"])
    p = content.provenance
    st.subheader(_("What the funder will receive"))
    cols = st.columns(4)
    cols[0].metric(_("Release"), f"{content.release}")
    cols[1].metric(_("Approved"), explore.date_text(pd.Timestamp(content.approved_at).date()))
    cols[2].metric(_("Figures"), numbers.count(len(content.rows), lang))
    cols[3].metric(
        _("Hidden"),
        numbers.count(hidden, lang),
        help=_(
            "Figures hidden to protect small numbers: the file keeps their place but no "
            "number, not even in its hidden sheet."
        ),
    )
    role = _role(str(p.get("approver_role") or ""))
    release = release_label(content.release, content.approved_at)
    who = audit.actor_text(p["approved_by"])  # "Command line" says where: no role beside it
    approver = who + (f" ({role})" if role and who == str(p["approved_by"]) else "")
    note = note_text(p.get("note"))
    st.markdown(
        render.md(
            _(
                "{release}: approved by {approver}, note: “{note}”.",
                release=release,
                approver=approver,
                note=note,
            )
            if note
            else _("{release}: approved by {approver}.", release=release, approver=approver)
        )
    )
    st.markdown(
        _(
            "The funder receives exactly these figures: the indicators of the programmes below "
            "for the periods {periods}, each with its numerator and denominator, small numbers "
            "hidden as they were approved, and who approved them and when. No case, name or "
            "count of records as loaded is in the file.",
            periods=render.md(", ".join(label(period, lang) for period in content.periods)),
        )
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "programme": shown_name(x["name"]),
                    "figures": sum(
                        1 for r in content.rows if r["programme_id"] == x["programme_id"]
                    ),
                    "hidden": sum(
                        1
                        for r in content.rows
                        if r["programme_id"] == x["programme_id"] and r["suppressed"]
                    ),
                    "programme_id": x["programme_id"],
                }
                for x in p["programmes"]
            ],
            columns=["programme", "figures", "hidden", "programme_id"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "programme": st.column_config.TextColumn(_("Programme"), width=260),
            "figures": st.column_config.NumberColumn(_("Figures"), format="localized", width=90),
            "hidden": st.column_config.NumberColumn(
                _("Of them hidden"), format="localized", width=110
            ),
            "programme_id": st.column_config.TextColumn(_("Programme ID"), width=110),
        },
    )


def _download(viewer: Viewer, content: ReturnContent) -> None:
    suffix = render.radio(
        _("File form"),
        list(FORMATS),
        format_func=lambda s: _(FORMATS[s]),
        key="send_format",
        help=_(
            "A funder's platform imports the workbook or the JSON file; ADX carries no "
            "signature and is for other systems."
        ),
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
        if st.button(_("Prepare the file"), key="send_prepare", icon=":material/draft:"):
            with st.spinner(_("Signing and writing the return…")):
                data, fingerprint = _file_bytes(viewer, content, suffix)
            prepared = (asked, data, _file_name(content, suffix), fingerprint, content)
            st.session_state[PREPARED] = prepared
        else:
            st.caption(
                _(
                    "The file is signed with the organisation's key when you prepare it; the "
                    "download is recorded in the audit trail."
                )
            )
            return
    _asked, data, name, fingerprint, made = prepared
    if st.download_button(
        _(DOWNLOAD[suffix]),
        data=data,
        file_name=name,
        mime=MIME[suffix],
        key="send_download",
        type="primary",
        icon=":material/download:",
        help=_(
            "The signed return, for the funder who asked for these figures: send it by e-mail "
            "or through their portal."
        ),
    ):
        _record_download(viewer, made, name, fingerprint)
        st.success(
            render.md(
                _(
                    "Recorded in the audit trail: the return of {release}, signed with key "
                    "{fingerprint}.",
                    release=release_label(made.release, made.approved_at),
                    fingerprint=fingerprint,
                )
            ),
            icon=":material/check_circle:",
        )


def _keys(organisation: str | None) -> None:
    """The organisation's own key (made on first use), and the keys this store trusts."""
    st.subheader(_("Keys"))
    if organisation is not None:
        _own_key(organisation)
    _trusted()


def _own_key(organisation: str) -> None:
    key = public_key(state.store(), organisation)
    st.markdown(
        _(
            "Returns of {organisation} are signed with its key. Its fingerprint, to read out "
            "to the funder by phone:",
            organisation=render.md(shown_name(organisation)),
        )
    )
    st.code(key.fingerprint, language=None)
    st.download_button(
        _("Download the public key"),
        data=key.to_json().encode("utf-8"),
        file_name="public-key.json",
        mime="application/json",
        key="send_public_key",
        on_click="ignore",
        icon=":material/key:",
        help=_(
            "The file public-key.json, for any funder you send returns to: send it once; they "
            "register it and compare the fingerprint with you by phone. The private key never "
            "leaves this computer."
        ),
    )


def _trusted() -> None:
    with state.cursor() as cur:
        trusted = trusted_keys(cur)
    if not trusted:
        st.caption(_("This store trusts no other organisation's key: it imports no returns."))
        return
    st.markdown(_("**Keys this store trusts** (returns signed with them can be imported here):"))
    render.trusted_keys(trusted)


def _page() -> None:
    viewer = current_viewer()
    st.title(_("Send a return"))
    st.caption(
        _(
            "A return is an approved release, sent: the figures a funder asked for, with small "
            "numbers already hidden, signed with the organisation's key so the funder can tell "
            "it came from the organisation unchanged. It holds no case data. Approve the "
            "figures on the Approvals page first."
        )
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
            _(
                "No organisation you may send for has an approved release yet. Approve figures "
                "on the Approvals page first."
            ),
            icon=":material/lock_clock:",
        )
        _keys(mine[0] if mine else None)
        return
    org = (
        render.selectbox(
            _("Organisation"), senders, key="send_organisation", format_func=shown_name
        )
        if len(senders) > 1
        else senders[0]
    )
    active = active_of[org]
    programmes = sorted({p for r in active for p in r.programmes if viewer.scope.allows(org, [p])})
    names = explore.programme_names(state.programmes_in_scope(viewer.scope))
    chosen = render.multiselect(
        _("Programmes"),
        programmes,
        default=programmes,
        format_func=lambda p: shown_name(names.get(p, p)),
        key="send_programmes",
    )
    periods: tuple[Period, ...] = pick_periods(
        _period_choices(active, chosen),
        key="send_periods",
        label=_("Periods"),
        help=_("The periods the funder asked for; a return carries them from one release."),
    )
    if not chosen:
        st.info(_("Choose at least one programme."), icon=":material/info:")
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
