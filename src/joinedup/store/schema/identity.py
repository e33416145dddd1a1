"""Persons, the links from source records to persons, person history and linkage runs.

Also the issued person numbers (never reused), the manual match constraints (must-link /
cannot-link) every run honours, and the clerical review queue the batch link fills.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
    # Indexed: every person view looks up the numbers merged into the person it shows.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))


class PersonLink(Base):
    """The current assignment of a source record to a person."""

    __tablename__ = "person_links"

    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    match_probability: Mapped[float] = mapped_column(Float, default=1.0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))
    # Indexed: the online matcher's refresh reads the links written since its mark.
    linked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class LinkageFeatures(Base):
    """Each active record's comparison features (`comparisons.FEATURE_COLUMNS`), the
    database-backed candidate index of incremental linking and registration.

    Written in bulk by a full link run (from the features it computed anyway), kept
    current by incremental runs and registrations. The indexes serve the blocking rules
    (each rule is answered by one of them, `feature_store.RULE_INDEX`) and the name term
    frequencies.
    List features (`given_formal`, `family_all`) are JSON text; the date of birth is ISO
    text so both backends compare and return it alike.
    """

    __tablename__ = "linkage_features"
    __table_args__ = (
        # Partial: most records have no UPN, ULN or NI number, and NULL never blocks.
        *(
            Index(
                f"ix_linkage_features_{c}",
                c,
                sqlite_where=text(f"{c} IS NOT NULL"),
                postgresql_where=text(f"{c} IS NOT NULL"),
            )
            for c in ("nhs_number", "upn", "uln", "ni_number")
        ),
        # Wide indexes hold every column of the rules they serve, so a rule is answered
        # from the index alone (a date of birth is shared by ~90 records at a million
        # persons: reading each row from the table was most of a run's time).
        Index(
            "ix_linkage_features_dob_block",
            "dob",
            "family_ph",
            "given_key",
            "names_ph",
            "postcode",
        ),
        Index("ix_linkage_features_postcode_given", "postcode", "given_key"),
        Index("ix_linkage_features_postcode_family_sex", "postcode", "family_ph", "sex"),
        Index(
            "ix_linkage_features_family_block",
            "family_ph",
            "given_key",
            "dob_y",
            "dob_m",
            "dob_d",
        ),
        Index("ix_linkage_features_given_name", "given_name"),
        Index("ix_linkage_features_family_name", "family_name"),
    )

    record_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("source_records.id"), primary_key=True, autoincrement=False
    )
    given_name: Mapped[str | None] = mapped_column(Text)
    given_formal: Mapped[str | None] = mapped_column(Text)
    given_key: Mapped[str | None] = mapped_column(Text)
    given_ph: Mapped[str | None] = mapped_column(Text)
    middle_first: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    family_ph: Mapped[str | None] = mapped_column(Text)
    family_all: Mapped[str | None] = mapped_column(Text)
    dob: Mapped[str | None] = mapped_column(String(10))
    dob_str: Mapped[str | None] = mapped_column(String(8))
    dob_y: Mapped[int | None] = mapped_column(Integer)
    dob_m: Mapped[int | None] = mapped_column(Integer)
    dob_d: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(Text)
    postcode_sector: Mapped[str | None] = mapped_column(Text)
    postcode_district: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    address_number: Mapped[str | None] = mapped_column(Text)
    names_ph: Mapped[str | None] = mapped_column(Text)
    nhs_number: Mapped[str | None] = mapped_column(Text)
    upn: Mapped[str | None] = mapped_column(Text)
    uln: Mapped[str | None] = mapped_column(Text)
    ni_number: Mapped[str | None] = mapped_column(Text)


class PersonHistory(Base):
    """What happened to a person number: created, merged into, split from, records moved."""

    __tablename__ = "person_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))  # created|merged_into|absorbed|split_from|...
    other_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # Indexed: the online matcher's refresh reads the persons changed since its mark.
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class IssuedPersonNumber(Base):
    """Person numbers reserved by `joinedup id new`. Together with `persons` (whose rows are
    never deleted) this is every number ever issued: new numbers avoid both."""

    __tablename__ = "issued_person_numbers"

    person_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), default="person")  # person | reserved
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))


class MatchConstraint(Base):
    """A manual decision about two source records that every later run honours.

    The pair is stored with the lower record id first; one row per pair (a later decision
    replaces an earlier one, which stays in `person_history` / the review item).
    """

    __tablename__ = "match_constraints"
    __table_args__ = (
        UniqueConstraint("record_id_l", "record_id_r"),
        CheckConstraint("record_id_l < record_id_r", name="ordered_pair"),
        CheckConstraint("kind in ('must_link', 'cannot_link')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id_l: Mapped[int] = mapped_column(ForeignKey("source_records.id"), index=True)
    record_id_r: Mapped[int] = mapped_column(ForeignKey("source_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    review_item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewItem(Base):
    """A pair of source records put in front of a person: the model was unsure, or the
    chaining guard cut a link it would otherwise have made."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_pair", "record_id_l", "record_id_r"),
        Index("ix_review_items_record_id_r", "record_id_r"),
        CheckConstraint("record_id_l < record_id_r", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # pair | chain
    record_id_l: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    record_id_r: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    # Per-comparison levels and weights (the explanation), and for chains the records cut.
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # open | decided | superseded
    decision: Mapped[str | None] = mapped_column(String(16))  # same | different | unsure
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdentityLock(Base):
    """A row per serialised identity operation (online registration). Writing the row first
    takes a write lock on every backend (SQLite has no row locks; PostgreSQL also takes an
    advisory lock), so two registrations never both see "no such person" and mint twice."""

    __tablename__ = "identity_locks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    held_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
