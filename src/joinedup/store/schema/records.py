"""Ingest batches, source records (current state + immutable versions) and quarantine.

A *source record* is one partner's record about one person (keyed by dataset + local id).
Its current, validated values live in typed columns here so linkage and views can read them
fast; every received version is kept in `source_record_versions` (as received, with who and
when; a version points at the stored fields, plus what was received differently, until they
change; a new record received as stored has no version row until it changes, its first
version being implied by the record, `joinedup.records.versions`), so nothing is ever lost
or overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.store.base import Base, BigId, JsonDoc, UtcDateTime, utcnow


class IngestBatch(Base):
    """One file loaded into one dataset: counts always add up (rows_in = loaded + quarantined)."""

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    snapshot: Mapped[str] = mapped_column(String(8), default="delta")  # full | delta
    status: Mapped[str] = mapped_column(
        String(16), default="running"
    )  # running|done|failed|unchanged
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_closed: Mapped[int] = mapped_column(Integer, default=0)
    rows_reopened: Mapped[int] = mapped_column(Integer, default=0)
    # What was read: csv | xlsx | parquet | jsonl, the text encoding, the size in bytes, the
    # core format version and a hash of the mapping in force.
    source_format: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    format_version: Mapped[int] = mapped_column(Integer, default=1)
    mapping_hash: Mapped[str | None] = mapped_column(String(64))
    # Why a failed batch failed, in words a person can act on.
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    report: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class SourceRecord(Base):
    """The current state of one partner record: validated, normalised core fields."""

    __tablename__ = "source_records"
    # Only the (dataset_id, local_id) key is indexed. Linkage, registration and the views
    # read source records whole (by dataset or all active ones) rather than look them up by
    # an identifier, so identifier or name indexes would only slow every ingest down
    # (maintaining six of them was a quarter of a 1M-row first load). Add one with the
    # first query that filters on that column.
    __table_args__ = (UniqueConstraint("dataset_id", "local_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Indexed by the (dataset_id, local_id) unique constraint.
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    local_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"))
    # The batch that last changed the record (new, changed, closed, reopened).
    last_batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"))
    closed_batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    # Indexed: incremental linking and the online matcher's refresh read what changed since
    # a mark (a scan of every record cost 1.5 s at a million persons).
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

    # Person (core record format v1). Invalid values are NULL here and kept in the version.
    given_name: Mapped[str | None] = mapped_column(String(255))
    middle_names: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    previous_family_names: Mapped[str | None] = mapped_column(String(512))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(16))
    address_line_1: Mapped[str | None] = mapped_column(String(255))
    address_line_2: Mapped[str | None] = mapped_column(String(255))
    address_line_3: Mapped[str | None] = mapped_column(String(255))
    address_line_4: Mapped[str | None] = mapped_column(String(255))
    postcode: Mapped[str | None] = mapped_column(String(16))
    uprn: Mapped[str | None] = mapped_column(String(16))
    nhs_number: Mapped[str | None] = mapped_column(String(16))
    upn: Mapped[str | None] = mapped_column(String(16))
    uln: Mapped[str | None] = mapped_column(String(16))
    ni_number: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    identifiers: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)  # {scheme: value}

    # Involvement (episode) with the recording service.
    service: Mapped[str | None] = mapped_column(String(255))
    involvement_type: Mapped[str | None] = mapped_column(String(64))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    episode_status: Mapped[str | None] = mapped_column(String(32))
    rag: Mapped[str | None] = mapped_column(String(8))
    lead_practitioner: Mapped[str | None] = mapped_column(String(255))
    lead_contact: Mapped[str | None] = mapped_column(String(255))
    reason_codes: Mapped[list[str] | None] = mapped_column(JsonDoc)
    outcome_codes: Mapped[list[str] | None] = mapped_column(JsonDoc)
    note: Mapped[str | None] = mapped_column(Text)

    # Unmapped source columns, and per-field quality flags {field: problem code}.
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    quality_flags: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class SourceRecordVersion(Base):
    """An immutable version of a source record, as received and as mapped."""

    __tablename__ = "source_record_versions"
    __table_args__ = (UniqueConstraint("source_record_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Indexed by the (source_record_id, version) unique constraint.
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    version: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The mapped core record with values exactly as received (invalid ones included). NULL
    # while the version's record is the record's stored fields with `received` over them
    # (`joinedup.records.versions`): writing every value twice was half of a first load's
    # bytes. It is filled in before the stored fields change.
    record: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # With `record` NULL: the values as received that differ from the stored fields (an
    # invalid value, a date in another format, an untidy postcode); NULL when none do.
    received: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    quality_flags: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    change: Mapped[str] = mapped_column(String(16))  # new | changed | closed | reopened | corrected
    changed_by: Mapped[str | None] = mapped_column(String(255))
    # A correction's provenance: the data challenge it carries out.
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("data_challenges.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuarantinedRow(Base):
    """A row that could not be used at all, kept with its raw content and the reason."""

    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    # The row's line in the file (exact for unreadable rows; for readable rows counted as if
    # no value spanned lines).
    row_number: Mapped[int] = mapped_column(Integer)
    local_id: Mapped[str | None] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class DataQualityFieldStat(Base):
    """One field's quality in one batch: completeness, validity, uniqueness, problems."""

    __tablename__ = "dq_field_stats"
    __table_args__ = (UniqueConstraint("batch_id", "field"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"))
    field: Mapped[str] = mapped_column(String(128))
    rows: Mapped[int] = mapped_column(Integer)  # usable rows in the batch
    present: Mapped[int] = mapped_column(Integer)  # rows with a value
    valid: Mapped[int] = mapped_column(Integer)  # rows whose value passed validation
    distinct_values: Mapped[int | None] = mapped_column(Integer)  # for unique-expected fields
    completeness: Mapped[float] = mapped_column(Float)
    validity: Mapped[float | None] = mapped_column(Float)
    uniqueness: Mapped[float | None] = mapped_column(Float)
    # {problem: {"count": n, "examples": [{"row": .., "local_id": .., "value": ..}]}}
    problems: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class DataChallenge(Base):
    """A partner's challenge of one value of another partner's record, and its outcome."""

    __tablename__ = "data_challenges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), index=True)
    field: Mapped[str] = mapped_column(String(128))
    # The value as received when the challenge was raised, and the value proposed.
    current_value: Mapped[str | None] = mapped_column(Text)
    proposed_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    raised_by_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    raised_by: Mapped[str | None] = mapped_column(String(255))
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|accepted|rejected
    decided_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The version of the record that carries an accepted correction.
    corrected_version: Mapped[int | None] = mapped_column(Integer)
