"""What each detail level reveals of one source record: pure functions, no I/O.

The levels are ordered and each shows everything the one below it shows (see docs/api.md):

- `known_to`: the involvement — service, involvement type, start and end (to the month),
  episode status, lead practitioner and how to reach them; of the person, the names as
  recorded and the year of birth (enough to be sure it is the right person, not enough to
  find them).
- `rag`: + the RAG flag.
- `coded`: + coded reasons and outcomes; of the person, date of birth to the month, sex and
  the postcode district (the outward code).
- `full`: every field, dates to the day, the free-text note, the record's local id, address,
  identifiers (NHS number, UPN, ULN, NI number), phone and email, unmapped source columns.

Dates below `full` are given to the month (`2023-04`) on every level, so a higher level
never shows less than a lower one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joinedup.domain.levels import Detail

# Source record columns that describe the person (the rest describe the involvement).
PERSON_FIELDS: tuple[str, ...] = (
    "given_name",
    "middle_names",
    "family_name",
    "previous_family_names",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "address_line_4",
    "postcode",
    "uprn",
    "nhs_number",
    "upn",
    "uln",
    "ni_number",
    "email",
    "phone",
    "identifiers",
)
INVOLVEMENT_FIELDS: tuple[str, ...] = (
    "service",
    "involvement_type",
    "start_date",
    "end_date",
    "episode_status",
    "rag",
    "lead_practitioner",
    "lead_contact",
    "reason_codes",
    "outcome_codes",
    "note",
)
# Everything a `full` view shows of a record, in this order.
RECORD_FIELDS: tuple[str, ...] = ("local_id", *PERSON_FIELDS, *INVOLVEMENT_FIELDS, "attributes")
IDENTIFIER_FIELDS: tuple[str, ...] = ("nhs_number", "upn", "uln", "ni_number")


def date_at(value: dt.date | None, detail: Detail) -> str | None:
    """A date as the level may show it: to the day at `full`, to the month below."""
    if value is None:
        return None
    return value.isoformat() if detail >= Detail.FULL else value.strftime("%Y-%m")


def birth_date_at(value: dt.date | None, detail: Detail) -> str | None:
    """Date of birth: the year at known_to and rag, the month at coded, the day at full."""
    if value is None or detail < Detail.KNOWN_TO:
        return None
    if detail >= Detail.FULL:
        return value.isoformat()
    if detail >= Detail.CODED:
        return value.strftime("%Y-%m")
    return f"{value.year:04d}"


def postcode_district(postcode: str | None) -> str | None:
    """The outward code of a UK postcode (`LS1 4AP` -> `LS1`)."""
    if not postcode:
        return None
    compact = postcode.replace(" ", "").upper()
    if len(compact) < 5:
        return None
    return compact[:-3]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def involvement_fields(record: Mapping[str, Any], detail: Detail) -> dict[str, Any]:
    """The involvement as `detail` may show it; keys absent from a level are None."""
    if detail < Detail.KNOWN_TO:
        raise ValueError("nothing of a record is shown below known_to")
    codes = detail >= Detail.CODED
    return {
        "service": record.get("service"),
        "involvement_type": record.get("involvement_type"),
        "start": date_at(record.get("start_date"), detail),
        "end": date_at(record.get("end_date"), detail),
        "dates_precision": "day" if detail >= Detail.FULL else "month",
        "status": record.get("episode_status"),
        "lead_practitioner": record.get("lead_practitioner"),
        "lead_contact": record.get("lead_contact"),
        "rag": record.get("rag") if detail >= Detail.RAG else None,
        "reason_codes": list(record.get("reason_codes") or []) if codes else None,
        "outcome_codes": list(record.get("outcome_codes") or []) if codes else None,
        "note": record.get("note") if detail >= Detail.FULL else None,
        "record": (
            {name: _plain(record.get(name)) for name in RECORD_FIELDS}
            if detail >= Detail.FULL
            else None
        ),
    }


@dataclass(frozen=True)
class PersonName:
    given: str | None
    family: str | None
    middle: str | None = None  # full only
    previous_family: str | None = None  # full only


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    postcode: str | None
    uprn: str | None


@dataclass
class DemographicSummary:
    """Who the person is, from the records the requester may see, each at its own level.

    Lists hold the distinct values the sources give (a disagreement is shown, not hidden);
    `level` is the highest detail any source was seen at (`none` when nothing was).
    """

    level: str = Detail.NONE.label
    sources: int = 0
    names: list[PersonName] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    postcode_districts: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def _add(values: list[Any], value: Any) -> None:
    if value not in (None, "") and value not in values:
        values.append(value)


def _drop_implied(dates: list[str]) -> list[str]:
    """Drop `2012` when `2012-03` or `2012-03-04` is also known (it says nothing more)."""
    return [d for d in dates if not any(o != d and o.startswith(d + "-") for o in dates)]


def _drop_implied_names(names: list[PersonName]) -> list[PersonName]:
    """Drop a bare name when a fuller entry with the same given and family name exists."""
    fuller = {(n.given, n.family) for n in names if n.middle or n.previous_family}
    return [n for n in names if n.middle or n.previous_family or (n.given, n.family) not in fuller]


def summarise_demographics(
    records: Iterable[tuple[Mapping[str, Any], Detail]],
) -> DemographicSummary:
    """Combine what each visible record may show of the person into one summary."""
    summary = DemographicSummary()
    top = Detail.NONE
    for record, detail in records:
        if detail < Detail.KNOWN_TO:
            continue
        summary.sources += 1
        top = max(top, detail)
        full = detail >= Detail.FULL
        _add(
            summary.names,
            PersonName(
                record.get("given_name"),
                record.get("family_name"),
                record.get("middle_names") if full else None,
                record.get("previous_family_names") if full else None,
            ),
        )
        _add(summary.birth_dates, birth_date_at(record.get("date_of_birth"), detail))
        if detail >= Detail.CODED:
            _add(summary.sex, record.get("sex"))
            _add(summary.postcode_districts, postcode_district(record.get("postcode")))
        if full:
            lines = tuple(
                str(record[k])
                for k in ("address_line_1", "address_line_2", "address_line_3", "address_line_4")
                if record.get(k)
            )
            if lines or record.get("postcode"):
                _add(summary.addresses, Address(lines, record.get("postcode"), record.get("uprn")))
            for scheme in IDENTIFIER_FIELDS:
                if record.get(scheme):
                    _add(summary.identifiers.setdefault(scheme, []), record[scheme])
            for scheme, value in (record.get("identifiers") or {}).items():
                if value not in (None, ""):
                    _add(summary.identifiers.setdefault(str(scheme), []), str(value))
            _add(summary.phones, record.get("phone"))
            _add(summary.emails, record.get("email"))
    summary.level = top.label
    summary.names = _drop_implied_names([n for n in summary.names if n.given or n.family])
    summary.birth_dates = sorted(_drop_implied(summary.birth_dates))
    return summary
