"""A batch is all or nothing: `kill -9` of an ingest half-way leaves the store as it was,
and the same ingest run again succeeds. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import person, setup_org, write_csv
from sqlalchemy import func, select, text

from joinedup.records.ingest import ingest_file
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.records import (
    IngestBatch,
    QuarantinedRow,
    SourceRecord,
    SourceRecordVersion,
)

ROWS = 150_000  # two chunks of 100,000: the kill lands after the first


def big_extract(path: Path) -> Path:
    """A core-format CSV large enough that its ingest takes several chunks; every tenth
    postcode is untidy, so its record's first version is a row."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'K' || i AS local_id, 'Given' || (i % 97) AS given_name,
                  'Family' || i AS family_name,
                  strftime(DATE '1950-01-01' + CAST(i % 20000 AS INTEGER), '%Y-%m-%d') AS date_of_birth,
                  CASE WHEN i % 10 = 0 THEN 'fe' ELSE 'FE' END || (1 + i % 22) || ' 1AB'
                    AS postcode, 'Team' AS service,
                  'note ' || i AS note
             FROM range({ROWS}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()
    return path


def counts(engine) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return tuple(
            conn.scalar(select(func.count()).select_from(t))
            for t in (IngestBatch, SourceRecord, SourceRecordVersion, QuarantinedRow)
        )


@pytest.mark.slow
def test_kill_9_mid_ingest_leaves_the_store_as_before(fresh_db_url, tmp_path) -> None:
    url = fresh_db_url()
    engine = create_store_engine(url)
    ensure_schema(engine)
    setup_org(engine)
    # One record with an invalid NHS number: its first version is a row (the others' are
    # implied by their records, `joinedup.records.versions`).
    small = [person(0), person(1, nhs_number="9434765918"), person(2)]
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "small.csv", small))
    before = counts(engine)
    assert before == (1, 3, 1, 0)
    path = big_extract(tmp_path / "big.csv")

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from joinedup.cli import main; main()",
            "--database-url",
            url,
            "--log-level",
            "INFO",
            "ingest",
            "CSC",
            "cases",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if "ingest.chunk" in line:
            # The batch is under way: rows of the first chunk have been written (uncommitted).
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"not killed mid-batch; output:\n{seen}"

    engine.dispose()
    engine = create_store_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    else:
        # The server ends the killed client's transaction once it notices the lost connection.
        for _ in range(100):
            with engine.connect() as conn:
                busy = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state <> 'idle'"
                    )
                )
            if not busy:
                break
            time.sleep(0.2)
    assert counts(engine) == before

    report = ingest_file(engine, "CSC", "cases", path)
    assert report.status == "done" and report.rows_new == ROWS and report.rows_loaded == ROWS
    assert counts(engine) == (2, 3 + ROWS, 1 + ROWS // 10, 0)
    engine.dispose()
