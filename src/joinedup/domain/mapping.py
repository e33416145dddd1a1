"""Apply a mapping to one source row: the reference semantics of every transform.

Bulk ingest compiles the same transforms to SQL (`joinedup.records.transform_sql`) and runs
them column-wise; a property test checks that both give the same received record. The
transforms, in order: take the source (`column`, `columns` joined, or `constant`), strip
blanks, `split_name` / `extract`, `split` into a list, `lookup`. Dates are parsed later, by
validation, with the rule's `date_format`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from joinedup.domain.identifiers import POSTCODE_IN_TEXT_RE
from joinedup.domain.mapping_spec import FieldRule, MappingSpec
from joinedup.domain.validation import WHITESPACE

Received = str | list[str] | None
_NAME_SEPARATORS = " \t,"


def _clean(value: str | None, strip: bool = True) -> str | None:
    if value is None:
        return None
    text = value.strip(WHITESPACE) if strip else value
    return text if text.strip(WHITESPACE) else None


def _tokens(text: str, separators: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in separators:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current))
    return out


def split_name(value: str, part: str) -> str | None:
    """One part of a whole name: `SURNAME, Forename Middle` or `Forename Middle Surname`."""
    if "," in value:
        family_raw, rest = value.split(",", 1)
        family = family_raw.strip(WHITESPACE) or None
        words = _tokens(rest, _NAME_SEPARATORS)
        given = words[0] if words else None
        middle = " ".join(words[1:]) or None
    else:
        words = _tokens(value, " \t")
        family = words[-1] if words else None
        given = words[0] if len(words) > 1 else None
        middle = " ".join(words[1:-1]) or None
    return {"family": family, "given": given, "middle": middle}[part]


def extract(value: str, what: str) -> str | None:
    """The postcode in a free-text address, or one of its lines (commas separate lines;
    the fourth line takes everything left)."""
    if what == "postcode":
        found = [m.group(0) for m in POSTCODE_IN_TEXT_RE.finditer(value)]
        return found[-1] if found else None
    without = POSTCODE_IN_TEXT_RE.sub("", value)
    parts = [p.strip(WHITESPACE) for p in without.split(",")]
    parts = [p for p in parts if p]
    index = int(what[-1]) - 1
    if index < 3:
        return parts[index] if index < len(parts) else None
    return ", ".join(parts[3:]) or None


def apply_rule(rule: FieldRule, row: Mapping[str, str | None]) -> Received:
    """The received value of one core field from one source row."""
    value: str | None
    if rule.constant is not None:
        value = rule.constant
    elif rule.column is not None:
        value = _clean(row.get(rule.column), rule.strip)
    else:
        parts = [_clean(row.get(c), rule.strip) for c in rule.columns]
        value = rule.separator.join(p for p in parts if p is not None) or None
    if value is None:
        return None
    if rule.split_name is not None:
        value = split_name(value, rule.split_name)
    elif rule.extract is not None:
        value = extract(value, rule.extract)
    if value is None:
        return None
    lookup = dict(rule.lookup)
    if rule.split is not None:
        items = [i.strip(WHITESPACE) for i in value.split(rule.split)]
        items = [i for i in items if i]
        if lookup:
            items = [_look_up(i, lookup, rule.lookup_default) for i in items]
        return items or None
    if lookup:
        return _look_up(value, lookup, rule.lookup_default)
    return value


def _look_up(value: str, lookup: Mapping[str, str], default: str | None) -> str:
    if value in lookup:
        return lookup[value]
    return value if default is None else default


def apply_mapping(
    spec: MappingSpec, row: Mapping[str, str | None], columns: Sequence[str]
) -> dict[str, Received | dict[str, str]]:
    """The received core record of one row: mapped fields, and the unmapped columns' non-blank
    values under `attributes`."""
    out: dict[str, Received | dict[str, str]] = {}
    for rule in spec.rules:
        out[rule.target] = apply_rule(rule, row)
    used = spec.source_columns
    attributes = {}
    for col in columns:
        if col in used:
            continue
        value = _clean(row.get(col))
        if value is not None:
            attributes[col] = value
    if attributes:
        out["attributes"] = attributes
    return out
