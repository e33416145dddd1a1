"""Mappings: how a partner's extract maps onto the core record format (docs/mappings.md).

`parse_mapping` turns the parsed YAML document into a `MappingSpec`, refusing anything it
does not understand with a message that names the place (`fields.dob: unknown option
'fromat'`). `identity_mapping` is the mapping of a file whose columns already are core fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joinedup.domain.core_format import (
    CURRENT_VERSION,
    LIST_SEPARATOR,
    CoreFormat,
    Kind,
    UnknownFormatVersion,
    core_format,
    identifier_scheme,
)

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
SPLIT_NAME_PARTS = ("family", "given", "middle")
EXTRACTS = ("postcode", "address_line_1", "address_line_2", "address_line_3", "address_line_4")
_RULE_KEYS = {
    "column",
    "columns",
    "separator",
    "constant",
    "split_name",
    "extract",
    "split",
    "lookup",
    "lookup_default",
    "date_format",
    "strip",
}
_SOURCE_KEYS = {"format", "delimiter", "encoding", "sheet", "header_row", "quote"}
_TOP_KEYS = {"format_version", "dataset", "source", "fields"}


class MappingError(ValueError):
    """A mapping that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SourceOptions:
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    quote: str | None = None


@dataclass(frozen=True)
class FieldRule:
    """How one core field is made from a source row."""

    target: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    separator: str = " "
    constant: str | None = None
    split_name: str | None = None
    extract: str | None = None
    split: str | None = None
    lookup: tuple[tuple[str, str], ...] = ()
    lookup_default: str | None = None
    date_format: tuple[str, ...] = ()
    strip: bool = True

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        return self.columns


@dataclass(frozen=True)
class MappingSpec:
    format_version: int = CURRENT_VERSION
    dataset_name: str | None = None
    source: SourceOptions = field(default_factory=SourceOptions)
    rules: tuple[FieldRule, ...] = ()

    @property
    def source_columns(self) -> set[str]:
        return {c for rule in self.rules for c in rule.source_columns}

    def rule(self, target: str) -> FieldRule | None:
        for rule in self.rules:
            if rule.target == target:
                return rule
        return None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(r.target for r in self.rules)


def _text(value: Any, where: str) -> str:
    """A YAML scalar as text; booleans are refused (YAML reads `yes`/`no` as booleans)."""
    if isinstance(value, bool):
        raise MappingError(
            f"{where}: {value!r} was read as a yes/no value; put it in quotes, e.g. 'yes'"
        )
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise MappingError(f"{where}: expected text, got {type(value).__name__}")


def _rule(target: str, raw: Any, fmt: CoreFormat) -> FieldRule:
    where = f"fields.{target}"
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, Mapping):
        raise MappingError(f"{where}: expected a mapping such as {{column: NAME}}")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise MappingError(
            f"{where}: unknown option {sorted(unknown)[0]!r} "
            f"(options: {', '.join(sorted(_RULE_KEYS))})"
        )
    sources = [k for k in ("column", "columns", "constant") if k in raw]
    if len(sources) != 1:
        raise MappingError(f"{where}: give exactly one of column, columns or constant")
    column = _text(raw["column"], f"{where}.column") if "column" in raw else None
    columns: tuple[str, ...] = ()
    if "columns" in raw:
        if not isinstance(raw["columns"], list) or not raw["columns"]:
            raise MappingError(f"{where}.columns: expected a non-empty list of column names")
        columns = tuple(_text(c, f"{where}.columns") for c in raw["columns"])
    constant = _text(raw["constant"], f"{where}.constant") if "constant" in raw else None
    split_name = raw.get("split_name")
    if split_name is not None and split_name not in SPLIT_NAME_PARTS:
        raise MappingError(f"{where}.split_name: expected one of {', '.join(SPLIT_NAME_PARTS)}")
    extract = raw.get("extract")
    if extract is not None and extract not in EXTRACTS:
        raise MappingError(f"{where}.extract: expected one of {', '.join(EXTRACTS)}")
    if split_name is not None and extract is not None:
        raise MappingError(f"{where}: split_name and extract cannot be combined")
    lookup_raw = raw.get("lookup") or {}
    if not isinstance(lookup_raw, Mapping):
        raise MappingError(f"{where}.lookup: expected a mapping of source value -> core value")
    lookup = tuple(
        (_text(k, f"{where}.lookup"), _text(v, f"{where}.lookup.{k}"))
        for k, v in lookup_raw.items()
    )
    default = raw.get("lookup_default")
    date_format_raw = raw.get("date_format")
    if date_format_raw is None:
        date_format: tuple[str, ...] = ()
    elif isinstance(date_format_raw, str):
        date_format = (date_format_raw,)
    elif isinstance(date_format_raw, list) and date_format_raw:
        date_format = tuple(_text(f, f"{where}.date_format") for f in date_format_raw)
    else:
        raise MappingError(f"{where}.date_format: expected a format or a list of formats")
    spec_kind = fmt.field(target).kind if fmt.has(target) else Kind.IDENTIFIER
    if date_format and spec_kind is not Kind.DATE:
        raise MappingError(f"{where}.date_format: {target} is not a date field")
    split = raw.get("split")
    if split is not None:
        split = _text(split, f"{where}.split")
        if spec_kind is not Kind.CODES:
            raise MappingError(f"{where}.split: {target} is not a list field")
        if not split:
            raise MappingError(f"{where}.split: the separator cannot be empty")
    elif spec_kind is Kind.CODES:
        split = LIST_SEPARATOR
    strip = raw.get("strip", True)
    if not isinstance(strip, bool):
        raise MappingError(f"{where}.strip: expected true or false")
    return FieldRule(
        target=target,
        column=column,
        columns=columns,
        separator=_text(raw.get("separator", " "), f"{where}.separator"),
        constant=constant,
        split_name=split_name,
        extract=extract,
        split=split,
        lookup=lookup,
        lookup_default=None if default is None else _text(default, f"{where}.lookup_default"),
        date_format=date_format,
        strip=strip,
    )


def _source(raw: Any) -> SourceOptions:
    if raw is None:
        return SourceOptions()
    if not isinstance(raw, Mapping):
        raise MappingError("source: expected a mapping")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise MappingError(
            f"source: unknown option {sorted(unknown)[0]!r} (options: {', '.join(sorted(_SOURCE_KEYS))})"
        )
    fmt = raw.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise MappingError(f"source.format: expected one of {', '.join(FORMATS)}")
    delimiter = raw.get("delimiter")
    if delimiter is not None:
        delimiter = _text(delimiter, "source.delimiter")
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        if len(delimiter) != 1:
            raise MappingError("source.delimiter: expected one character")
    quote = raw.get("quote")
    if quote is not None and (not isinstance(quote, str) or len(quote) != 1):
        raise MappingError("source.quote: expected one character")
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise MappingError("source.header_row: expected a row number from 1")
    encoding = raw.get("encoding")
    sheet = raw.get("sheet")
    return SourceOptions(
        format=fmt,
        delimiter=delimiter,
        encoding=None if encoding is None else _text(encoding, "source.encoding"),
        sheet=None if sheet is None else _text(sheet, "source.sheet"),
        header_row=header_row,
        quote=quote,
    )


def parse_mapping(doc: Any) -> MappingSpec:
    """A `MappingSpec` from a parsed mapping document (raises `MappingError`)."""
    if not isinstance(doc, Mapping):
        raise MappingError("a mapping file must be a YAML mapping with a 'fields' section")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise MappingError(
            f"unknown top-level key {sorted(unknown)[0]!r} (keys: {', '.join(sorted(_TOP_KEYS))})"
        )
    version = doc.get("format_version", CURRENT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise MappingError("format_version: expected a whole number such as 1")
    try:
        fmt = core_format(version)
    except UnknownFormatVersion as exc:
        raise MappingError(f"format_version: {exc}") from None
    dataset = doc.get("dataset") or {}
    if not isinstance(dataset, Mapping):
        raise MappingError("dataset: expected a mapping such as {name: ...}")
    fields = doc.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        raise MappingError("fields: expected a mapping of core field -> source")
    rules = []
    for target, raw in fields.items():
        target = str(target)
        if not fmt.is_target(target):
            if target.startswith("identifier:"):
                raise MappingError(
                    f"fields.{target}: an identifier scheme is 1-64 letters, digits, '_', '.' or '-'"
                )
            raise MappingError(
                f"fields.{target}: not a field of core record format v{version} "
                f"(fields: {', '.join(fmt.names)}, or identifier:SCHEME)"
            )
        rules.append(_rule(target, raw, fmt))
    if not any(r.target == "local_id" for r in rules):
        raise MappingError("fields.local_id: every mapping must say where the local id comes from")
    name = dataset.get("name")
    return MappingSpec(
        format_version=version,
        dataset_name=None if name is None else _text(name, "dataset.name"),
        source=_source(doc.get("source")),
        rules=tuple(rules),
    )


def identity_mapping(columns: Sequence[str], fmt: CoreFormat) -> MappingSpec:
    """The mapping of a file whose columns are already core field names (ISO dates,
    `;`-separated lists, `identifier:SCHEME` columns); other columns become attributes."""
    rules = []
    taken: set[str] = set()
    for col in columns:
        # Core names are matched forgivingly (`Local_ID ` is local_id); the first column wins.
        name = col.strip().lower()
        scheme = identifier_scheme(col.strip())
        target = f"identifier:{scheme}" if scheme is not None else name
        if target in taken or not (fmt.has(target) or scheme is not None):
            continue
        taken.add(target)
        kind = fmt.field(target).kind if fmt.has(target) else Kind.IDENTIFIER
        split = LIST_SEPARATOR if kind is Kind.CODES else None
        rules.append(FieldRule(target=target, column=col, split=split))
    return MappingSpec(format_version=fmt.version, rules=tuple(rules))
