"""`joinedup export links`: one CSV row per current source record and its person.

Columns exactly `organisation,dataset,local_id,person_id,match_probability`; person_id is
the person number, match_probability the record's link strength to its person (1 for a
record alone). Written with the shared safe CSV writer (`records.safe_csv`): cells that a
spreadsheet would run as a formula are prefixed with a quote (local ids come from partners'
files).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from joinedup.records.safe_csv import SafeCsvWriter

COLUMNS = ("organisation", "dataset", "local_id", "person_id", "match_probability")


def export_links(engine: Engine, out: Path) -> int:
    """Write the links CSV to `out`; returns the number of rows written."""
    sql = text(
        "SELECT o.code, d.code, s.local_id, p.person_number, l.match_probability "
        "FROM person_links l "
        "JOIN source_records s ON s.id = l.source_record_id "
        "JOIN datasets d ON d.id = s.dataset_id "
        "JOIN organisations o ON o.id = d.organisation_id "
        "JOIN persons p ON p.id = l.person_id "
        "WHERE s.status = 'active' ORDER BY o.code, d.code, s.local_id"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = out.with_name(out.name + ".part")
    with engine.connect() as conn, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = SafeCsvWriter(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(sql)
        for org, ds, local_id, number, prob in result:
            writer.writerow((org, ds, local_id, number, f"{float(prob):.6f}"))
            count += 1
    tmp.replace(out)
    return count
