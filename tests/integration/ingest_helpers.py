"""Helpers for the ingest tests: small core-format extracts written on the fly."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from joinedup.records.organisations import add_organisation
from joinedup.records.versions import record_versions, version_record
from joinedup.store.schema.core import Dataset
from joinedup.store.schema.records import SourceRecord

HEADER = [
    "local_id", "given_name", "family_name", "date_of_birth", "sex", "postcode",
    "nhs_number", "service", "involvement_type", "start_date", "reason_codes", "note",
]  # fmt: skip


def person(i: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "local_id": f"L{i:04d}",
        "given_name": "Amelia",
        "family_name": f"Smith{i}",
        "date_of_birth": "2012-03-04",
        "sex": "female",
        "postcode": "FE8 2FJ",
        "nhs_number": "9434765919",
        "service": "Early Help",
        "involvement_type": "early_help",
        "start_date": "2024-01-15",
        "reason_codes": "N1;N5",
        "note": "Seen at home.",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path, rows: list[dict[str, Any]], header: list[str] | None = None, **kw: Any
) -> Path:
    if header is None:
        header = []
        for row in rows or [dict.fromkeys(HEADER)]:
            header += [k for k in row if k not in header]
    with path.open("w", newline="", encoding=kw.pop("encoding", "utf-8")) as f:
        w = csv.DictWriter(f, fieldnames=header, restval="", **kw)
        w.writeheader()
        w.writerows(rows)
    return path


def setup_org(engine: Engine, code: str = "CSC") -> None:
    add_organisation(engine, code, f"{code} partner", exist_ok=True)


def records(engine: Engine, dataset: str = "cases") -> dict[str, Any]:
    """local_id -> the SourceRecord row of `dataset`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SourceRecord).join(Dataset).where(Dataset.code == dataset)
        ).mappings()
        return {r["local_id"]: dict(r) for r in rows}


def versions(engine: Engine, record_id: int) -> list[dict[str, Any]]:
    """The record's versions; `record` is the record as received (filled in from the stored
    fields where the version points at them), `stored` the column as written."""
    with engine.connect() as conn:
        return [
            {**r, "stored": r["record"], "record": version_record(conn, r)}
            for r in record_versions(conn, record_id)
        ]
