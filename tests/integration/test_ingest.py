"""Ingest on SQLite and PostgreSQL: extract semantics, formats, validation, counts."""

from __future__ import annotations

import datetime as dt
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import person, records, setup_org, versions, write_csv
from sqlalchemy import func, select

from joinedup.errors import InvalidInput, NotFound
from joinedup.records.datasets import add_dataset, list_datasets
from joinedup.records.ingest import ingest_file
from joinedup.records.quarantine import list_quarantine
from joinedup.store.schema.records import IngestBatch, SourceRecord, SourceRecordVersion

AS_OF = dt.date(2025, 3, 31)


def test_a_core_format_file_loads_without_a_mapping(engine, tmp_path) -> None:
    setup_org(engine)
    path = write_csv(
        tmp_path / "x.csv", [person(1), person(2, nhs_number="9434765918", Extra="kept")]
    )
    report = ingest_file(engine, "CSC", "cases", path, actor="tester", as_of=AS_OF)
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (2, 2, 0)
    assert report.status == "done" and report.rows_new == 2
    recs = records(engine)
    a, b = recs["L0001"], recs["L0002"]
    assert a["date_of_birth"] == dt.date(2012, 3, 4) and a["nhs_number"] == "9434765919"
    assert a["reason_codes"] == ["N1", "N5"] and a["quality_flags"] is None
    # The invalid NHS number is kept as received, flagged, and left out of matching.
    assert b["nhs_number"] is None and b["quality_flags"] == {"nhs_number": "invalid_check_digit"}
    assert b["attributes"] == {"Extra": "kept"}
    v = versions(engine, b["id"])
    assert v[0]["record"]["nhs_number"] == "9434765918" and v[0]["changed_by"] == "tester"
    assert [d.code for d in list_datasets(engine, "CSC")] == ["cases"]


def test_reingest_changes_nothing_and_a_change_is_a_new_version(engine, tmp_path) -> None:
    setup_org(engine)
    rows = [person(i) for i in range(1, 6)]
    path = write_csv(tmp_path / "a.csv", rows)
    ingest_file(engine, "CSC", "cases", path, as_of=AS_OF)
    again = ingest_file(engine, "CSC", "cases", path, as_of=AS_OF)
    assert again.status == "unchanged" and again.rows_unchanged == 5 and again.rows_new == 0
    rows[1]["family_name"] = "Jones"
    changed = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "b.csv", rows), as_of=AS_OF)
    assert (changed.rows_changed, changed.rows_unchanged) == (1, 4)
    rec = records(engine)["L0002"]
    assert rec["family_name"] == "Jones" and rec["version"] == 2
    hist = versions(engine, rec["id"])
    assert [v["change"] for v in hist] == ["new", "changed"]
    assert hist[0]["record"]["family_name"] == "Smith2"  # history kept


def test_full_snapshot_closes_missing_records_and_delta_does_not(engine, tmp_path) -> None:
    setup_org(engine)
    ingest_file(
        engine, "CSC", "cases", write_csv(tmp_path / "a.csv", [person(i) for i in range(1, 5)])
    )
    delta = ingest_file(
        engine, "CSC", "cases", write_csv(tmp_path / "d.csv", [person(1)]), snapshot="delta"
    )
    assert delta.rows_closed == 0
    full = ingest_file(
        engine,
        "CSC",
        "cases",
        write_csv(tmp_path / "f.csv", [person(1), person(2)]),
        snapshot="full",
    )
    assert full.rows_closed == 2
    recs = records(engine)
    assert {k: r["status"] for k, r in recs.items()} == {
        "L0001": "active", "L0002": "active", "L0003": "closed", "L0004": "closed",
    }  # fmt: skip
    assert [v["change"] for v in versions(engine, recs["L0003"]["id"])] == ["new", "closed"]
    back = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "r.csv", [person(3)]))
    assert back.rows_reopened == 1 and records(engine)["L0003"]["status"] == "active"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SourceRecord)) == 4  # never deleted


def test_rows_without_or_with_duplicate_local_ids_are_quarantined(engine, tmp_path) -> None:
    setup_org(engine)
    rows = [
        person(1),
        person(2, local_id=""),
        person(1, family_name="Later"),
        person(3, local_id="x" * 300),
    ]
    report = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "q.csv", rows))
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (4, 1, 3)
    assert records(engine)["L0001"]["family_name"] == "Smith1"  # the first occurrence wins
    q = list_quarantine(engine, "CSC", "cases")
    reasons = [r.reason for r in q]
    assert reasons[0] == "no local id" and q[0].row_number == 3
    assert reasons[1].startswith("duplicate local id") and "row 1" in reasons[1]
    assert q[1].local_id == "L0001" and "Later" in q[1].raw
    assert reasons[2].startswith("local id longer than 255")


def test_a_mapping_registers_the_dataset_and_maps_the_columns(engine, tmp_path) -> None:
    setup_org(engine)
    mapping = """
fields:
  local_id: {column: Case Ref}
  family_name: {column: Name, split_name: family}
  given_name: {column: Name, split_name: given}
  date_of_birth: {column: DOB, date_format: "%d/%m/%Y"}
  sex: {column: Gender, lookup: {M: male, F: female}, lookup_default: unknown}
  postcode: {column: Address, extract: postcode}
  address_line_1: {column: Address, extract: address_line_1}
  "identifier:MOSAIC": {column: Case Ref}
"""
    path = tmp_path / "m.csv"
    path.write_text(
        "Case Ref;Name;DOB;Gender;Address\n"
        "77;SMITH, Amelia;04/03/2012;F;4 Abbey Lane, Fenmoor FE8 2FJ\n"
        "78;JONES, Bob;31/02/2012;Z;no postcode\n",
        encoding="utf-8",
    )
    report = ingest_file(engine, "CSC", "mapped", path, mapping=mapping, as_of=AS_OF)
    assert report.mapping_registered and report.rows_loaded == 2
    recs = records(engine, "mapped")
    a, b = recs["77"], recs["78"]
    assert (a["family_name"], a["given_name"], a["sex"]) == ("SMITH", "Amelia", "female")
    assert a["postcode"] == "FE8 2FJ" and a["address_line_1"] == "4 Abbey Lane"
    assert a["identifiers"] == {"MOSAIC": "77"}
    assert b["date_of_birth"] is None and b["quality_flags"] == {"date_of_birth": "invalid_date"}
    assert b["sex"] == "unknown"
    # Later ingests use the stored mapping.
    again = ingest_file(engine, "CSC", "mapped", path, as_of=AS_OF)
    assert again.status == "unchanged"


def test_missing_mapped_column_is_a_clear_error_and_a_failed_batch(engine, tmp_path) -> None:
    setup_org(engine)
    add_dataset(
        engine, "CSC", "m", "fields: {local_id: {column: Ref}, given_name: {column: Forename}}"
    )
    path = write_csv(tmp_path / "x.csv", [{"Ref": "1", "First": "A"}])
    with pytest.raises(InvalidInput, match=r"lacks column.*'Forename'") as exc:
        ingest_file(engine, "CSC", "m", path)
    assert "'First'" in (exc.value.hint or "")
    with engine.connect() as conn:
        batch = conn.execute(select(IngestBatch)).mappings().one()
    assert batch["status"] == "failed" and "Forename" in batch["message"]


def test_unknown_organisation(engine, tmp_path) -> None:
    with pytest.raises(NotFound, match="NOPE"):
        ingest_file(engine, "NOPE", "x", write_csv(tmp_path / "x.csv", [person(1)]))


def test_formats_parquet_jsonl_xlsx_and_streams(engine, tmp_path) -> None:
    setup_org(engine)
    table = pa.table(
        {
            "local_id": ["P1", "P2"],
            "family_name": ["Smith", "Khan"],
            "date_of_birth": pa.array([dt.date(2001, 2, 3), None], pa.date32()),
            "nhs_number": pa.array([9434765919, None], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "p.parquet")
    r = ingest_file(engine, "CSC", "pq", tmp_path / "p.parquet")
    assert r.source_format == "parquet" and r.rows_loaded == 2
    assert records(engine, "pq")["P1"]["nhs_number"] == "9434765919"
    assert records(engine, "pq")["P1"]["date_of_birth"] == dt.date(2001, 2, 3)

    lines = [
        json.dumps(
            {
                "local_id": "J1",
                "family_name": "Nowak",
                "reason_codes": ["B1", "B2"],
                "identifiers": {"WW": "9"},
            }
        ),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"local_id": "J2", "uln": None}),
    ]
    stream = io.BytesIO(("\n".join(lines) + "\n").encode())
    r = ingest_file(engine, "CSC", "jl", stream, file_name="upload.jsonl")
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    j1 = records(engine, "jl")["J1"]
    assert j1["reason_codes"] == ["B1", "B2"] and j1["identifiers"] == {"WW": "9"}

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tenants"
    ws.append(["Title row"])
    ws.append(["local_id", "family_name", "date_of_birth", "uprn"])
    ws.append(["T1", "Brown", dt.datetime(1980, 5, 6), 100012345678])
    ws.append([None, None, None, None])
    ws.append(["T2", "Green", "1981-01-01", None])
    wb.save(tmp_path / "t.xlsx")
    mapping = "source: {sheet: Tenants, header_row: 2}\nfields: {local_id: local_id, family_name: family_name, date_of_birth: date_of_birth, uprn: uprn}"
    r = ingest_file(engine, "CSC", "xl", tmp_path / "t.xlsx", mapping=mapping)
    assert r.source_format == "xlsx" and r.rows_loaded == 2
    t1 = records(engine, "xl")["T1"]
    assert t1["date_of_birth"] == dt.date(1980, 5, 6) and t1["uprn"] == "100012345678"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_text_encodings(engine, tmp_path, encoding: str) -> None:
    setup_org(engine)
    path = write_csv(
        tmp_path / "e.csv", [person(1, family_name="Zoë", note="£5 – paid")], encoding=encoding
    )
    r = ingest_file(engine, "CSC", "cases", path)
    assert r.rows_loaded == 1 and not r.warnings
    rec = records(engine)["L0001"]
    assert rec["family_name"] == "Zoë" and rec["note"] == "£5 – paid"


def test_html_sql_and_formulas_are_stored_verbatim(engine, tmp_path) -> None:
    setup_org(engine)
    nasty = {
        "given_name": "<script>alert('x')</script>",
        "family_name": "Robert'); DROP TABLE source_records;--",
        "note": "=cmd|' /C calc'!A0",
    }
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "n.csv", [person(1, **nasty)]))
    rec = records(engine)["L0001"]
    for key, value in nasty.items():
        assert rec[key] == value
    [first] = versions(engine, rec["id"])
    assert all(first["record"][key] == value for key, value in nasty.items())


def test_counts_always_add_up_and_batches_are_recorded(engine, tmp_path) -> None:
    setup_org(engine)
    path = tmp_path / "mixed.csv"
    path.write_text(
        "local_id,family_name\nA,x\nB,y,extra\n,z\nC\nA,again\nD,ok\n", encoding="utf-8"
    )
    r = ingest_file(engine, "CSC", "cases", path)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined == 6
    assert r.rows_loaded == 2  # A and D
    with engine.connect() as conn:
        b = conn.execute(select(IngestBatch)).mappings().one()
    assert (b["rows_in"], b["rows_loaded"], b["rows_quarantined"]) == (6, 2, 4)
    # The file's lines: "B,y,extra" is line 3, ",z" 4, "C" 5, "A,again" 6.
    lines = sorted(q.row_number for q in list_quarantine(engine, "CSC", "cases"))
    assert lines == [3, 4, 5, 6]


def test_a_file_of_many_chunks_loads_in_file_order(engine, tmp_path, monkeypatch) -> None:
    """Chunks are transformed two at a time and written in multi-row statements: every row
    still lands once, in file order, with its own values, and a repeat in a later chunk is
    quarantined in favour of the first occurrence."""
    from joinedup.records import readers

    monkeypatch.setattr(readers, "BATCH_ROWS", 600)  # 3 chunks; inserts of 500 + 100 rows
    setup_org(engine)
    rows = [person(i, family_name=f"Family{i}", given_name=f"Given{i}") for i in range(1, 1500)]
    rows.append(person(7, family_name="Repeat"))  # row 1500 repeats L0007 of the first chunk
    path = write_csv(tmp_path / "many.csv", rows)
    report = ingest_file(engine, "CSC", "cases", path, actor="tester", as_of=AS_OF)
    assert (report.rows_in, report.rows_new, report.rows_quarantined) == (1500, 1499, 1)
    recs = records(engine)
    assert len(recs) == 1499
    assert recs["L0007"]["family_name"] == "Family7"
    by_id = sorted(recs.values(), key=lambda r: r["id"])
    assert [r["local_id"] for r in by_id] == [f"L{i:04d}" for i in range(1, 1500)]
    assert all(r["given_name"] == f"Given{int(r['local_id'][1:])}" for r in by_id)
    last = versions(engine, recs["L1499"]["id"])
    assert len(last) == 1 and last[0]["record"]["family_name"] == "Family1499"
    assert last[0]["batch_id"] == report.batch_id and last[0]["changed_by"] == "tester"
    with engine.connect() as conn:
        # Every record was received as stored: each first version is implied by its record.
        assert conn.scalar(select(func.count()).select_from(SourceRecordVersion)) == 0
    [q] = list_quarantine(engine, "CSC", "cases", batch_id=report.batch_id)
    assert "duplicate local id" in q.reason and "Repeat" in q.raw and q.row_number == 1501
    again = ingest_file(engine, "CSC", "cases", path, as_of=AS_OF)
    assert (again.rows_unchanged, again.rows_new, again.rows_changed) == (1499, 0, 0)
