"""Ingest batches, source records (current state + immutable versions) and quarantine.

A *source record* is one partner's record about one person (keyed by dataset + local id).
Its current, validated values live in typed columns here so linkage and views can read them
fast; every received version is kept whole in `source_record_versions` (as received, with
who and when), so nothing is ever lost or overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    created_by: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    report: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class SourceRecord(Base):
    """The current state of one partner record: validated, normalised core fields."""

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("dataset_id", "local_id"),
        Index("ix_source_records_match", "family_name", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"))
    last_batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    closed_batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

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
    postcode: Mapped[str | None] = mapped_column(String(16), index=True)
    uprn: Mapped[str | None] = mapped_column(String(16))
    nhs_number: Mapped[str | None] = mapped_column(String(16), index=True)
    upn: Mapped[str | None] = mapped_column(String(16), index=True)
    uln: Mapped[str | None] = mapped_column(String(16), index=True)
    ni_number: Mapped[str | None] = mapped_column(String(16), index=True)
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
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The mapped core record with values exactly as received (invalid ones included).
    record: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    quality_flags: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    change: Mapped[str] = mapped_column(String(16))  # new | changed | closed | reopened | corrected
    changed_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuarantinedRow(Base):
    """A row that could not be used at all, kept with its raw content and the reason."""

    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
