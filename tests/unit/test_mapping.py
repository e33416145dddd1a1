"""Mapping files: parsing with clear errors, and the reference transforms."""

from __future__ import annotations

import pytest
import yaml

from joinedup.domain.core_format import core_format
from joinedup.domain.mapping import apply_mapping, extract, split_name
from joinedup.domain.mapping_spec import MappingError, identity_mapping, parse_mapping

DOC = """
format_version: 1
dataset: {name: Case list}
source: {format: csv, delimiter: "|", encoding: cp1252, header_row: 2}
fields:
  local_id: {column: "Case Ref"}
  family_name: {column: "Client Name", split_name: family}
  given_name: {column: "Client Name", split_name: given}
  middle_names: {column: "Client Name", split_name: middle}
  date_of_birth: {column: DOB, date_format: ["%d/%m/%Y", "%Y-%m-%d"]}
  sex: {column: Gender, lookup: {M: male, F: female}, lookup_default: unknown}
  postcode: {column: Address, extract: postcode}
  address_line_1: {column: Address, extract: address_line_1}
  address_line_4: {column: Address, extract: address_line_4}
  service: {constant: "Children's social care"}
  note: {columns: ["Note 1", "Note 2"], separator: " / "}
  reason_codes: {column: Needs, split: ";", lookup: {A: N1}}
  "identifier:MOSAIC": {column: "Case Ref"}
"""


def spec():  # type: ignore[no-untyped-def]
    return parse_mapping(yaml.safe_load(DOC))


def test_a_full_mapping_parses() -> None:
    s = spec()
    assert s.dataset_name == "Case list"
    assert s.source.delimiter == "|" and s.source.header_row == 2
    assert s.rule("date_of_birth").date_format == ("%d/%m/%Y", "%Y-%m-%d")  # type: ignore[union-attr]
    assert s.source_columns == {
        "Case Ref",
        "Client Name",
        "DOB",
        "Gender",
        "Address",
        "Note 1",
        "Note 2",
        "Needs",
    }


def test_apply_mapping_runs_every_transform() -> None:
    row = {
        "Case Ref": " 133951 ",
        "Client Name": "SMITH, Amelia Rose Jane",
        "DOB": "04/03/2012",
        "Gender": "X",
        "Address": "4 Abbey Lane, Westbury, Fenmoor, Somewhere, FE8 2FJ",
        "Note 1": "first",
        "Note 2": "",
        "Needs": "A; N5 ;",
        "Extra": " kept ",
    }
    out = apply_mapping(spec(), row, [*row])
    assert out["local_id"] == "133951"
    assert (out["family_name"], out["given_name"], out["middle_names"]) == (
        "SMITH",
        "Amelia",
        "Rose Jane",
    )
    assert out["date_of_birth"] == "04/03/2012"  # parsed later, by validation
    assert out["sex"] == "unknown"
    assert out["postcode"] == "FE8 2FJ"
    assert out["address_line_1"] == "4 Abbey Lane"
    assert out["address_line_4"] == "Somewhere"
    assert out["service"] == "Children's social care"
    assert out["note"] == "first"
    assert out["reason_codes"] == ["N1", "N5"]
    assert out["identifier:MOSAIC"] == "133951"
    assert out["attributes"] == {"Extra": "kept"}


@pytest.mark.parametrize(
    ("name", "family", "given", "middle"),
    [
        ("SMITH, John", "SMITH", "John", None),
        ("Smith,John Paul", "Smith", "John", "Paul"),
        ("John Paul Smith", "Smith", "John", "Paul"),
        ("Cher", "Cher", None, None),
        ("O'BRIEN-JONES, Mary", "O'BRIEN-JONES", "Mary", None),
    ],
)
def test_split_name(name: str, family: str, given: str | None, middle: str | None) -> None:
    assert split_name(name, "family") == family
    assert split_name(name, "given") == given
    assert split_name(name, "middle") == middle


def test_extract_takes_the_last_postcode_and_splits_lines() -> None:
    text = "2 CEDAR STREET, FENMOOR, fe9 4fj"
    assert extract(text, "postcode") == "fe9 4fj"
    assert extract(text, "address_line_2") == "FENMOOR"
    assert extract(text, "address_line_3") is None
    assert extract("no postcode here", "postcode") is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"fields": {"local_id": {"colum": "x"}}}, "unknown option 'colum'"),
        ({"fields": {"given_name": {"column": "x"}}}, "local_id"),
        (
            {"fields": {"local_id": "id", "dob": {"column": "x"}}},
            "not a field of core record format v1",
        ),
        ({"fields": {"local_id": {"column": "a", "constant": "b"}}}, "exactly one of"),
        ({"format_version": 7, "fields": {"local_id": "id"}}, "version 7"),
        ({"fields": {"local_id": "id", "sex": {"column": "s", "lookup": {"yes": True}}}}, "yes/no"),
        (
            {"fields": {"local_id": "id", "given_name": {"column": "g", "date_format": "%d"}}},
            "not a date field",
        ),
        ({"fields": {"local_id": "id", "identifier:bad scheme": "x"}}, "identifier scheme"),
        ({"source": {"header_row": 0}, "fields": {"local_id": "id"}}, "header_row"),
        ({"fields": {"local_id": "id"}, "extra": 1}, "unknown top-level key"),
        ("just text", "YAML mapping"),
    ],
)
def test_mapping_errors_say_where(doc: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(doc)


def test_identity_mapping_picks_core_columns_only() -> None:
    s = identity_mapping(
        ["local_id", "family_name", "reason_codes", "identifier:NHSREF", "Extra"], core_format()
    )
    assert s.targets == ("local_id", "family_name", "reason_codes", "identifier:NHSREF")
    assert s.rule("reason_codes").split == ";"  # type: ignore[union-attr]
