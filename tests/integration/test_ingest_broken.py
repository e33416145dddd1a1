"""The broken-file corpus (tests/data/broken/, plus large and binary files made here): each
gives a clear message, loads what can be loaded, and its counts add up. Nothing is lost:
what cannot be used is quarantined with the reason.

Each case: the file, an optional mapping, and either the error expected (nothing can be
loaded: the CLI exits non-zero) or the rows expected loaded and quarantined.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ingest_helpers import records, setup_org
from sqlalchemy import select

from joinedup.errors import InvalidInput
from joinedup.records.ingest import ingest_file
from joinedup.records.quarantine import list_quarantine
from joinedup.store.schema.records import SourceRecordVersion

CORPUS = Path(__file__).resolve().parent.parent / "data" / "broken"
AS_OF = dt.date(2025, 3, 31)
THREE_DATES = """
fields:
  local_id: local_id
  family_name: family_name
  date_of_birth: {column: date_of_birth, date_format: ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y"]}
"""


@dataclass
class Case:
    file: str
    error: str | None = None  # the whole file is refused with this message
    loaded: int = 0
    quarantined: int = 0
    mapping: str | None = None
    reasons: list[str] = field(default_factory=list)  # quarantine reasons expected
    flags: dict[str, dict[str, str]] = field(default_factory=dict)  # local_id -> flags
    warning: str | None = None


CASES = [
    Case("empty.csv", error="is empty"),
    Case("header_only.csv", loaded=0, quarantined=0),
    Case("blank_lines_only.csv", error="no header"),
    Case("binary_junk.csv", error="does not look like text"),
    Case("ragged_rows.csv", loaded=2, quarantined=2, reasons=["expected 6 fields, found 4", "expected 6 fields, found 8"]),
    Case("no_local_id_column.csv", error="no local_id column"),
    Case("no_local_id_column.csv", error="lacks column", mapping="fields: {local_id: {column: Case Ref}}"),
    Case("duplicate_local_ids.csv", loaded=2, quarantined=2, reasons=["duplicate local id", "duplicate local id"]),
    Case("blank_local_ids.csv", loaded=1, quarantined=2, reasons=["no local id", "no local id"]),
    Case("only_unusable_rows.csv", loaded=0, quarantined=2, reasons=["no local id", "no local id"]),
    Case("cp1252_undeclared.csv", loaded=1),
    Case("utf8_with_bad_bytes.csv", loaded=2, quarantined=1, reasons=["not valid UTF-8"]),
    Case("utf16_bom.csv", loaded=1),
    Case("utf16le_no_bom.csv", loaded=1),
    Case("semicolon_delimited.csv", loaded=1),
    Case("tab_delimited.tsv", loaded=1),
    Case("quoted_newlines.csv", loaded=2),
    Case("unbalanced_quote.csv", loaded=2, quarantined=1, reasons=["never closed"]),
    Case("ten_mb_fields.csv", loaded=2, flags={"BIG1": {"given_name": "too_long"}}),
    Case("formula_injection.csv", loaded=2),
    Case("html_and_sql.csv", loaded=1),
    Case("dates_three_formats.csv", loaded=3, flags={"R2": {"date_of_birth": "invalid_date"}, "R3": {"date_of_birth": "invalid_date"}}),
    Case("dates_three_formats.csv", loaded=3, mapping=THREE_DATES, flags={"R1": {}, "R2": {}, "R3": {}}),
    Case("implausible_dates.csv", loaded=4, flags={"P1": {"date_of_birth": "future_date"}, "P2": {"date_of_birth": "too_old"}, "P3": {"date_of_birth": "invalid_date"}, "P4": {}}),
    Case("invalid_identifiers.csv", loaded=3, flags={"I1": {"nhs_number": "invalid_check_digit"}, "I2": {"nhs_number": "invalid_format"}, "I3": {}}),
    Case("nul_bytes.csv", loaded=1),
    Case("cr_line_endings.csv", loaded=2),
    Case("messy_header.csv", loaded=1, warning="appears more than once"),
    Case("not_a_workbook.xlsx", error="not a readable Excel workbook"),
    Case("legacy_excel.xls", error="old Excel"),
    Case("truncated.parquet", error="not a readable Parquet file"),
    Case("mixed_lines.jsonl", loaded=2, quarantined=2, reasons=["not valid JSON", "must be an object"], flags={"J2": {"reason_codes": "invalid_code"}}),
    Case("long_local_id.csv", loaded=1, quarantined=1, reasons=["longer than 255"]),
]  # fmt: skip


def _generated(name: str, tmp: Path) -> Path | None:
    """The corpus files too big or too binary to commit, made at test time."""
    path = tmp / name
    if name == "binary_junk.csv":
        path.write_bytes(os.urandom(200_000))
    elif name == "ten_mb_fields.csv":
        big = "x" * (10 * 1024 * 1024)
        path.write_text(
            f"local_id,given_name,note\nBIG1,{big},short\nBIG2,Ann,{big}\n", encoding="utf-8"
        )
    else:
        return None
    return path


def test_the_corpus_has_at_least_25_distinct_broken_files() -> None:
    assert len({c.file for c in CASES}) >= 25


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.file}{'+mapping' if c.mapping else ''}" for c in CASES]
)
def test_broken_file(engine, tmp_path, case: Case) -> None:
    setup_org(engine)
    path = _generated(case.file, tmp_path) or CORPUS / case.file
    if case.error:
        with pytest.raises(InvalidInput) as exc:
            ingest_file(engine, "CSC", "cases", path, mapping=case.mapping, as_of=AS_OF)
        assert case.error in exc.value.message, exc.value.message
        assert case.file in exc.value.message or "column" in exc.value.message
        return
    report = ingest_file(engine, "CSC", "cases", path, mapping=case.mapping, as_of=AS_OF)
    assert report.rows_in == report.rows_loaded + report.rows_quarantined
    assert (report.rows_loaded, report.rows_quarantined) == (case.loaded, case.quarantined), report
    if case.loaded == 0:
        assert report.status == "failed" and report.message  # the CLI exits non-zero
    quarantined = list_quarantine(engine, "CSC", "cases")
    assert len(quarantined) == case.quarantined
    for row, expected in zip(quarantined, case.reasons, strict=True):
        assert expected in row.reason, row.reason
        assert row.raw or row.reason.startswith("no local id")  # raw content kept
    recs = records(engine)
    for local_id, flags in case.flags.items():
        assert (recs[local_id]["quality_flags"] or {}) == flags
    if case.warning:
        assert any(case.warning in w for w in report.warnings), report.warnings


def test_text_survives_exactly(engine) -> None:
    """Encodings decode right, formulas and markup are stored as received."""
    setup_org(engine)
    for name in (
        "cp1252_undeclared.csv",
        "utf16_bom.csv",
        "formula_injection.csv",
        "html_and_sql.csv",
        "quoted_newlines.csv",
        "nul_bytes.csv",
    ):
        ingest_file(engine, "CSC", "cases", CORPUS / name, as_of=AS_OF)
    recs = records(engine)
    assert (recs["W1"]["given_name"], recs["W1"]["family_name"], recs["W1"]["note"]) == (
        "Zoë",
        "Müller",
        "£5 – paid",
    )
    assert recs["S1"]["given_name"] == "Zoë"
    assert recs["F1"]["given_name"] == "=cmd|' /C calc'!A0" and recs["F2"]["note"] == "=1+1"
    assert recs["H1"]["family_name"] == "O'Brien'); DROP TABLE source_records;--"
    assert (
        recs["Q1"]["note"] == "line one\nline two, still note"
        and recs["Q2"]["note"] == 'He said "hi"'
    )
    assert recs["N1"]["note"] == "badbyte"


def test_a_ten_mb_value_is_kept_whole_in_the_version(engine, tmp_path) -> None:
    setup_org(engine)
    path = _generated("ten_mb_fields.csv", tmp_path)
    assert path is not None
    ingest_file(engine, "CSC", "cases", path, as_of=AS_OF)
    recs = records(engine)
    assert recs["BIG1"]["given_name"] is None and len(recs["BIG2"]["note"]) == 10 * 1024 * 1024
    with engine.connect() as conn:
        received = conn.scalar(
            select(SourceRecordVersion.received).where(
                SourceRecordVersion.source_record_id == recs["BIG1"]["id"]
            )
        )
    # Too long to store as a name: kept as received in the version.
    assert len(received["given_name"]) == 10 * 1024 * 1024
