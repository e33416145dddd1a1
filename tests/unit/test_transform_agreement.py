"""The SQL that ingest runs column-wise agrees with the pure-Python reference, row by row.

`joinedup.records.transform_sql` compiles mappings and validation to DuckDB SQL for speed;
`joinedup.domain.mapping` and `joinedup.domain.validation` define what they mean. Hypothesis
generates awkward rows (blanks, separators, near-miss identifiers, odd dates, U+FFFD) and
every typed value and problem code must come out the same.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pyarrow as pa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joinedup.domain.core_format import core_format, identifier_scheme
from joinedup.domain.mapping import apply_mapping
from joinedup.domain.mapping_spec import parse_mapping
from joinedup.domain.validation import check_record
from joinedup.records.transform_sql import Transform

AS_OF = dt.date(2025, 3, 31)
FMT = core_format(1)
MAPPING = parse_mapping(
    yaml.safe_load(
        """
fields:
  local_id: {column: id}
  family_name: {column: name, split_name: family}
  given_name: {column: name, split_name: given}
  middle_names: {column: name, split_name: middle}
  previous_family_names: {column: prev, strip: false}
  date_of_birth: {column: dob, date_format: ["%d/%m/%Y", "%Y-%m-%d"]}
  start_date: {column: start}
  end_date: {column: end}
  sex: {column: sex, lookup: {M: male, F: female, "?": unknown}}
  postcode: {column: addr, extract: postcode}
  address_line_1: {column: addr, extract: address_line_1}
  address_line_2: {column: addr, extract: address_line_2}
  address_line_3: {column: addr, extract: address_line_3}
  address_line_4: {column: addr, extract: address_line_4}
  uprn: {column: uprn}
  nhs_number: {column: nhs}
  upn: {column: upn}
  uln: {column: uln}
  ni_number: {column: ni}
  email: {column: email}
  phone: {column: phone}
  involvement_type: {column: inv}
  rag: {column: rag}
  episode_status: {constant: open}
  service: {constant: "Team"}
  reason_codes: {column: codes, split: ";", lookup: {A: N1}}
  outcome_codes: {column: codes2}
  note: {columns: [n1, n2], separator: " / "}
  lead_practitioner: {column: lead}
  "identifier:X": {column: id}
"""
    )
)
COLUMNS = [
    "id", "name", "prev", "dob", "start", "end", "sex", "addr", "uprn", "nhs", "upn", "uln",
    "ni", "email", "phone", "inv", "rag", "codes", "codes2", "n1", "n2", "lead", "extra",
]  # fmt: skip

words = st.text(alphabet="abcXYZéß' -,\t\ufffd", max_size=14)
digits = st.text(alphabet="0123456789 -", max_size=13)
dates = st.one_of(
    st.dates(dt.date(1890, 1, 1), dt.date(2040, 12, 31)).map(lambda d: d.isoformat()),
    st.dates(dt.date(1890, 1, 1), dt.date(2040, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.text(alphabet="0123456789-/ T:", max_size=19),
)
postcodes = st.sampled_from(["FE8 2FJ", "fe15br", "SW1A 1AA", "FEI 23XA", "GIR 0AA", "AB1 2CD", ""])
addresses = st.builds(
    lambda a, b, p: f"{a}, {b} {p}",
    words,
    st.sampled_from(["Fenmoor", "", ",", "Town,"]),
    postcodes,
)
upns = st.one_of(
    st.sampled_from(["B801200005001", "A801200005001", "E000200005001", "b801 200005001"]),
    st.text(alphabet="ABCX0123456789 ", max_size=14),
)
nhs = st.one_of(st.sampled_from(["9434765919", "943 476 5919", "9434765918"]), digits)
ulns = st.one_of(st.sampled_from(["1234567899", "1234567898", "0234567899"]), digits)
nis = st.sampled_from(["AB123456C", "ab 12 34 56 c", "GB123456A", "AB123456E", "DA123456A", ""])
cell = st.one_of(st.none(), st.just(""), words)


def _row() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.one_of(st.none(), st.text(alphabet="ab1 ", max_size=5)),
            "name": cell,
            "prev": st.one_of(cell, st.just("  Jones  ")),
            "dob": st.one_of(st.none(), dates),
            "start": st.one_of(st.none(), dates),
            "end": st.one_of(st.none(), dates),
            "sex": st.one_of(st.none(), st.sampled_from(["M", "F", "?", "Female", "x", " m "])),
            "addr": st.one_of(st.none(), addresses),
            "uprn": st.one_of(st.none(), st.text(alphabet="0123456789a", max_size=14)),
            "nhs": st.one_of(st.none(), nhs),
            "upn": st.one_of(st.none(), upns),
            "uln": st.one_of(st.none(), ulns),
            "ni": st.one_of(st.none(), nis),
            "email": st.one_of(st.none(), st.sampled_from(["A@B.example", "a b@c.d", "x@y", ""])),
            "phone": st.one_of(
                st.none(),
                st.sampled_from(["+44 1632 960123", "01632 960123", "0044 20 7946 0000", "12345"]),
            ),
            "inv": st.one_of(
                st.none(), st.sampled_from(["Child in need", "child-protection", "CIN", "other"])
            ),
            "rag": st.one_of(st.none(), st.sampled_from(["Red", "AMBER", "g", "green "])),
            "codes": st.one_of(st.none(), st.text(alphabet="AN5; _-!", max_size=12)),
            "codes2": st.one_of(st.none(), st.text(alphabet="RC4;x y", max_size=10)),
            "n1": cell,
            "n2": cell,
            "lead": st.one_of(cell, st.just("x" * 300)),
            "extra": cell,
        }
    )


def _python(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    received = apply_mapping(MAPPING, row, COLUMNS)
    attributes = received.pop("attributes", None)
    formats = {r.target: r.date_format for r in MAPPING.rules if r.date_format}
    checked = check_record(FMT, received, as_of=AS_OF, date_formats=formats)
    typed: dict[str, Any] = {}
    for name, value in checked.typed.items():
        if name == "local_id":
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        typed[name] = value
    return typed, checked.problems, {"attributes": attributes, "local_id": received["local_id"]}


def _sql(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    transform = Transform(MAPPING, COLUMNS, FMT, AS_OF)
    arrays = [pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS]
    batch = pa.RecordBatch.from_arrays(arrays, names=[f"c{i}" for i in range(len(COLUMNS))])
    table = transform.prepare(batch, 1)
    con = duckdb.connect()
    con.register("src", table)
    out = con.sql(transform.sql(len(COLUMNS))).to_arrow_table().to_pylist()
    con.close()
    return sorted(out, key=lambda r: r["_row"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row(), min_size=1, max_size=25))
def test_sql_agrees_with_the_python_reference(rows: list[dict[str, Any]]) -> None:
    for row, sql in zip(rows, _sql(rows), strict=True):
        typed, problems, other = _python(row)
        assert sql["local_id"] == other["local_id"]
        sql_flags = json.loads(sql["quality_flags"]) if sql["quality_flags"] else {}
        assert sql_flags == problems, row
        identifiers = json.loads(sql["identifiers"]) if sql["identifiers"] else {}
        for name, value in typed.items():
            scheme = identifier_scheme(name)
            if scheme is not None:
                assert identifiers.get(scheme) == value, (name, row)
                continue
            got = sql[name]
            if name in ("reason_codes", "outcome_codes") and got is not None:
                got = json.loads(got)
            assert got == value, (name, row)
        attrs = json.loads(sql["attributes"]) if sql["attributes"] else None
        assert attrs == other["attributes"]


def test_the_hash_ignores_mapping_order() -> None:
    row = {c: f"v{i}" for i, c in enumerate(COLUMNS)}
    reordered = parse_mapping({"fields": {r.target: _rule_doc(r) for r in reversed(MAPPING.rules)}})
    a = _sql([row])[0]
    transform = Transform(reordered, COLUMNS, FMT, AS_OF)
    con = duckdb.connect()
    batch = pa.RecordBatch.from_arrays(
        [pa.array([row[c]], pa.string()) for c in COLUMNS],
        names=[f"c{i}" for i in range(len(COLUMNS))],
    )
    con.register("src", transform.prepare(batch, 1))
    b = con.sql(transform.sql(len(COLUMNS))).to_arrow_table().to_pylist()[0]
    assert a["_hash"] == b["_hash"]
    assert json.loads(a["attributes"]) == {"extra": "v22"}
    changed = _sql([{**row, COLUMNS[3]: "other"}])[0]
    assert changed["_hash"] != a["_hash"]


def _rule_doc(rule: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key in ("column", "constant", "split_name", "extract", "split", "lookup_default"):
        if getattr(rule, key) is not None:
            doc[key] = getattr(rule, key)
    if rule.columns:
        doc["columns"] = list(rule.columns)
        doc["separator"] = rule.separator
    if rule.lookup:
        doc["lookup"] = dict(rule.lookup)
    if rule.date_format:
        doc["date_format"] = list(rule.date_format)
    if not rule.strip:
        doc["strip"] = False
    return doc
