"""The known-to view: for one person, every involvement across the partnership that the
requester may see, at the detail the policy allows, and why anything else is withheld.

    with UnitOfWork(engine) as uow:
        view = known_to(uow.session, principal, "safeguarding", "1234567890")
        uow.commit()          # the audit entry commits with the read

A merged person number redirects to its survivor (and the view says so). The policy
decision point (`joinedup.governance.pdp.deciding_person`) decides per source dataset; only
the datasets it allows are read, and its audit entry is appended once they are, in the same
transaction (the audit chain's lock is held from the append to the commit, so the read is
kept out of that window).

What stays hidden when a dataset is withheld: everything about it, including which
organisation holds it. The requester sees one line per withheld dataset with the reason in
general terms ("not shared under your agreements", "the person has refused sharing with
you", "consent required and not recorded"), so they know there is more to ask for (an
agreement, the person's consent, break-glass in an emergency) without learning where the
person is known. See docs/api.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from joinedup.domain.levels import Detail
from joinedup.domain.policy import (
    REASON_BREAK_GLASS,
    REASON_CONSENT_REQUIRED,
    REASON_NOT_SHARED,
    REASON_OWN,
    REASON_REFUSED,
    Decision,
)
from joinedup.errors import Forbidden
from joinedup.governance.auth import Principal
from joinedup.governance.lookups import session_scope
from joinedup.governance.pdp import deciding_person
from joinedup.identity.persons import resolve
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.governance import Agreement
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.views.detail_levels import (
    INVOLVEMENT_FIELDS,
    PERSON_FIELDS,
    DemographicSummary,
    involvement_fields,
    summarise_demographics,
)

# Roles whose work is about individual people. An analyst or an admin acting for a provider
# would otherwise see that provider's records in full through this view.
VIEW_ROLES: frozenset[str] = frozenset({"practitioner", "data_owner"})

REASON_AGGREGATES_ONLY = "your agreements allow only aggregates, not person-level data"


@dataclass(frozen=True)
class Involvement:
    """One source record about the person, as the requester may see it."""

    organisation_code: str
    organisation_name: str
    dataset_code: str
    detail: str
    basis: str
    break_glass: bool
    in_latest_extract: bool
    service: str | None
    involvement_type: str | None
    start: str | None
    end: str | None
    dates_precision: str
    status: str | None
    lead_practitioner: str | None
    lead_contact: str | None
    rag: str | None = None
    reason_codes: list[str] | None = None
    outcome_codes: list[str] | None = None
    note: str | None = None
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class Withheld:
    """A source dataset about the person that the requester may not see, and why."""

    reason: str


@dataclass
class KnownToView:
    person_number: str
    requested_number: str
    redirected_from: str | None
    redirect_note: str | None
    person_status: str
    purpose: str
    decision: str  # allowed | partial | denied
    break_glass: bool
    audit_seq: int
    summary: DemographicSummary
    involvements: list[Involvement] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)


def withheld_reason(decision: Decision) -> str:
    """The reason a person may be told, in general terms.

    The decision's own reasons can name an agreement (and so its provider); the view gives
    only the kind of reason, the audit entry keeps the full one.
    """
    for reason in decision.reasons:
        if reason.startswith(REASON_REFUSED):
            return REASON_REFUSED
        if reason.startswith(REASON_CONSENT_REQUIRED):
            return REASON_CONSENT_REQUIRED
        if reason.startswith("your agreements allow only aggregates"):
            return REASON_AGGREGATES_ONLY
    return REASON_NOT_SHARED


def _basis(decision: Decision, codes: dict[int, str]) -> str:
    if decision.own_organisation or REASON_OWN in decision.reasons:
        return REASON_OWN
    parts = []
    if decision.agreement_id is not None:
        code = codes.get(decision.agreement_id, f"#{decision.agreement_id}")
        parts.append(f"agreement {code} v{decision.agreement_version}")
    if decision.break_glass:
        parts.append(REASON_BREAK_GLASS)
    return " + ".join(parts) or "agreement"


def _check_role(principal: Principal) -> None:
    if principal.roles.isdisjoint(VIEW_ROLES):
        raise Forbidden(
            "The known-to view is for practitioners and data owners; "
            f"you act as {', '.join(sorted(principal.roles))}."
        )


_RECORD_COLUMNS = ("local_id", *PERSON_FIELDS, *INVOLVEMENT_FIELDS, "attributes")


def _records_query() -> Select[Any]:
    persons, links = Person.__table__, PersonLink.__table__
    records, datasets, orgs = SourceRecord.__table__, Dataset.__table__, Organisation.__table__
    family = (
        select(persons.c.id)
        .where(persons.c.id == bindparam("person_id"))
        .cte("family", recursive=True)
    )
    family = family.union(select(persons.c.id).where(persons.c.merged_into_id == family.c.id))
    fields = [records.c[name] for name in _RECORD_COLUMNS]
    return (
        select(records.c.status, datasets.c.id, datasets.c.code, orgs.c.code, orgs.c.name, *fields)
        .select_from(records)
        .join(links, links.c.source_record_id == records.c.id)
        .join(datasets, datasets.c.id == records.c.dataset_id)
        .join(orgs, orgs.c.id == datasets.c.organisation_id)
        .where(
            links.c.person_id.in_(select(family.c.id)),
            records.c.dataset_id.in_(bindparam("dataset_ids", expanding=True)),
        )
        .order_by(orgs.c.code, datasets.c.code, records.c.start_date, records.c.id)
    )


# Built once: composing a statement costs more Python than running it does.
_RECORDS_QUERY = _records_query()


def _read_records(
    session: Session, person_id: int, dataset_ids: Sequence[int]
) -> list[tuple[dict[str, Any], bool, int, str, str, str]]:
    """The person's records (including those still linked to numbers merged into it) in the
    given datasets, in one query: the merged numbers come from a recursive CTE (UNION, not
    UNION ALL, so a cycle in bad data ends the recursion). Plain rows, no ORM objects: each
    is (the record's fields, closed?, dataset id, dataset code, organisation code, name)."""
    if not dataset_ids:
        return []
    rows = session.execute(
        _RECORDS_QUERY, {"person_id": person_id, "dataset_ids": list(dataset_ids)}
    ).all()
    return [
        (dict(zip(_RECORD_COLUMNS, r[5:], strict=True)), r[0] == "closed", *r[1:5]) for r in rows
    ]


# Agreement codes never change once made (a change is a new version of the same code), so
# they are kept for the life of the process instead of being read on every view.
_AGREEMENT_CODES: dict[int, str] = {}


def _agreement_codes(session: Session, ids: set[int]) -> dict[int, str]:
    missing = ids - _AGREEMENT_CODES.keys()
    if missing:
        found = session.execute(
            select(Agreement.id, Agreement.code).where(Agreement.id.in_(missing))
        ).all()
        _AGREEMENT_CODES.update({int(i): str(c) for i, c in found})
    return {i: _AGREEMENT_CODES[i] for i in ids if i in _AGREEMENT_CODES}


def known_to(
    store: Session | Engine,
    principal: Principal,
    purpose: str,
    person_number: str,
    *,
    channel: str = "known_to",
) -> KnownToView:
    """The known-to view of `person_number` for `principal` acting for `purpose`.

    `channel` names the way the view is shown in its audit entry (`known_to`,
    `fhir_patient`, ...).

    Raises InvalidInput (not a person number, unknown purpose), NotFound, or Forbidden (a
    role without person-level work). The decision is audited in `store`'s transaction when
    it is a Session (commit it), in a transaction of its own when it is an Engine.
    """
    _check_role(principal)
    asked = person_number.replace(" ", "").strip()
    with session_scope(store) as session:
        person, redirected_from = resolve(session, asked)
        # The audit entry is appended when the read is done (the chain's lock is then held
        # only from the append to the commit); both commit or roll back together.
        with deciding_person(
            session,
            principal,
            purpose,
            person.id,
            details={"view": channel, "asked_number": asked},
        ) as pending:
            result = pending.decision
            by_dataset = result.by_dataset
            allowed = {
                d.dataset.dataset_id: d for d in result.allowed if d.detail >= Detail.KNOWN_TO
            }
            codes = _agreement_codes(
                session, {d.agreement_id for d in allowed.values() if d.agreement_id is not None}
            )
            rows = _read_records(session, person.id, sorted(allowed))
            # Everything shown is worked out before the entry is appended (as this block
            # ends): from the append to the commit the chain's lock is held, and Python
            # here may wait for the GIL behind other request threads.
            involvements = []
            visible: list[tuple[dict[str, Any], Detail]] = []
            for values, closed, dataset_id, dataset_code, org_code, org_name in rows:
                decision = allowed[dataset_id]
                visible.append((values, decision.detail))
                involvements.append(
                    Involvement(
                        organisation_code=org_code,
                        organisation_name=org_name,
                        dataset_code=dataset_code,
                        detail=decision.detail.label,
                        basis=_basis(decision, codes),
                        break_glass=decision.break_glass,
                        in_latest_extract=not closed,
                        **involvement_fields(values, decision.detail),
                    )
                )
            withheld = sorted(
                (
                    Withheld(withheld_reason(d))
                    for ds_id, d in by_dataset.items()
                    if ds_id not in allowed
                ),
                key=lambda w: w.reason,
            )
            note = (
                f"Person number {redirected_from} was merged into {person.person_number}; "
                f"showing {person.person_number}."
                if redirected_from
                else None
            )
            summary = summarise_demographics(visible)
        return KnownToView(
            person_number=person.person_number,
            requested_number=asked,
            redirected_from=redirected_from,
            redirect_note=note,
            person_status=person.status,
            purpose=purpose,
            decision=result.summary,
            break_glass=result.break_glass,
            audit_seq=pending.audit_seq,
            summary=summary,
            involvements=involvements,
            withheld=withheld,
        )
