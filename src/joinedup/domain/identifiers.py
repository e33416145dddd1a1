"""UK identifiers and postcodes: check and normalise one value.

Each `check_*` function takes a value as received and returns `(normalised, None)` when it is
valid or `(None, problem)` when it is not, `problem` being one of the codes in
`joinedup.domain.validation.PROBLEMS`. NHS numbers and UPNs are checked with python-stdnum.

The ingest pipeline checks whole columns at once with equivalent SQL
(`joinedup.records.transform_sql`); a property test keeps the two in agreement.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.gb import nhs as _nhs
from stdnum.gb import upn as _upn

Checked = tuple[str | None, str | None]

# The letters of a UPN, in check-letter order (stdnum.gb.upn).
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"
# Local authority numbers a UPN may carry (stdnum.gb.upn's list).
UPN_LA_NUMBERS: frozenset[int] = frozenset(_upn._la_numbers)

# Royal Mail's postcode shape; spaces are removed before matching.
POSTCODE_RE = re.compile(
    r"(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})"
)
# A postcode inside free text (case-insensitive, any spacing), for `extract: postcode`.
POSTCODE_IN_TEXT_RE = re.compile(
    r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})\b", re.ASCII
)

NI_RE = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
NI_BAD_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})
EMAIL_RE = re.compile(r"[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+")
PHONE_RE = re.compile(r"0[0-9]{9,10}")
_PHONE_JUNK = re.compile(r"[ ()\t.\-]")
_DIGITS10 = re.compile(r"[0-9]{10}")
_ULN_RE = re.compile(r"[1-9][0-9]{9}")
_UPRN_RE = re.compile(r"[0-9]{1,12}")


def check_nhs_number(value: str) -> Checked:
    """An NHS number: 10 digits (spaces and hyphens allowed), modulus 11 check digit."""
    compact = _nhs.compact(value)
    if not _DIGITS10.fullmatch(compact):
        return None, "invalid_format"
    try:
        return _nhs.validate(compact), None
    except InvalidChecksum:
        return None, "invalid_check_digit"
    except ValidationError:
        return None, "invalid_format"


def check_upn(value: str) -> Checked:
    """A Unique Pupil Number (England), checked by stdnum: format, LA number, check letter."""
    try:
        return _upn.validate(value), None
    except InvalidChecksum:
        return None, "invalid_check_digit"
    except InvalidComponent:
        return None, "unknown_la_number"
    except ValidationError:
        return None, "invalid_format"


def uln_check_ok(digits: str) -> bool:
    """ULN rule: the digits weighted 10, 9, ..., 1 sum to 10 modulo 11."""
    return sum((10 - i) * int(d) for i, d in enumerate(digits)) % 11 == 10


def check_uln(value: str) -> Checked:
    """A Unique Learner Number: 10 digits, first not 0, weighted check (see `uln_check_ok`)."""
    compact = value.replace(" ", "")
    if not _ULN_RE.fullmatch(compact):
        return None, "invalid_format"
    if not uln_check_ok(compact):
        return None, "invalid_check_digit"
    return compact, None


def check_ni_number(value: str) -> Checked:
    """A National Insurance number: prefix letters, six digits, suffix A-D (spaces allowed)."""
    compact = re.sub(r"[ \t]", "", value).upper()
    if not NI_RE.fullmatch(compact) or compact[:2] in NI_BAD_PREFIXES:
        return None, "invalid_format"
    return compact, None


def check_postcode(value: str) -> Checked:
    """A UK postcode, normalised to upper case with one space before the inward code."""
    compact = re.sub(r"[ \t]", "", value).upper()
    if not POSTCODE_RE.fullmatch(compact):
        return None, "invalid_format"
    return f"{compact[:-3]} {compact[-3:]}", None


def check_uprn(value: str) -> Checked:
    """A Unique Property Reference Number: 1 to 12 digits, leading zeros dropped."""
    if not _UPRN_RE.fullmatch(value):
        return None, "invalid_format"
    return str(int(value)), None


def check_email(value: str) -> Checked:
    lowered = value.lower()
    if not EMAIL_RE.fullmatch(lowered):
        return None, "invalid_format"
    return lowered, None


def check_phone(value: str) -> Checked:
    """A UK phone number; +44 / 0044 become 0; punctuation and spaces are dropped."""
    compact = _PHONE_JUNK.sub("", value)
    if compact.startswith("+44"):
        compact = "0" + compact[3:]
    elif compact.startswith("0044"):
        compact = "0" + compact[4:]
    if not PHONE_RE.fullmatch(compact):
        return None, "invalid_format"
    return compact, None
