"""A first load on SQLite stages its new records in SQLite files and copies them in SQL
(`joinedup.records.staging`): the store it leaves is the one the ordinary way leaves, row for
row, and the batch's connection goes back to the pool with nothing attached."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import person, setup_org, write_csv
from sqlalchemy import Engine, select, text

from joinedup.records import ingest, readers, staging
from joinedup.records.ingest import ingest_file
from joinedup.records.manifest import load_manifest
from joinedup.records.versions import record_versions
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.records import IngestBatch, SourceRecord, SourceRecordVersion
from joinedup.synth import ErrorRates, generate

AS_OF = dt.date(2025, 3, 31)
# What differs between two stores loaded alike: when it happened.
WHEN = {"updated_at", "created_at", "started_at", "finished_at"}


def _rows(engine: Engine, table: Any, order: Any, leave_out: set[str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            {k: v for k, v in r.items() if k not in WHEN | leave_out}
            for r in conn.execute(select(table).order_by(*order)).mappings()
        ]


def _store(path: Path) -> Engine:
    engine = create_store_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    return engine


def _staged_files(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the chunks staged (so a test can tell the staging way was taken)."""
    staged: list[int] = []
    stage = staging.Stager.stage

    def counting(self: staging.Stager, name: str, table: Any) -> staging.StagedChunk:
        chunk = stage(self, name, table)
        staged.append(chunk.rows)
        return chunk

    monkeypatch.setattr(staging.Stager, "stage", counting)
    return staged


def test_a_staged_first_load_leaves_the_store_the_ordinary_way_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The synthetic partnership (every format and mapping feature, injected errors) and a
    file with a repeated local id (its chunk goes the ordinary way), in chunks of 40 rows,
    so that an extract stages several files of several chunks; then the same files loaded
    with staging turned off."""
    rates = ErrorRates(typo=0.1, missing=0.1, postcode_typo=0.1, identifier_typo=0.1)
    generate(300, 5, tmp_path / "synth", rates=rates)
    repeat = [person(i) for i in range(1, 200)] + [person(7, family_name="Repeat")]
    repeated = write_csv(tmp_path / "repeat.csv", repeat)
    monkeypatch.setattr(readers, "BATCH_ROWS", 40)

    def load(engine: Engine) -> int:
        reports = load_manifest(engine, tmp_path / "synth")
        setup_org(engine)
        reports.append(ingest_file(engine, "CSC", "cases", repeated, as_of=AS_OF))
        return sum(r.rows_quarantined for r in reports)

    staged = _staged_files(monkeypatch)
    made: list[staging.Stager] = []
    real_stager = ingest._stager

    def small_files(*args: Any) -> staging.Stager | None:
        stager = real_stager(*args)
        if stager is not None:
            stager.sizes = [2, 1, 1]  # several files; the last takes what is left
            made.append(stager)
        return stager

    monkeypatch.setattr(ingest, "_stager", small_files)
    engine = _store(tmp_path / "staged.db")
    assert load(engine) == 1
    assert sum(staged) > 900 and any(s._files == 3 for s in made)  # the third took the rest

    monkeypatch.setattr(ingest, "_stager", lambda *args: None)
    reference = _store(tmp_path / "ordinary.db")
    assert load(reference) == 1
    try:
        # A record's id is its place in the load; a version row's id only when it was written.
        V = SourceRecordVersion
        for table, order, leave_out in (
            (SourceRecord, [SourceRecord.id], set()),
            (V, [V.source_record_id, V.version], {"id"}),
            (IngestBatch, [IngestBatch.id], set()),
        ):
            got = _rows(engine, table, order, leave_out)
            want = _rows(reference, table, order, leave_out)
            assert len(got) == len(want) > 0
            differ = [(g, w) for g, w in zip(got, want, strict=True) if g != w]
            assert not differ, differ[:2]
    finally:
        reference.dispose()
        engine.dispose()


def test_the_batch_connection_is_pooled_with_nothing_attached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _store(tmp_path / "store.db")
    staged = _staged_files(monkeypatch)
    setup_org(engine)
    rows = [person(i, nhs_number="9434765918" if i % 3 == 0 else "9434765919") for i in range(9)]
    report = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", rows))
    assert staged == [9] and report.rows_new == 9
    with engine.connect() as conn:
        names = [r[1] for r in conn.execute(text("PRAGMA database_list"))]
        assert set(names) <= {"main", "temp"}
        ids = conn.execute(select(SourceRecord.id).order_by(SourceRecord.id)).scalars().all()
        assert ids == list(range(1, 10))
        # The three invalid NHS numbers' first versions are rows; the rest are implied.
        kept = conn.execute(select(SourceRecordVersion.source_record_id)).scalars().all()
        assert sorted(kept) == [1, 4, 7]
        first = record_versions(conn, 4)[0]
        assert first["received"] == {"nhs_number": "9434765918"} and first["change"] == "new"


def test_a_failed_staged_batch_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while copying the staged records rolls the whole batch back."""
    engine = _store(tmp_path / "store.db")
    setup_org(engine)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "copy_staged", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", [person(1)]))
    with engine.connect() as conn:
        assert conn.scalar(select(SourceRecord.id)) is None
        assert {r[1] for r in conn.execute(text("PRAGMA database_list"))} <= {"main", "temp"}
    monkeypatch.undo()
    report = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", [person(1)]))
    assert report.rows_new == 1


def test_staging_files_take_the_chunks_larger_first() -> None:
    assert staging.file_sizes(10, 9) == [2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert staging.file_sizes(3, 9) == [1, 1, 1]
    assert staging.file_sizes(100, 9) == [12] * 1 + [11] * 8
    assert staging.file_sizes(0, 9) == [1]
