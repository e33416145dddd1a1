"""Governance tables: users, roles, tokens, agreements, consent, break-glass and audit.

Organisations and datasets live in `core`, persons in `identity`, source records in
`records`; these tables refer to them by foreign key only. The audit log deliberately has no
foreign keys: it must outlive anything it mentions, and its rows are never updated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.store.base import Base, BigId, JsonDoc, UtcDateTime, utcnow


class User(Base):
    """A person who signs in (web) or holds API tokens. Roles are held per organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    # argon2id hash (argon2-cffi), NULL until a password is set.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class UserRole(Base):
    """One role a user holds at one organisation (a user may hold several, at several)."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    granted_by: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token acting for a user at one organisation; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(255))
    # The first characters of the secret, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Agreement(Base):
    """A data-sharing agreement: its identity. The terms live in its versions."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    provider_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class AgreementVersion(Base):
    """The terms of one version of an agreement. A change makes a new version; old ones stay.

    Status: draft -> active (approved by the provider's data owner) -> suspended -> ended;
    an active or suspended version becomes `superseded` when a newer version is approved.
    """

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    purposes: Mapped[list[str]] = mapped_column(JsonDoc)
    max_detail: Mapped[str] = mapped_column(String(16))
    finest_aggregation: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    change_note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status_reason: Mapped[str | None] = mapped_column(Text)


class AgreementDataset(Base):
    """A provider dataset an agreement version shares."""

    __tablename__ = "agreement_datasets"

    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id"), primary_key=True
    )
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)


class AgreementRecipient(Base):
    """Who receives under an agreement version: an organisation, or everyone with a role."""

    __tablename__ = "agreement_recipients"
    __table_args__ = (
        CheckConstraint("(organisation_id IS NULL) <> (role IS NULL)", name="organisation_or_role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str | None] = mapped_column(String(32))


class Consent(Base):
    """A person's permit or refusal, for a recipient (or any) and a purpose (or any).

    Recorded against a person, or against one source record (it then covers that record's
    dataset only). Never deleted: a withdrawal is recorded on the row.
    """

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "person_id IS NOT NULL OR source_record_id IS NOT NULL", name="has_subject"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    source_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id"), index=True
    )
    recipient_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    purpose: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(8))  # permit | deny
    evidence: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    withdrawn_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class BreakGlass(Base):
    """An emergency, time-limited grant to one practitioner for one person, with its review."""

    __tablename__ = "break_glass"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(16))
    justification: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_outcome: Mapped[str | None] = mapped_column(String(16))  # appropriate|inappropriate
    review_note: Mapped[str | None] = mapped_column(Text)


class GovernanceNotification(Base):
    """A message for the holders of a role at an organisation (e.g. a break-glass alert to
    the provider's data owner)."""

    __tablename__ = "governance_notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    break_glass_id: Mapped[int | None] = mapped_column(ForeignKey("break_glass.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    read_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AuditLogEntry(Base):
    """One append-only, hash-chained audit entry (see joinedup.domain.audit_chain)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_person_seq", "person_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JsonDoc)
    organisation_id: Mapped[int | None] = mapped_column(BigInteger)
    purpose: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(255))
    decision: Mapped[str | None] = mapped_column(String(16))
    agreement_ids: Mapped[list[int]] = mapped_column(JsonDoc)
    break_glass: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row (id 1) recording the chain's last entry; appends lock it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    # The hash the last entry chained to (its prev_hash): PostgreSQL appends move the head
    # and read both hashes back in one UPDATE (`governance.audit`).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class PseudonymProject(Base):
    """An analysis project and its secret key for keyed pseudonyms of person numbers."""

    __tablename__ = "pseudonym_projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
