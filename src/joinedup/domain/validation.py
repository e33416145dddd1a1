"""Validate and normalise core-record values, one value or one record at a time.

An invalid value is never fatal: it is kept as received (in the record's version), flagged
with a problem code, and left out of the typed matching columns. This module is the
reference; bulk ingest runs the same rules column-wise in SQL
(`joinedup.records.transform_sql`), and a property test keeps them in agreement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from joinedup.domain import identifiers as ids
from joinedup.domain.core_format import CoreFormat, FieldSpec, Kind, spec_for

# Problem codes, with the sentence a person reads in a data-quality report.
PROBLEMS: dict[str, str] = {
    "too_long": "longer than the field allows",
    "undecodable": "contains characters that could not be decoded (wrong file encoding?)",
    "invalid_format": "not in the expected format",
    "invalid_check_digit": "check digit does not match",
    "unknown_la_number": "local authority number is not one in use",
    "invalid_date": "not a date (or not in the mapping's date format)",
    "future_date": "in the future",
    "too_old": "implies an age over 120",
    "out_of_range": "outside the plausible range",
    "end_before_start": "before the start date",
    "not_in_code_list": "not one of the field's codes",
    "invalid_code": "a code that is not letters, digits, '-' or '_'",
}

WHITESPACE = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]+")
_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_CODE_SEP = re.compile(r"[ -]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00:00)?")
REPLACEMENT_CHAR = "\ufffd"

Typed = str | list[str] | dt.date | None


@dataclass(frozen=True)
class Checked:
    """A value after validation: `typed` is None whenever `problem` is set."""

    typed: Typed
    problem: str | None = None


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` moved by whole years (29 February becomes 28 February when needed)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def parse_date(value: str, formats: Sequence[str] = ()) -> dt.date | None:
    """A date from text: with `formats` (strptime codes) the first that parses wins;
    without, ISO `YYYY-MM-DD` (a midnight time part is allowed)."""
    if formats:
        for fmt in formats:
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        return None
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def check_date(spec: FieldSpec, value: str, as_of: dt.date, formats: Sequence[str] = ()) -> Checked:
    day = parse_date(value, formats)
    if day is None:
        return Checked(None, "invalid_date")
    rng = spec.date_range
    if rng is not None:
        if day > add_years(as_of, rng.max_years_after):
            return Checked(None, "future_date" if rng.max_years_after == 0 else "out_of_range")
        if rng.min_years_before is not None and day < add_years(as_of, -rng.min_years_before):
            return Checked(None, "too_old")
        if rng.earliest_year is not None and day < dt.date(rng.earliest_year, 1, 1):
            return Checked(None, "out_of_range")
    return Checked(day)


def collapse_whitespace(value: str) -> str:
    return _WS_RUN.sub(" ", value)


def normalise_code(value: str) -> str:
    """A code as compared with its code list: lower case, spaces and hyphens as `_`."""
    return _CODE_SEP.sub("_", value.lower())


def check_text(spec: FieldSpec, value: str) -> Checked:
    text = value if spec.kind is Kind.NOTE else collapse_whitespace(value)
    if REPLACEMENT_CHAR in value:
        return Checked(None, "undecodable")
    if spec.max_length is not None and len(text) > spec.max_length:
        return Checked(None, "too_long")
    return Checked(text)


def check_codes(values: Sequence[str]) -> Checked:
    good = [v for v in values if _CODE_RE.fullmatch(v)]
    if len(good) != len(values):
        return Checked(good or None, "invalid_code")
    return Checked(good or None)


_IDENTIFIER_CHECKS = {
    Kind.POSTCODE: ids.check_postcode,
    Kind.UPRN: ids.check_uprn,
    Kind.NHS_NUMBER: ids.check_nhs_number,
    Kind.UPN: ids.check_upn,
    Kind.ULN: ids.check_uln,
    Kind.NI_NUMBER: ids.check_ni_number,
    Kind.EMAIL: ids.check_email,
    Kind.PHONE: ids.check_phone,
}


def check_value(
    spec: FieldSpec,
    value: str | Sequence[str] | None,
    *,
    as_of: dt.date,
    date_formats: Sequence[str] = (),
) -> Checked:
    """Validate one received value of `spec` (None: missing, which is not a problem)."""
    if value is None:
        return Checked(None)
    if spec.kind is Kind.CODES:
        values = [value] if isinstance(value, str) else list(value)
        return check_codes(values) if values else Checked(None)
    if not isinstance(value, str):
        return Checked(None, "invalid_format")
    if spec.kind is Kind.DATE:
        return check_date(spec, value, as_of, date_formats)
    if spec.kind is Kind.CODE:
        code = normalise_code(value)
        return Checked(code) if code in spec.codes else Checked(None, "not_in_code_list")
    if spec.kind in _IDENTIFIER_CHECKS:
        typed, problem = _IDENTIFIER_CHECKS[spec.kind](value)
        return Checked(typed, problem)
    return check_text(spec, value)


@dataclass
class CheckedRecord:
    """A record after validation: typed values and {field: problem} for the invalid ones."""

    typed: dict[str, Typed] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def check_record(
    fmt: CoreFormat,
    received: Mapping[str, str | Sequence[str] | None],
    *,
    as_of: dt.date,
    date_formats: Mapping[str, Sequence[str]] | None = None,
) -> CheckedRecord:
    """Validate every field of a received record, then the cross-field rules."""
    out = CheckedRecord()
    formats = date_formats or {}
    for name, value in received.items():
        if name == "attributes":
            continue
        checked = check_value(
            spec_for(fmt, name), value, as_of=as_of, date_formats=formats.get(name, ())
        )
        out.typed[name] = checked.typed
        if checked.problem:
            out.problems[name] = checked.problem
    start, end = out.typed.get("start_date"), out.typed.get("end_date")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        out.typed["end_date"] = None
        out.problems["end_date"] = "end_before_start"
    return out


def describe(problem: str) -> str:
    """The sentence for a problem code."""
    return PROBLEMS.get(problem, problem.replace("_", " "))
