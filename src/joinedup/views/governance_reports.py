"""Governance read-outs for people over the API and web, each audited: a person's consent
register, and the accesses to an organisation's records (the data owner's question "who
saw our records, when, why, and under which agreement?").

The consent register names the records an entry is about (organisation/dataset/local id),
so it tells where a person is known: only data owners and partnership admins may read it,
as they may the subject report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joinedup.errors import Forbidden
from joinedup.governance import audit
from joinedup.governance.auth import Principal
from joinedup.governance.consent import ConsentView, list_consents
from joinedup.governance.lookups import organisation_by_code, person_by_number, session_scope
from joinedup.store.schema.core import Organisation
from joinedup.store.schema.governance import Agreement, AuditLogEntry
from joinedup.store.schema.identity import Person

REGISTER_ROLES = frozenset({"data_owner", "partnership_admin"})
# How many audit entries one page of the access report reads at most: a page may come back
# short (with a cursor) rather than scan the whole log in one request.
SCAN_LIMIT = 5000


def _require(principal: Principal, roles: frozenset[str], what: str) -> None:
    if principal.roles.isdisjoint(roles):
        raise Forbidden(f"Only a data owner or partnership admin may read {what}.")


def consent_register(
    store: Session | Engine, principal: Principal, person_number: str
) -> list[ConsentView]:
    """A person's consent register (entries about them and about any of their records)."""
    _require(principal, REGISTER_ROLES, "a consent register")
    with session_scope(store) as session:
        person = person_by_number(session, person_number)
        entries = list_consents(session, person_number)
        audit.append(
            session,
            audit.AuditEntry.by(
                principal,
                "consent.list",
                person_id=person.id,
                object_type="person",
                object_id=str(person.id),
                details={"entries": len(entries)},
            ),
        )
        return entries


@dataclass(frozen=True)
class Access:
    """One decision that touched the organisation's datasets."""

    seq: int
    at: dt.datetime
    actor: str
    actor_organisation: str | None
    roles: tuple[str, ...]
    purpose: str | None
    action: str
    person_number: str | None
    allowed: bool
    detail: str
    own_organisation: bool
    break_glass: bool
    agreements: tuple[str, ...]
    datasets: int


@dataclass(frozen=True)
class AccessPage:
    organisation: str
    items: list[Access]
    # Sequence number to continue after; None when the log has been read to its end.
    next_after: int | None


_DETAIL_ORDER = ("none", "known_to", "rag", "coded", "full")


def _access(row: AuditLogEntry, mine: list[dict[str, Any]]) -> dict[str, Any]:
    allowed = [d for d in mine if d.get("allowed")]
    detail = max(
        (d.get("detail", "none") for d in allowed), key=_DETAIL_ORDER.index, default="none"
    )
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "roles": tuple(row.roles or ()),
        "purpose": row.purpose,
        "action": row.action,
        "allowed": bool(allowed),
        "detail": detail,
        "own_organisation": any(d.get("own_organisation") for d in mine),
        "break_glass": any(d.get("break_glass") for d in allowed),
        "agreement_ids": sorted({d["agreement_id"] for d in allowed if d.get("agreement_id")}),
        "datasets": len(mine),
    }


def organisation_accesses(
    store: Session | Engine,
    principal: Principal,
    organisation_code: str | None = None,
    *,
    after_seq: int | None = None,
    limit: int = 50,
) -> AccessPage:
    """Policy decisions about the organisation's datasets, oldest first, after `after_seq`.

    A data owner reads their own organisation's; a partnership admin any organisation's.
    Reading the report is audited.
    """
    _require(principal, REGISTER_ROLES, "an access report")
    with session_scope(store) as session:
        code = organisation_code or principal.organisation_code
        org = organisation_by_code(session, code)
        if org.id != principal.organisation_id and not principal.has("partnership_admin"):
            raise Forbidden("A data owner reads the access report of their own organisation.")
        rows = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.action.like("policy.%"), AuditLogEntry.seq > (after_seq or 0))
            .order_by(AuditLogEntry.seq)
            .limit(SCAN_LIMIT)
        ).all()
        found: list[tuple[AuditLogEntry, dict[str, Any]]] = []
        next_after: int | None = None
        for row in rows:
            mine = [
                d
                for d in (row.details or {}).get("datasets", [])
                if d.get("organisation_id") == org.id
            ]
            if mine:
                found.append((row, _access(row, mine)))
            if len(found) == limit:
                next_after = row.seq
                break
        else:
            next_after = rows[-1].seq if len(rows) == SCAN_LIMIT else None
        items = _resolve(session, found)
        audit.append(
            session,
            audit.AuditEntry.by(
                principal,
                "audit.access_report",
                object_type="organisation",
                object_id=org.code,
                details={"after_seq": after_seq, "entries": len(items)},
            ),
        )
        return AccessPage(org.code, items, next_after)


def _resolve(session: Session, found: list[tuple[AuditLogEntry, dict[str, Any]]]) -> list[Access]:
    person_ids = {r.person_id for r, _ in found if r.person_id is not None}
    org_ids = {r.organisation_id for r, _ in found if r.organisation_id is not None}
    agreement_ids = {a for _, f in found for a in f["agreement_ids"]}
    numbers = dict(
        session.execute(
            select(Person.id, Person.person_number).where(Person.id.in_(person_ids))
        ).all()
    )
    orgs = dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(org_ids))
        ).all()
    )
    codes = dict(
        session.execute(
            select(Agreement.id, Agreement.code).where(Agreement.id.in_(agreement_ids))
        ).all()
    )
    out = []
    for row, f in found:
        ids = f.pop("agreement_ids")
        out.append(
            Access(
                **f,
                actor_organisation=orgs.get(row.organisation_id) if row.organisation_id else None,
                person_number=numbers.get(row.person_id) if row.person_id else None,
                agreements=tuple(codes.get(a, f"#{a}") for a in ids),
            )
        )
    return out
