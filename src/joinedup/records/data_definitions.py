"""Render docs/data-definitions.md from the core record format defined in code."""

from __future__ import annotations

from joinedup.domain.core_format import (
    FORMATS,
    IDENTIFIER_SPEC,
    LIST_SEPARATOR,
    FieldSpec,
    Group,
    Kind,
)
from joinedup.domain.validation import PROBLEMS

_KIND_RULES = {
    Kind.LOCAL_ID: "required; at most 255 characters; unique within the dataset",
    Kind.NAME: "whitespace collapsed",
    Kind.TEXT: "whitespace collapsed",
    Kind.NOTE: "kept exactly as given",
    Kind.DATE: "ISO `YYYY-MM-DD` (or the mapping's `date_format`)",
    Kind.CODE: "one code of the list (case, spaces and hyphens forgiven)",
    Kind.CODES: f"list of codes of 1–32 letters, digits, `-`, `_` (`{LIST_SEPARATOR}`-separated)",
    Kind.POSTCODE: "Royal Mail format; normalised `OUT IN`",
    Kind.UPRN: "1–12 digits",
    Kind.NHS_NUMBER: "10 digits, modulus 11 check digit (python-stdnum)",
    Kind.UPN: "13 characters, LA number, check letter (python-stdnum)",
    Kind.ULN: "10 digits, first not 0, weighted check",
    Kind.NI_NUMBER: "prefix letters, 6 digits, suffix A–D",
    Kind.EMAIL: "`name@domain.tld`; lower-cased",
    Kind.PHONE: "UK number, 10–11 digits starting 0 (+44 accepted)",
    Kind.IDENTIFIER: "at most 255 characters",
}


def _row(spec: FieldSpec) -> str:
    rules = _KIND_RULES[spec.kind]
    if spec.max_length and spec.kind in (Kind.NAME, Kind.TEXT, Kind.IDENTIFIER):
        rules += f"; at most {spec.max_length} characters"
    if spec.date_range is not None:
        rng = spec.date_range
        parts = []
        if rng.min_years_before:
            parts.append(f"not more than {rng.min_years_before} years ago")
        if rng.earliest_year:
            parts.append(f"from {rng.earliest_year}")
        parts.append(
            "not in the future"
            if rng.max_years_after == 0
            else f"at most {rng.max_years_after} year(s) ahead"
        )
        rules += "; " + ", ".join(parts)
    if spec.codes:
        rules += ": " + ", ".join(f"`{c}`" for c in spec.codes)
    example = f"`{spec.example}`" if spec.example else ""
    return f"| `{spec.name}` | {spec.kind.value} | {spec.description} | {rules} | {example} |"


def data_definitions() -> str:
    lines = [
        "# Data definitions: the core record format",
        "",
        "Generated from `joinedup.domain.core_format` by `scripts/generate_docs.py`; do not edit.",
        "",
        "Every partner extract is mapped onto this format ([mappings.md](mappings.md)); a file",
        "whose columns already carry these names (ISO dates, `;`-separated lists, a `local_id`",
        "column) loads without a mapping, and any other column is kept as an *attribute*.",
        "An invalid value is kept as received in the record's version, flagged with a problem",
        "code, and left out of the typed (matching) columns; it never stops the row.",
        "",
        "Versions: a later version may add fields and codes, never remove or rename one, so",
        "datasets mapped to an earlier version keep loading unchanged.",
        "",
    ]
    for version, fmt in sorted(FORMATS.items()):
        lines += [f"## Version {version}", ""]
        for group, title in (
            (Group.RECORD, "Record"),
            (Group.PERSON, "Person"),
            (Group.INVOLVEMENT, "Involvement (episode)"),
        ):
            lines += [
                f"### {title}",
                "",
                "| field | kind | meaning | rules | example |",
                "| --- | --- | --- | --- | --- |",
            ]
            lines += [_row(f) for f in fmt.fields if f.group is group]
            if group is Group.PERSON:
                lines.append(_row(IDENTIFIER_SPEC))
            lines.append("")
    lines += [
        "## Problem codes",
        "",
        "| code | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{code}` | {text} |" for code, text in PROBLEMS.items()]
    return "\n".join(lines) + "\n"
