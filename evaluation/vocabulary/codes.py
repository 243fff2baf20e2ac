"""How each code of the data format reads for a person: ``stand_alone_exit`` → "Stand-alone exit
programme" (German in the catalogues), and the order a list of them is shown in.

The codes themselves are the format's (``evaluation.store.schema``: every ``vocab`` column);
here is only what a person reads. Every table cell, chart axis, legend, picker and report that
shows a code value asks :func:`code_label`; lists sort with :func:`code_order` (age bands by
age, not alphabetically).
"""

from __future__ import annotations

import functools

from babel import Locale

from evaluation.vocabulary.language import N_, _, current
from evaluation.vocabulary.regions import region_name

NAMES: dict[str, dict[str, str]] = {
    "table": {
        "about": N_("About the package"),
        "programmes": N_("Programmes"),
        "cases": N_("Cases"),
        "contacts": N_("Contacts"),
        "needs": N_("Needs"),
        "referrals": N_("Referrals"),
        "custody_events": N_("Custody events"),
        "assessments": N_("Risk assessments"),
        "outcomes": N_("Outcomes"),
        "capacity": N_("Capacity building"),
        "funding": N_("Funding"),
        "staffing": N_("Staffing"),
        "targets": N_("Targets"),
    },
    "column": {
        "first_request_on": N_("Date of the first request"),
        "plan_agreed_on": N_("Date the support plan was agreed"),
        "closure_reason": N_("Reason for closing"),
        "returnee": N_("Returnee"),
        "region": N_("Region"),
        "former_extremists": N_("Former extremists on the staff"),
    },
    "intervention_type": {
        "stand_alone_exit": N_("Stand-alone exit programme"),
        "exit_support": N_("Exit support within a wider service"),
        "family_support": N_("Support for families"),
    },
    "setting": {
        "open": N_("Open setting"),
        "criminal_justice": N_("In the justice system"),
        "both": N_("Open setting and justice system"),
        "community": N_("Community-based"),
        "prison": N_("Prison"),
        "probation": N_("Probation service"),
        "online": N_("Online"),
    },
    "client_type": {
        "exit_participant": N_("Person leaving extremism"),
        "relative": N_("Relative"),
        "friend": N_("Friend"),
        "professional": N_("Professional"),
    },
    "closure_reason": {
        "goals_achieved": N_("Goals achieved"),
        "planned_transfer": N_("Planned transfer"),
        "client_withdrew": N_("Client withdrew"),
        "lost_contact": N_("Contact lost"),
        "mandate_ended": N_("Mandate ended"),
        "re_engaged": N_("Re-engaged in extremism"),
        "moved_away": N_("Moved away"),
        "died": N_("Died"),
        "other": N_("Other"),
    },
    "referral_source": {
        "self": N_("Self-referral"),
        "family": N_("Family"),
        "police": N_("Police"),
        "prosecution": N_("Prosecution"),
        "court": N_("Court"),
        "prison": N_("Prison"),
        "probation": N_("Probation service"),
        "municipality": N_("Municipality"),
        "school": N_("School"),
        "social_services": N_("Social services"),
        "youth_services": N_("Youth services"),
        "health_services": N_("Health services"),
        "employer": N_("Employer"),
        "helpline": N_("Helpline"),
        "other_cso": N_("Another organisation"),
        "online_outreach": N_("Online outreach"),
        "other": N_("Other"),
        "unknown": N_("Unknown"),
    },
    "participation": {
        "voluntary": N_("Voluntary"),
        "mandated": N_("Mandated"),
        "unknown": N_("Unknown"),
    },
    "setting_at_intake": {
        "community": N_("In the community"),
        "pre_trial_detention": N_("Pre-trial detention"),
        "prison": N_("Serving a sentence"),
        "probation": N_("On probation"),
        "unknown": N_("Unknown"),
    },
    "ideology": {
        "right_wing": N_("Right-wing extremism"),
        "islamist": N_("Islamism"),
        "left_wing": N_("Left-wing extremism"),
        "single_issue": N_("Single-issue extremism"),
        "conspiracy": N_("Conspiracy ideologies"),
        "mixed_unclear": N_("Mixed or unclear"),
        "other": N_("Other"),
        "unknown": N_("Unknown"),
    },
    "gender": {
        "female": N_("Female"),
        "male": N_("Male"),
        "diverse": N_("Diverse"),
        "unknown": N_("Unknown"),
    },
    "age_band": {
        "under_18": N_("Under 18"),
        "18_24": N_("18–24"),
        "25_34": N_("25–34"),
        "35_44": N_("35–44"),
        "45_plus": N_("45 and over"),
        "unknown": N_("Unknown"),
    },
    "risk_at_intake": {
        "low": N_("Low"),
        "medium": N_("Medium"),
        "high": N_("High"),
        "not_assessed": N_("Not assessed"),
    },
    "risk_level": {
        "low": N_("Low"),
        "medium": N_("Medium"),
        "high": N_("High"),
    },
    "mode": {
        "in_person": N_("In person"),
        "phone": N_("Phone"),
        "video": N_("Video"),
        "chat": N_("Chat"),
        "email": N_("E-mail"),
        "letter": N_("Letter"),
    },
    "activity": {
        "counselling": N_("Counselling"),
        "mentoring": N_("Mentoring"),
        "motivational_interviewing": N_("Motivational interviewing"),
        "biographical_work": N_("Biographical work"),
        "ideological_dialogue": N_("Ideological dialogue"),
        "religious_mediation": N_("Religious mediation"),
        "practical_support": N_("Practical support"),
        "family_counselling": N_("Family counselling"),
        "group_session": N_("Group session"),
        "case_conference": N_("Case conference"),
        "crisis_intervention": N_("Crisis intervention"),
        "consultation": N_("Consultation"),
        "training": N_("Training"),
        "workshop": N_("Workshop"),
        "network_meeting": N_("Network meeting"),
        "publication": N_("Publication"),
        "awareness_event": N_("Awareness event"),
        "other": N_("Other"),
    },
    "staff_role": {
        "social_worker": N_("Social worker"),
        "psychologist": N_("Psychologist"),
        "former_extremist": N_("Former extremist"),
        "theologian": N_("Theologian"),
        "educator": N_("Educator"),
        "case_manager": N_("Case manager"),
        "other": N_("Other"),
    },
    "domain": {
        "mental_health": N_("Mental health"),
        "addiction": N_("Addiction"),
        "cognitive_ideological": N_("Thinking and ideology"),
        "housing": N_("Housing"),
        "education": N_("Education"),
        "employment": N_("Employment"),
        "financial": N_("Finances"),
        "administrative": N_("Paperwork and authorities"),
        "relocation": N_("Relocation"),
        "tattoo_removal": N_("Tattoo removal"),
        "social_network": N_("Social network"),
        "family": N_("Family"),
        "safety_of_client": N_("Safety of the client"),
        "risk_to_others": N_("Risk to others"),
    },
    "status": {
        "open": N_("Open"),
        "met": N_("Met"),
        "partially_met": N_("Partly met"),
        "unmet": N_("Not met"),
        "no_longer_relevant": N_("No longer relevant"),
    },
    "service": {
        "mental_health": N_("Mental health"),
        "addiction": N_("Addiction"),
        "housing": N_("Housing"),
        "employment": N_("Employment"),
        "education": N_("Education"),
        "welfare": N_("Welfare"),
        "debt_advice": N_("Debt advice"),
        "legal": N_("Legal advice"),
        "other": N_("Other"),
    },
    "outcome": {
        "pending": N_("Pending"),
        "taken_up": N_("Taken up"),
        "declined": N_("Declined"),
        "unavailable": N_("Not available"),
        "disengaged": N_("Disengaged from extremism"),
        "family_relations_improved": N_("Family relations improved"),
        "re_engaged": N_("Re-engaged in extremism"),
        "reoffended": N_("Reoffended"),
        "stable_housing": N_("Stable housing"),
        "employment_or_education": N_("In work or education"),
        "situation_improved": N_("Situation improved"),
    },
    "event": {
        "entered_custody": N_("Entered custody"),
        "released": N_("Released from custody"),
        "probation_started": N_("Probation started"),
        "probation_ended": N_("Probation ended"),
    },
    "audience": {
        "prison_staff": N_("Prison staff"),
        "probation_staff": N_("Probation staff"),
        "police": N_("Police"),
        "teachers": N_("Teachers"),
        "social_workers": N_("Social workers"),
        "youth_workers": N_("Youth workers"),
        "municipality": N_("Municipality"),
        "health": N_("Health professionals"),
        "general_public": N_("General public"),
        "other": N_("Other"),
    },
    "funder_level": {
        "municipal": N_("Municipal"),
        "regional": N_("Regional"),
        "national": N_("National"),
        "eu": N_("EU"),
        "private": N_("Private"),
        "other": N_("Other"),
    },
    "basis": {
        "flat_fee": N_("Flat fee"),
        "hours_billed": N_("Hours billed"),
        "per_case": N_("Per case"),
        "project_grant": N_("Project grant"),
    },
}
"""Display names per vocab column, in the order a list of them is shown; ``table`` names the
format's tables and ``column`` the optional fields whose completeness is shown."""

NOT_RECORDED = N_("not recorded")
"""What a missing code value reads as."""


def code_label(column: str, value: object) -> str:
    """The display name of ``value`` in ``column`` in the language of the moment."""
    if value is None or (isinstance(value, float) and value != value):
        return _(NOT_RECORDED)
    text = str(value)
    if column == "country" and len(text) == 2:
        return _country(text.upper(), current())
    if column == "region":  # a NUTS code: the region's name, or the code as given
        return region_name(text) or text
    name = NAMES.get(column, {}).get(text)
    if name is not None:
        return _(name)
    return text.replace("_", " ").capitalize()


def code_order(column: str, values: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """``values`` (default: every code of ``column``) in the order they are shown."""
    known = list(NAMES.get(column, {}))
    if values is None:
        return known
    rank = {code: i for i, code in enumerate(known)}
    return sorted(values, key=lambda v: (rank.get(str(v), len(rank)), str(v)))


@functools.cache
def _country(code: str, lang: str) -> str:
    """A country's name in ``lang`` from Babel's CLDR data (``DE`` → Germany / Deutschland)."""
    return str(Locale.parse(lang).territories.get(code, code))
