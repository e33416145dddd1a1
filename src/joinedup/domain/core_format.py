"""The common core record format: every partner extract is mapped onto it.

Defined once, here; `docs/data-definitions.md` is generated from these definitions, the
store's typed columns follow them, and validation reads their kinds and code lists.

The format is versioned. A dataset records the version its mapping targets; a later version
may add fields or codes but never removes or renames a field of an earlier one, so datasets
mapped to v1 keep loading unchanged (`FieldSpec.since` says which version brought a field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CURRENT_VERSION = 1

# Other identifiers arrive as `identifier:SCHEME` columns (e.g. `identifier:MOSAIC`).
IDENTIFIER_PREFIX = "identifier:"
_SCHEME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# Default separator of list fields (reason and outcome codes) in a file with no mapping.
LIST_SEPARATOR = ";"


class Kind(StrEnum):
    """How a field is validated and normalised (see `joinedup.domain.validation`)."""

    LOCAL_ID = "local_id"
    NAME = "name"  # a person's name: whitespace collapsed, length-limited
    TEXT = "text"  # short free text: whitespace collapsed, length-limited
    NOTE = "note"  # long free text: kept as given
    DATE = "date"
    CODE = "code"  # one value from a code list
    CODES = "codes"  # a list of short codes
    POSTCODE = "postcode"
    UPRN = "uprn"
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    ULN = "uln"
    NI_NUMBER = "ni_number"
    EMAIL = "email"
    PHONE = "phone"
    IDENTIFIER = "identifier"  # another organisation's identifier: short text


class Group(StrEnum):
    RECORD = "record"
    PERSON = "person"
    INVOLVEMENT = "involvement"


@dataclass(frozen=True)
class DateRange:
    """Plausible dates, relative to the day of ingest (`as_of`)."""

    min_years_before: int | None = None  # e.g. 120 for a date of birth
    max_years_after: int = 0  # 0: not after the day of ingest
    earliest_year: int | None = None  # an absolute floor (e.g. 1900)


@dataclass(frozen=True)
class FieldSpec:
    """One field of the core record format."""

    name: str
    group: Group
    kind: Kind
    description: str
    example: str = ""
    max_length: int | None = None
    codes: tuple[str, ...] = ()
    date_range: DateRange | None = None
    required: bool = False
    unique_expected: bool = False  # uniqueness is reported for these
    since: int = 1

    @property
    def is_list(self) -> bool:
        return self.kind is Kind.CODES


SEX_CODES = ("male", "female", "indeterminate", "unknown")
RAG_CODES = ("red", "amber", "green")
EPISODE_STATUS_CODES = ("open", "closed")
INVOLVEMENT_TYPE_CODES = (
    "referral",
    "assessment",
    "child_in_need",
    "child_protection",
    "looked_after",
    "early_help",
    "enrolment",
    "attendance_concern",
    "exclusion",
    "send_support",
    "registration",
    "episode",
    "care_package",
    "safeguarding_enquiry",
    "programme",
    "tenancy",
    "homelessness",
    "other",
)

_DOB = DateRange(min_years_before=120, max_years_after=0)
_EPISODE_START = DateRange(earliest_year=1900, max_years_after=1)
_EPISODE_END = DateRange(earliest_year=1900, max_years_after=10)

_P, _I, _R = Group.PERSON, Group.INVOLVEMENT, Group.RECORD

V1_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "local_id",
        _R,
        Kind.LOCAL_ID,
        "The record's identifier in the partner's own system; unique within the dataset. "
        "A row without one cannot be used and is quarantined.",
        "133951",
        max_length=255,
        required=True,
        unique_expected=True,
    ),
    FieldSpec("given_name", _P, Kind.NAME, "First given name.", "Amelia", max_length=255),
    FieldSpec("middle_names", _P, Kind.NAME, "Other given names, space-separated.", "Rose", 255),
    FieldSpec("family_name", _P, Kind.NAME, "Family name (surname).", "Smith", 255),
    FieldSpec(
        "previous_family_names",
        _P,
        Kind.NAME,
        "Earlier family names (e.g. a birth name), `;`-separated.",
        "Jones",
        512,
    ),
    FieldSpec(
        "date_of_birth",
        _P,
        Kind.DATE,
        "Date of birth (ISO `YYYY-MM-DD`); not in the future, age at most 120.",
        "2012-03-04",
        date_range=_DOB,
    ),
    FieldSpec("sex", _P, Kind.CODE, "Sex.", "female", codes=SEX_CODES),
    FieldSpec(
        "address_line_1",
        _P,
        Kind.TEXT,
        "First address line (number and street).",
        "4 Abbey Lane",
        255,
    ),
    FieldSpec("address_line_2", _P, Kind.TEXT, "Second address line.", "Westbury", 255),
    FieldSpec(
        "address_line_3", _P, Kind.TEXT, "Third address line (often the town).", "Fenmoor", 255
    ),
    FieldSpec("address_line_4", _P, Kind.TEXT, "Fourth address line (the rest).", "", 255),
    FieldSpec(
        "postcode",
        _P,
        Kind.POSTCODE,
        "UK postcode, normalised to upper case with one space (`FE8 2FJ`).",
        "FE8 2FJ",
        16,
    ),
    FieldSpec(
        "uprn", _P, Kind.UPRN, "Unique Property Reference Number (1–12 digits).", "100012345678", 16
    ),
    FieldSpec(
        "nhs_number",
        _P,
        Kind.NHS_NUMBER,
        "NHS number: 10 digits, modulus 11 check digit (spaces allowed on input).",
        "9434765919",
        16,
        unique_expected=True,
    ),
    FieldSpec(
        "upn",
        _P,
        Kind.UPN,
        "Unique Pupil Number: check letter, LA number, 9 more characters.",
        "B801200005001",
        16,
        unique_expected=True,
    ),
    FieldSpec(
        "uln",
        _P,
        Kind.ULN,
        "Unique Learner Number: 10 digits, first not 0, weighted sum 10 mod 11.",
        "1234567899",
        16,
        unique_expected=True,
    ),
    FieldSpec(
        "ni_number",
        _P,
        Kind.NI_NUMBER,
        "National Insurance number: two prefix letters, six digits, suffix A–D.",
        "AB123456C",
        16,
        unique_expected=True,
    ),
    FieldSpec("email", _P, Kind.EMAIL, "The person's e-mail address.", "a.smith@mail.example", 255),
    FieldSpec(
        "phone",
        _P,
        Kind.PHONE,
        "The person's UK phone number (normalised to digits).",
        "01632960123",
        64,
    ),
    FieldSpec(
        "service",
        _I,
        Kind.TEXT,
        "The service (team, school, clinic, programme) holding the involvement.",
        "Children in Care Team",
        255,
    ),
    FieldSpec(
        "involvement_type",
        _I,
        Kind.CODE,
        "What kind of involvement this is.",
        "child_in_need",
        codes=INVOLVEMENT_TYPE_CODES,
    ),
    FieldSpec(
        "start_date",
        _I,
        Kind.DATE,
        "When the involvement started (ISO); from 1900, at most a year ahead.",
        "2024-09-25",
        date_range=_EPISODE_START,
    ),
    FieldSpec(
        "end_date",
        _I,
        Kind.DATE,
        "When it ended or is planned to end (ISO); not before the start date.",
        "",
        date_range=_EPISODE_END,
    ),
    FieldSpec(
        "episode_status",
        _I,
        Kind.CODE,
        "Whether the involvement is open.",
        "open",
        codes=EPISODE_STATUS_CODES,
    ),
    FieldSpec("rag", _I, Kind.CODE, "Red / amber / green rating.", "amber", codes=RAG_CODES),
    FieldSpec(
        "lead_practitioner", _I, Kind.TEXT, "The lead practitioner's name.", "Ann Pickering", 255
    ),
    FieldSpec(
        "lead_contact",
        _I,
        Kind.TEXT,
        "How to reach the lead practitioner (e-mail or phone).",
        "ann.pickering@council.example",
        255,
    ),
    FieldSpec(
        "reason_codes",
        _I,
        Kind.CODES,
        "Why the service is involved: short codes (letters, digits, `-`, `_`), `;`-separated.",
        "N5;8F",
        32,
    ),
    FieldSpec(
        "outcome_codes",
        _I,
        Kind.CODES,
        "Outcomes so far, as short codes, `;`-separated.",
        "RC4",
        32,
    ),
    FieldSpec("note", _I, Kind.NOTE, "Free-text note, kept exactly as given.", "Child seen alone."),
)


@dataclass(frozen=True)
class CoreFormat:
    """One version of the core record format."""

    version: int
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def is_target(self, name: str) -> bool:
        """Whether `name` can be mapped onto: a field or an `identifier:SCHEME`."""
        return self.has(name) or identifier_scheme(name) is not None


IDENTIFIER_SPEC = FieldSpec(
    "identifier:SCHEME",
    Group.PERSON,
    Kind.IDENTIFIER,
    "Another identifier of the person under a named scheme (e.g. `identifier:MOSAIC` for a "
    "council's case management system); stored as `{scheme: value}`.",
    "133951",
    max_length=255,
)

FORMATS: dict[int, CoreFormat] = {1: CoreFormat(1, V1_FIELDS)}


class UnknownFormatVersion(ValueError):
    """A mapping or dataset names a core format version this release does not know."""


def core_format(version: int = CURRENT_VERSION) -> CoreFormat:
    """The core record format of `version`."""
    try:
        return FORMATS[version]
    except KeyError:
        known = ", ".join(str(v) for v in sorted(FORMATS))
        raise UnknownFormatVersion(
            f"core record format version {version!r} is not known (known: {known})"
        ) from None


def identifier_scheme(name: str) -> str | None:
    """The scheme of an `identifier:SCHEME` field name, or None when it is not one."""
    if not name.startswith(IDENTIFIER_PREFIX):
        return None
    scheme = name[len(IDENTIFIER_PREFIX) :]
    return scheme if _SCHEME_RE.fullmatch(scheme) else None


def spec_for(fmt: CoreFormat, name: str) -> FieldSpec:
    """The spec of a field or of an `identifier:SCHEME` target."""
    if identifier_scheme(name) is not None:
        return IDENTIFIER_SPEC
    return fmt.field(name)
