"""The one registry of the programme data package, format v1.

Tables, columns, types, vocabularies and rules are declared here once. The validator, the
Great Expectations suites, the DuckDB DDL, the blank template workbook, the CLI help and the data
dictionary in ``docs/`` are all generated from these declarations, so they cannot drift apart.
The source of truth for the content is ``docs/spec/data-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FORMAT_VERSION = "1"

ColumnType = Literal["text", "vocab", "date", "bool", "integer", "decimal"]

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
EARLIEST_DATE = "1980-01-01"

# Identifiers of the agreed catalogue v1 (``docs/spec/indicators-v1.md``); targets must name one.
CATALOGUE_IDS: tuple[str, ...] = (
    *(f"C{i:02d}" for i in range(1, 12)),
    *(f"O{i:02d}" for i in range(1, 15)),
    "K01",
    "K02",
    "K03",
    "F01",
    "F02",
    "F03",
    "F04",
    "S01",
)

# ISO 3166-1 alpha-2 (from the tz database's iso3166.tab, 2023), plus XK (Kosovo), the code
# the EU and most registries use.
COUNTRY_CODES: tuple[str, ...] = (
    "AD",
    "AE",
    "AF",
    "AG",
    "AI",
    "AL",
    "AM",
    "AO",
    "AQ",
    "AR",
    "AS",
    "AT",
    "AU",
    "AW",
    "AX",
    "AZ",
    "BA",
    "BB",
    "BD",
    "BE",
    "BF",
    "BG",
    "BH",
    "BI",
    "BJ",
    "BL",
    "BM",
    "BN",
    "BO",
    "BQ",
    "BR",
    "BS",
    "BT",
    "BV",
    "BW",
    "BY",
    "BZ",
    "CA",
    "CC",
    "CD",
    "CF",
    "CG",
    "CH",
    "CI",
    "CK",
    "CL",
    "CM",
    "CN",
    "CO",
    "CR",
    "CU",
    "CV",
    "CW",
    "CX",
    "CY",
    "CZ",
    "DE",
    "DJ",
    "DK",
    "DM",
    "DO",
    "DZ",
    "EC",
    "EE",
    "EG",
    "EH",
    "ER",
    "ES",
    "ET",
    "FI",
    "FJ",
    "FK",
    "FM",
    "FO",
    "FR",
    "GA",
    "GB",
    "GD",
    "GE",
    "GF",
    "GG",
    "GH",
    "GI",
    "GL",
    "GM",
    "GN",
    "GP",
    "GQ",
    "GR",
    "GS",
    "GT",
    "GU",
    "GW",
    "GY",
    "HK",
    "HM",
    "HN",
    "HR",
    "HT",
    "HU",
    "ID",
    "IE",
    "IL",
    "IM",
    "IN",
    "IO",
    "IQ",
    "IR",
    "IS",
    "IT",
    "JE",
    "JM",
    "JO",
    "JP",
    "KE",
    "KG",
    "KH",
    "KI",
    "KM",
    "KN",
    "KP",
    "KR",
    "KW",
    "KY",
    "KZ",
    "LA",
    "LB",
    "LC",
    "LI",
    "LK",
    "LR",
    "LS",
    "LT",
    "LU",
    "LV",
    "LY",
    "MA",
    "MC",
    "MD",
    "ME",
    "MF",
    "MG",
    "MH",
    "MK",
    "ML",
    "MM",
    "MN",
    "MO",
    "MP",
    "MQ",
    "MR",
    "MS",
    "MT",
    "MU",
    "MV",
    "MW",
    "MX",
    "MY",
    "MZ",
    "NA",
    "NC",
    "NE",
    "NF",
    "NG",
    "NI",
    "NL",
    "NO",
    "NP",
    "NR",
    "NU",
    "NZ",
    "OM",
    "PA",
    "PE",
    "PF",
    "PG",
    "PH",
    "PK",
    "PL",
    "PM",
    "PN",
    "PR",
    "PS",
    "PT",
    "PW",
    "PY",
    "QA",
    "RE",
    "RO",
    "RS",
    "RU",
    "RW",
    "SA",
    "SB",
    "SC",
    "SD",
    "SE",
    "SG",
    "SH",
    "SI",
    "SJ",
    "SK",
    "SL",
    "SM",
    "SN",
    "SO",
    "SR",
    "SS",
    "ST",
    "SV",
    "SX",
    "SY",
    "SZ",
    "TC",
    "TD",
    "TF",
    "TG",
    "TH",
    "TJ",
    "TK",
    "TL",
    "TM",
    "TN",
    "TO",
    "TR",
    "TT",
    "TV",
    "TW",
    "TZ",
    "UA",
    "UG",
    "UM",
    "US",
    "UY",
    "UZ",
    "VA",
    "VC",
    "VE",
    "VG",
    "VI",
    "VN",
    "VU",
    "WF",
    "WS",
    "XK",
    "YE",
    "YT",
    "ZA",
    "ZM",
    "ZW",
)

STATE_REFERRAL_SOURCES = (
    "police",
    "prosecution",
    "court",
    "prison",
    "probation",
    "municipality",
    "school",
    "social_services",
    "youth_services",
    "health_services",
)


@dataclass(frozen=True)
class Column:
    """One column of a package table and every rule that applies to its values alone."""

    name: str
    type: ColumnType
    required: bool
    doc: str = ""
    vocab: tuple[str, ...] = ()
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    unique: bool = False
    free_text: bool = False
    references: str | None = None  # "table.column" this column must exist in
    may_follow_data_as_of: bool = False
    default: bool | None = None
    """The value a missing cell means (the format's "missing = …"); stored in its place at load.

    Only the format's optional bool columns declare one today; a column without a default keeps
    a missing cell as missing (NULL)."""

    @property
    def sql_type(self) -> str:
        return {
            "text": "VARCHAR",
            "vocab": "VARCHAR",
            "date": "DATE",
            "bool": "BOOLEAN",
            "integer": "BIGINT",
            "decimal": "DOUBLE",
        }[self.type]

    @property
    def default_sql(self) -> str | None:
        """The default as a DuckDB literal of the column's type, or None without a default."""
        if self.default is None:
            return None
        return "true" if self.default else "false"

    def rule_text(self) -> str:
        """The column's rules in a short sentence, for help text, templates and docs."""
        parts: list[str] = []
        if self.vocab == COUNTRY_CODES:
            parts.append("an ISO 3166-1 alpha-2 country code, e.g. `DE`, `AT`, `NL`")
        elif self.vocab:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.vocab))
        if self.pattern == ID_PATTERN:
            parts.append(f"{self.min_length}–{self.max_length} characters of A–Z a–z 0–9 _ -")
        elif self.max_length is not None:
            parts.append(f"at most {self.max_length} characters")
        if self.type == "date":
            parts.append("date `YYYY-MM-DD`")
        if self.type == "bool":
            parts.append("`true/false`, `yes/no` or `1/0`")
        if self.min_value is not None and self.max_value is not None:
            parts.append(f"{_num(self.min_value)}–{_num(self.max_value)}")
        elif self.min_value is not None:
            parts.append(f"≥ {_num(self.min_value)}")
        if self.unique:
            parts.append("unique")
        if self.references:
            parts.append(f"must exist in `{self.references}`")
        if self.free_text:
            parts.append("free text, checked by the anonymisation gate")
        if self.default is not None:
            parts.append(f"missing = `{self.default_sql}`")
        return "; ".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class RowRule:
    """A rule that compares columns of one row (e.g. ``closed_on ≥ opened_on``).

    ``sql`` is a DuckDB boolean expression over the typed columns that is TRUE when the row
    breaks the rule; it is only evaluated on rows whose own values passed their column rules.
    """

    name: str
    columns: tuple[str, ...]
    sql: str
    message: str
    fix: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    required: bool = False
    row_rules: tuple[RowRule, ...] = ()
    unique_together: tuple[str, ...] = ()
    belongs_to: Literal["case", "programme", "package"] = "package"
    key_value: bool = False
    keys: tuple[tuple[str, bool, str], ...] = field(default=())  # (key, required, meaning)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _id(
    name: str,
    doc: str,
    *,
    unique: bool = False,
    references: str | None = None,
    max_length: int = 40,
) -> Column:
    return Column(
        name,
        "text",
        True,
        doc,
        pattern=ID_PATTERN,
        min_length=1,
        max_length=max_length,
        unique=unique,
        references=references,
    )


def _vocab(name: str, values: str, doc: str = "", *, required: bool = True) -> Column:
    return Column(name, "vocab", required, doc, vocab=tuple(values.split()))


def _date(name: str, doc: str = "", *, required: bool = True, future: bool = False) -> Column:
    return Column(name, "date", required, doc, may_follow_data_as_of=future)


CASE_REF = _id("case_ref", "pseudonym of the case", references="cases.case_ref", max_length=64)
PROGRAMME_REF = _id("programme_id", "programme", references="programmes.programme_id")

CLOSURE_REASONS = (
    "goals_achieved planned_transfer client_withdrew lost_contact mandate_ended re_engaged "
    "moved_away died other"
)

TABLES: tuple[Table, ...] = (
    Table(
        "about",
        "Key/value rows describing the package.",
        (
            Column("key", "text", True, "one of the keys below", max_length=40),
            Column("value", "text", True, "the key's value", max_length=200, free_text=True),
        ),
        required=True,
        key_value=True,
        keys=(
            ("organisation", True, "name of the submitting organisation"),
            ("data_as_of", True, "date the export was taken; no date in the package may be later"),
            ("source_system", False, "name of the case-management system it came from"),
        ),
    ),
    Table(
        "programmes",
        "One row per programme in the package.",
        (
            _id("programme_id", "identifier of the programme", unique=True),
            Column(
                "programme_name",
                "text",
                True,
                "name of the programme",
                max_length=200,
                free_text=True,
            ),
            Column(
                "country",
                "vocab",
                True,
                "country the programme runs in (ISO 3166-1 alpha-2, e.g. `DE`)",
                vocab=COUNTRY_CODES,
            ),
            _vocab("intervention_type", "stand_alone_exit exit_support family_support"),
            _vocab("setting", "open criminal_justice both"),
            _date("started_on", "day the programme started"),
            _date("ends_on", "day the programme ends", required=False, future=True),
        ),
        required=True,
        row_rules=(
            RowRule(
                "ends_after_start",
                ("started_on", "ends_on"),
                "ends_on < started_on",
                "`ends_on` is before `started_on`",
                "make `ends_on` the same as or later than `started_on`",
            ),
        ),
    ),
    Table(
        "cases",
        "One row per case; pseudonymous.",
        (
            _id(
                "case_ref",
                "pseudonym of the case; stored only as a keyed hash",
                unique=True,
                max_length=64,
            ),
            PROGRAMME_REF,
            _vocab("client_type", "exit_participant relative friend professional"),
            _date(
                "first_request_on", "first request for help or referral received", required=False
            ),
            _date("opened_on", "case formally opened"),
            _date("plan_agreed_on", "intervention plan agreed", required=False),
            _date("closed_on", "case closed", required=False),
            _vocab(
                "closure_reason",
                CLOSURE_REASONS,
                "required exactly when `closed_on` is given",
                required=False,
            ),
            _vocab(
                "referral_source",
                "self family police prosecution court prison probation municipality school "
                "social_services youth_services health_services employer helpline other_cso "
                "online_outreach other unknown",
            ),
            _vocab("participation", "voluntary mandated unknown"),
            _vocab("setting_at_intake", "community pre_trial_detention prison probation unknown"),
            _vocab(
                "ideology",
                "right_wing islamist left_wing single_issue conspiracy mixed_unclear other unknown",
                "of the scene concerned",
            ),
            _vocab("gender", "female male diverse unknown"),
            _vocab("age_band", "under_18 18_24 25_34 35_44 45_plus unknown"),
            Column("returnee", "bool", False, "returning foreign fighter", default=False),
            _vocab("risk_at_intake", "low medium high not_assessed"),
            Column(
                "region",
                "text",
                False,
                "NUTS code, e.g. `DE30` (pages and reports show its name, Berlin)",
                max_length=10,
                free_text=True,
            ),
        ),
        required=True,
        belongs_to="case",
        row_rules=(
            RowRule(
                "request_before_opening",
                ("first_request_on", "opened_on"),
                "first_request_on > opened_on",
                "`first_request_on` is after `opened_on`",
                "make `first_request_on` the same as or earlier than `opened_on`",
            ),
            RowRule(
                "plan_after_opening",
                ("plan_agreed_on", "opened_on"),
                "plan_agreed_on < opened_on",
                "`plan_agreed_on` is before `opened_on`",
                "make `plan_agreed_on` the same as or later than `opened_on`",
            ),
            RowRule(
                "closed_after_opening",
                ("closed_on", "opened_on"),
                "closed_on < opened_on",
                "`closed_on` is before `opened_on`",
                "make `closed_on` the same as or later than `opened_on`",
            ),
            RowRule(
                "reason_without_closure",
                ("closure_reason", "closed_on"),
                "closure_reason IS NOT NULL AND closed_on IS NULL",
                "has a `closure_reason` but no `closed_on`",
                "add the closing date or remove the closure reason",
            ),
            RowRule(
                "closure_without_reason",
                ("closed_on", "closure_reason"),
                "closed_on IS NOT NULL AND closure_reason IS NULL",
                "has a `closed_on` but no `closure_reason`",
                "add the reason the case was closed",
            ),
        ),
    ),
    Table(
        "contacts",
        "One row per session or contact.",
        (
            CASE_REF,
            _date("contact_on", "day of the contact"),
            Column(
                "minutes", "integer", True, "length of the contact", min_value=1, max_value=1440
            ),
            _vocab("mode", "in_person phone video chat email letter"),
            _vocab(
                "activity",
                "counselling mentoring motivational_interviewing "
                "biographical_work ideological_dialogue religious_mediation practical_support "
                "family_counselling group_session case_conference crisis_intervention other",
            ),
            _vocab(
                "staff_role",
                "social_worker psychologist former_extremist theologian educator "
                "case_manager other",
            ),
            _vocab("setting", "community prison probation online"),
        ),
        belongs_to="case",
    ),
    Table(
        "needs",
        "One row per identified need.",
        (
            CASE_REF,
            _vocab(
                "domain",
                "mental_health addiction cognitive_ideological housing education "
                "employment financial administrative relocation tattoo_removal social_network "
                "family safety_of_client risk_to_others",
            ),
            _date("identified_on", "day the need was identified"),
            _vocab("status", "open met partially_met unmet no_longer_relevant"),
            _date("status_on", "date of the latest status"),
        ),
        belongs_to="case",
        row_rules=(
            RowRule(
                "status_after_identified",
                ("status_on", "identified_on"),
                "status_on < identified_on",
                "`status_on` is before `identified_on`",
                "make `status_on` the same as or later than `identified_on`",
            ),
        ),
    ),
    Table(
        "referrals",
        "Referrals out to other services.",
        (
            CASE_REF,
            _date("referred_on", "day of the referral"),
            _vocab(
                "service",
                "mental_health addiction housing employment education welfare "
                "debt_advice legal other",
            ),
            _vocab("outcome", "pending taken_up declined unavailable"),
        ),
        belongs_to="case",
    ),
    Table(
        "custody_events",
        "Custody and probation events of a case.",
        (
            CASE_REF,
            _vocab("event", "entered_custody released probation_started probation_ended"),
            _date("event_on", "day of the event"),
        ),
        belongs_to="case",
    ),
    Table(
        "assessments",
        "Risk assessments after intake.",
        (
            CASE_REF,
            _date("assessed_on", "day of the assessment"),
            Column(
                "tool",
                "text",
                True,
                "name of the instrument, e.g. `VERA-2R`, `ERG22+`, `internal`",
                max_length=40,
                free_text=True,
            ),
            _vocab("risk_level", "low medium high"),
        ),
        belongs_to="case",
    ),
    Table(
        "outcomes",
        "Outcomes recorded for a case.",
        (
            CASE_REF,
            _vocab(
                "outcome",
                "disengaged stable_housing employment_or_education "
                "family_relations_improved situation_improved reoffended re_engaged",
            ),
            _date("recorded_on", "day the outcome was recorded"),
        ),
        belongs_to="case",
    ),
    Table(
        "capacity",
        "Training and knowledge work, per programme.",
        (
            PROGRAMME_REF,
            _date("held_on", "day of the activity"),
            _vocab(
                "activity",
                "training workshop network_meeting publication awareness_event consultation",
            ),
            _vocab(
                "audience",
                "prison_staff probation_staff police teachers social_workers "
                "youth_workers municipality health general_public other",
            ),
            Column("participants", "integer", True, "number of participants", min_value=0),
            Column("hours", "decimal", True, "length in hours", min_value=0),
        ),
        belongs_to="programme",
    ),
    Table(
        "funding",
        "Funding rows, per programme.",
        (
            PROGRAMME_REF,
            Column(
                "funder",
                "text",
                True,
                "funder's name (an organisation, never a person)",
                max_length=200,
                free_text=True,
            ),
            _vocab("funder_level", "municipal regional national eu private other"),
            _date("period_start", "first day the funding covers", future=True),
            _date(
                "period_end", "last day the funding covers (may lie after data_as_of)", future=True
            ),
            Column("amount_eur", "decimal", True, "amount in EUR", min_value=0),
            _vocab("basis", "flat_fee hours_billed per_case project_grant"),
        ),
        belongs_to="programme",
        row_rules=(
            RowRule(
                "funding_period_order",
                ("period_end", "period_start"),
                "period_end < period_start",
                "`period_end` is before `period_start`",
                "make `period_end` the same as or later than `period_start`",
            ),
        ),
    ),
    Table(
        "staffing",
        "One row per programme and quarter.",
        (
            PROGRAMME_REF,
            _date("quarter_start", "first day of a calendar quarter; unique per programme"),
            Column("headcount", "integer", True, "staff in the quarter", min_value=0),
            Column("fte", "decimal", True, "full-time equivalents", min_value=0),
            Column("leavers", "integer", True, "staff who left in the quarter", min_value=0),
            Column("former_extremists", "integer", False, "staff who are formers", min_value=0),
        ),
        belongs_to="programme",
        unique_together=("programme_id", "quarter_start"),
        row_rules=(
            RowRule(
                "quarter_start_day",
                ("quarter_start",),
                "NOT (day(quarter_start) = 1 AND month(quarter_start) IN (1, 4, 7, 10))",
                "`quarter_start` is not the first day of a calendar quarter",
                "use 1 January, 1 April, 1 July or 1 October",
            ),
        ),
    ),
    Table(
        "targets",
        "Targets agreed with a funder (optional).",
        (
            PROGRAMME_REF,
            Column(
                "indicator_id", "vocab", True, "an indicator of the catalogue", vocab=CATALOGUE_IDS
            ),
            _date("period_start", "first day of the target period", future=True),
            _date("period_end", "last day of the target period", future=True),
            Column("target", "decimal", True, "in the indicator's unit (proportions as 0–1)"),
            Column("baseline", "decimal", False, "baseline in the same unit"),
        ),
        belongs_to="programme",
        row_rules=(
            RowRule(
                "target_period_order",
                ("period_end", "period_start"),
                "period_end < period_start",
                "`period_end` is before `period_start`",
                "make `period_end` the same as or later than `period_start`",
            ),
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
REQUIRED_TABLES = tuple(t.name for t in TABLES if t.required)
ABOUT_KEYS = {k: (req, doc) for k, req, doc in TABLES_BY_NAME["about"].keys}

# Sheets the blank template workbook carries besides the tables; recognised and never read.
TEMPLATE_HELPER_SHEETS = ("instructions", "lists")

# Column names that suggest a direct identifier (the anonymisation gate). Matched against the
# normalised name's tokens and the whole name; profiles add names in other languages.
IDENTIFIER_NAMES: tuple[str, ...] = (
    "name",
    "names",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "surname",
    "full_name",
    "fullname",
    "given_name",
    "family_name",
    "forename",
    "email",
    "e_mail",
    "mail",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "address",
    "street",
    "postcode",
    "post_code",
    "zip",
    "zipcode",
    "zip_code",
    "postal_code",
    "birth",
    "birthday",
    "birthdate",
    "birth_date",
    "date_of_birth",
    "dob",
    "passport",
    "national_id",
    "nationalid",
    "id_number",
    "id_card",
    "social_security",
    "ssn",
    "insurance_number",
    "iban",
    "bic",
    "account_number",
    "ip",
    "ip_address",
    "ipaddress",
    "notes",
    "note",
    "comment",
    "comments",
    "remarks",
    "remark",
    "free_text",
    "description",
)
