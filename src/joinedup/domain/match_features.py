"""Match features: the normalised values the comparisons look at, derived from one record.

Every feature is a function of one source column, so the batch link computes each over the
*distinct* values of its column (a few thousand names, not millions of records) and joins the
result, and the online matcher calls the very same functions on one record: both paths see
identical features. `prepare_record` builds a whole feature record from core fields.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import jellyfish

from joinedup.domain.nicknames import NicknameTable

_NOT_LETTER = re.compile(r"[^A-Z]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9 ]")
_SPACES = re.compile(r"\s+")
_PREVIOUS_SEPARATORS = re.compile(r"[;,|/]")
SEXES = frozenset({"male", "female"})
IDENTIFIER_FIELDS = ("nhs_number", "upn", "uln", "ni_number")


def _ascii_upper(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def normalise_name(value: str | None) -> str | None:
    """Upper-case A-Z only: accents folded, spaces, hyphens and apostrophes dropped."""
    if value is None:
        return None
    out = _NOT_LETTER.sub("", _ascii_upper(value))
    return out or None


def phonetic(value: str | None) -> str | None:
    """A phonetic code (Metaphone) of a normalised name."""
    if not value:
        return None
    code = jellyfish.metaphone(value)
    return code or None


def given_features(raw: str | None, nicknames: NicknameTable) -> dict[str, Any]:
    """given_name, given_formal (sorted list), given_key (blocking) and given_ph."""
    name = normalise_name(raw)
    if name is None:
        return {"given_name": None, "given_formal": None, "given_key": None, "given_ph": None}
    # The first word decides nicknames ("Bill James" ~ "William"), the whole name the rest.
    first = normalise_name(_SPACES.split(raw.strip())[0]) if raw and raw.strip() else None
    formal = nicknames.formals(first or name) | {name}
    return {
        "given_name": name,
        "given_formal": sorted(formal),
        "given_key": nicknames.key(first or name),
        "given_ph": phonetic(name),
    }


def middle_features(raw: str | None) -> dict[str, Any]:
    """middle_first: the first middle name (people swap given and middle names)."""
    if raw is None or not raw.strip():
        return {"middle_first": None}
    return {"middle_first": normalise_name(_SPACES.split(raw.strip())[0])}


_NAME_PARTS = re.compile(r"[\s\-]+")


def _name_parts(raw: str) -> set[str]:
    """A name and, for double-barrelled or multi-word names, each part of it."""
    whole = normalise_name(raw)
    parts = {normalise_name(p) for p in _NAME_PARTS.split(raw.strip())}
    return {n for n in parts | {whole} if n}


def family_features(raw: str | None) -> dict[str, Any]:
    """family_name, its phonetic code family_ph, and family_parts: the name and each part
    of a double-barrelled name (Clark-Stanley is also Clark and Stanley)."""
    name = normalise_name(raw)
    parts = sorted(_name_parts(raw)) if raw and name else []
    return {"family_name": name, "family_ph": phonetic(name), "family_parts": parts}


def previous_names(raw: str | None) -> list[str]:
    """Previous family names (and their parts), normalised, separated by ; , | or /."""
    if raw is None:
        return []
    names: set[str] = set()
    for part in _PREVIOUS_SEPARATORS.split(raw):
        if part.strip():
            names |= _name_parts(part)
    return sorted(names)


def family_all(family_parts: list[str], previous: list[str]) -> list[str]:
    """Current and previous family names and their parts together (maiden names,
    step-family names, one half of a double-barrelled name)."""
    return sorted(set(previous) | set(family_parts))


def names_ph(given_ph: str | None, family_ph: str | None) -> str | None:
    """Both phonetic codes in sorted order: the same for swapped given and family names."""
    if not given_ph or not family_ph:
        return None
    return "|".join(sorted((given_ph, family_ph)))


def postcode_features(raw: str | None) -> dict[str, Any]:
    """postcode (no spaces), postcode_sector and postcode_district (outward code)."""
    if raw is None:
        return {"postcode": None, "postcode_sector": None, "postcode_district": None}
    pc = re.sub(r"[^A-Z0-9]", "", raw.upper())
    if len(pc) < 5:
        return {"postcode": None, "postcode_sector": None, "postcode_district": None}
    return {"postcode": pc, "postcode_sector": pc[:-2], "postcode_district": pc[:-3]}


_HAS_DIGIT = re.compile(r"\d")


def address_features(raw: str | None) -> dict[str, Any]:
    """address: the first address line, upper-case letters, digits and single spaces;
    address_number: its tokens holding digits (house and flat numbers), which must agree for
    two lines to be the same address (12 and 14 High Street are alike as strings)."""
    if raw is None:
        return {"address": None, "address_number": None}
    out = _SPACES.sub(" ", _NOT_ALNUM.sub(" ", _ascii_upper(raw))).strip()
    numbers = " ".join(t for t in out.split(" ") if _HAS_DIGIT.search(t))
    return {"address": out or None, "address_number": numbers or None}


def sex_feature(raw: str | None) -> str | None:
    """male or female; anything else (unknown, indeterminate) compares as missing."""
    return raw if raw in SEXES else None


def identifier_feature(raw: str | None) -> str | None:
    """An identifier without spaces, upper-case; invalid ones are already None upstream."""
    if raw is None:
        return None
    out = re.sub(r"\s+", "", raw).upper()
    return out or None


def dob_features(value: dt.date | None) -> dict[str, Any]:
    """dob, dob_str (YYYYMMDD, for one-character typos) and its parts, for blocking."""
    if value is None:
        return {"dob": None, "dob_str": None, "dob_y": None, "dob_m": None, "dob_d": None}
    return {
        "dob": value,
        "dob_str": value.strftime("%Y%m%d"),
        "dob_y": value.year,
        "dob_m": value.month,
        "dob_d": value.day,
    }


def prepare_record(record: Mapping[str, Any], nicknames: NicknameTable) -> dict[str, Any]:
    """The full feature record of one core record (the online path; batch builds the same)."""
    out: dict[str, Any] = {"unique_id": record.get("unique_id", 0)}
    out.update(given_features(record.get("given_name"), nicknames))
    out.update(middle_features(record.get("middle_names")))
    out.update(family_features(record.get("family_name")))
    out["family_all"] = family_all(
        out.pop("family_parts"), previous_names(record.get("previous_family_names"))
    )
    out["names_ph"] = names_ph(out["given_ph"], out["family_ph"])
    dob = record.get("date_of_birth")
    if isinstance(dob, str):
        dob = dt.date.fromisoformat(dob)
    out.update(dob_features(dob))
    out["sex"] = sex_feature(record.get("sex"))
    out.update(postcode_features(record.get("postcode")))
    out.update(address_features(record.get("address_line_1")))
    for name in IDENTIFIER_FIELDS:
        out[name] = identifier_feature(record.get(name))
    return out
