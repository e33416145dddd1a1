"""Persons, the links from source records to persons, person history and linkage runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.store.base import Base, BigId, JsonDoc, UtcDateTime, utcnow


class LinkageModel(Base):
    """A trained linkage model: a versioned artefact (Splink settings JSON and report)."""

    __tablename__ = "linkage_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    trained_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    records_used: Mapped[int] = mapped_column(Integer, default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    report_html: Mapped[bytes | None] = mapped_column(LargeBinary)


class LinkRun(Base):
    """One batch or incremental linkage run."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental | manual
    model_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_models.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class Person(Base):
    """A person: one stable, check-digited person number. Merged numbers redirect."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_number: Mapped[str] = mapped_column(String(10), unique=True)
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # active|pending|merged|retired
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))


class PersonLink(Base):
    """The current assignment of a source record to a person."""

    __tablename__ = "person_links"

    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    match_probability: Mapped[float] = mapped_column(Float, default=1.0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonHistory(Base):
    """What happened to a person number: created, merged into, split from, records moved."""

    __tablename__ = "person_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))  # created|merged_into|absorbed|split_from|...
    other_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
