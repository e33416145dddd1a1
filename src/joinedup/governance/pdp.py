"""The policy decision point as a service: load what a decision needs, decide, audit.

Every read of personal data calls one of these functions before reading, passing its own
session so the decision's audit entry commits (or rolls back) together with the read:

    with UnitOfWork(engine) as uow:
        result = decide_for_person(uow.session, principal, "safeguarding", person_id)
        for d in result.allowed:           # read only these datasets, at d.detail
            ...
        uow.commit()

The rules themselves are the pure function `joinedup.domain.policy.decide`; this module only
gathers its inputs from the store (the person's source datasets, agreements in force,
consents, an unexpired break-glass grant) and writes exactly one audit entry per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack

from sqlalchemy import Select, bindparam, exists, literal, select
from sqlalchemy.orm import Session

from joinedup.domain.levels import Aggregation, Detail
from joinedup.domain.policy import (
    BREAK_GLASS_PURPOSE,
    BREAK_GLASS_ROLE,
    PURPOSES,
    REQUEST_KINDS,
    AgreementIndex,
    Decision,
    Request,
    SourceDataset,
    decide,
    summarise,
)
from joinedup.errors import InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.agreements import terms_fingerprint, terms_in_force
from joinedup.governance.auth import Principal
from joinedup.governance.breakglass import active_grant
from joinedup.governance.consent import load_consents
from joinedup.governance.lookups import EngineOrSession, session_scope
from joinedup.store.schema.core import Dataset
from joinedup.store.schema.governance import BreakGlass, Consent
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord


@dataclass(frozen=True)
class PersonDecision:
    """The decisions about one person's source datasets and the audit entry recording them."""

    person_id: int
    person_number: str
    decisions: tuple[Decision, ...]
    audit_seq: int

    @property
    def allowed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.allowed)

    @property
    def by_dataset(self) -> dict[int, Decision]:
        return {d.dataset.dataset_id: d for d in self.decisions}

    @property
    def summary(self) -> str:
        return summarise(self.decisions)

    @property
    def break_glass(self) -> bool:
        return any(d.break_glass for d in self.decisions)


@dataclass(frozen=True)
class DatasetsDecision:
    """Decisions about whole datasets (aggregates, exports), and their audit entry."""

    decisions: tuple[Decision, ...]
    audit_seq: int

    @property
    def allowed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.allowed)


def _check(purpose: str, kind: str) -> None:
    if purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose {purpose!r}; purposes are {', '.join(PURPOSES)}.")
    if kind not in REQUEST_KINDS:
        raise InvalidInput(f"Unknown request kind {kind!r}; kinds are {', '.join(REQUEST_KINDS)}.")


def _decision_details(decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    return [
        {
            "dataset_id": d.dataset.dataset_id,
            "organisation_id": d.dataset.organisation_id,
            "allowed": d.allowed,
            "detail": d.detail.label,
            "aggregation": d.aggregation.label if d.aggregation is not None else None,
            "agreement_id": d.agreement_id,
            "break_glass": d.break_glass,
            "own_organisation": d.own_organisation,
            "reasons": list(d.reasons),
        }
        for d in decisions
    ]


def _audit_entry(
    principal: Principal,
    purpose: str,
    kind: str,
    request: Request,
    decisions: Sequence[Decision],
    person_id: int | None,
    extra: Mapping[str, Any] | None,
    grant_id: int | None,
) -> audit.AuditEntry:
    used = [d for d in decisions if d.allowed and d.agreement_id is not None]
    return audit.AuditEntry.by(
        principal,
        f"policy.{kind}",
        purpose=purpose,
        person_id=person_id,
        object_type="person" if person_id is not None else "datasets",
        object_id=str(person_id) if person_id is not None else None,
        decision=summarise(decisions),
        agreement_ids=tuple(d.agreement_id for d in used if d.agreement_id is not None),
        break_glass=any(d.break_glass for d in decisions),
        details={
            "asked": {"detail": request.detail.label, "aggregation": request.aggregation.label},
            "datasets": _decision_details(decisions),
            "agreement_versions": {str(d.agreement_id): d.agreement_version for d in used},
            "break_glass_grant": grant_id if any(d.break_glass for d in decisions) else None,
            **(dict(extra) if extra else {}),
        },
    )


def _inputs_query(with_grants: bool) -> Select[Any]:
    """Everything a decision about some (surviving) persons needs from the store, in one
    statement (`roots`: their ids): a row per (person, record) of each person and the
    persons merged into them (a recursive CTE; UNION, not UNION ALL, so a cycle in bad data
    ends it), with the record's dataset and provider, whether the consent register has any
    entry about that person or record, the fingerprint of the agreements in force and, with
    `with_grants`, whether `user_id` acting for `organisation_id` holds a break-glass grant
    about that person unexpired at `now`. A merged-in person without records still has a row
    (record NULL), for their person-level consents and grants. The two flags let the
    decision skip the consent and grant queries when they could return nothing."""
    persons, links = Person.__table__, PersonLink.__table__
    records, datasets, consents = SourceRecord.__table__, Dataset.__table__, Consent.__table__
    grants = BreakGlass.__table__
    family = (
        select(persons.c.id.label("root"), persons.c.id.label("member"))
        .where(persons.c.id.in_(bindparam("roots", expanding=True)))
        .cte("family", recursive=True)
    )
    family = family.union(
        select(family.c.root, persons.c.id).where(persons.c.merged_into_id == family.c.member)
    )
    has_consent = exists().where(consents.c.person_id == family.c.member) | exists().where(
        consents.c.source_record_id == records.c.id
    )
    has_grant = (
        exists().where(
            grants.c.person_id == family.c.member,
            grants.c.user_id == bindparam("user_id"),
            grants.c.organisation_id == bindparam("organisation_id"),
            grants.c.granted_at <= bindparam("now", type_=grants.c.granted_at.type),
            grants.c.expires_at > bindparam("now", type_=grants.c.expires_at.type),
        )
        if with_grants
        else literal(False)
    )
    return (
        select(
            family.c.root,
            family.c.member,
            records.c.id,
            datasets.c.id,
            datasets.c.organisation_id,
            has_consent,
            has_grant,
            terms_fingerprint(),
        )
        .select_from(family)
        .outerjoin(links, links.c.person_id == family.c.member)
        .outerjoin(records, records.c.id == links.c.source_record_id)
        .outerjoin(datasets, datasets.c.id == records.c.dataset_id)
        .order_by(datasets.c.organisation_id, datasets.c.id, family.c.root)
    )


# Built once: composing a statement costs more Python than running it does.
_INPUTS = {False: _inputs_query(False), True: _inputs_query(True)}


class DecisionOptions(TypedDict, total=False):
    """The optional keywords of every person decision (defaults in `_decide_persons`):
    `kind` ("person_view"), `detail` (full), `aggregation` (person-level), `dataset_ids`
    (all the person's datasets), `now`, and `details` for the audit entry."""

    kind: str
    detail: Detail | str
    aggregation: Aggregation | str
    dataset_ids: Iterable[int] | None
    now: dt.datetime | None
    details: Mapping[str, Any] | None


def decide_for_persons(
    store: EngineOrSession,
    principal: Principal,
    purpose: str,
    person_ids: Iterable[int],
    **options: Unpack[DecisionOptions],
) -> dict[int, PersonDecision]:
    """Decide and audit for several persons at once (one audit entry each), loading the
    agreements once. Keys are the ids asked for; a merged person is decided as its survivor.

    `dataset_ids` narrows the decision to those of the person's datasets; `details` adds
    what the caller is about to read to the audit entry (e.g. {"view": "known_to"}).
    """
    with (
        session_scope(store) as session,
        deciding_persons(session, principal, purpose, person_ids, **options) as pending,
    ):
        pass  # nothing to read: the entries are appended at once
    return {pid: p.decision for pid, p in pending.items()}


def _decide_persons(
    session: Session,
    principal: Principal,
    purpose: str,
    person_ids: Iterable[int],
    *,
    kind: str = "person_view",
    detail: Detail | str = Detail.FULL,
    aggregation: Aggregation | str = Aggregation.PERSON,
    dataset_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[int, tuple[PersonDecision, audit.AuditEntry]]:
    """The decisions (audit_seq 0) and the audit entry to write for each."""
    _check(purpose, kind)
    detail = Detail.parse(detail)
    aggregation = Aggregation.parse(aggregation)
    now = now or dt.datetime.now(dt.UTC)
    wanted = None if dataset_ids is None else set(dataset_ids)
    asked = list(dict.fromkeys(person_ids))
    persons: dict[int, Person] = {}
    for pid in asked:
        # Usually already in the session (the caller resolved the number): no statement.
        person = session.get(Person, pid)
        if person is None:
            raise NotFound(f"No person with id {pid}.")
        seen = {person.id}
        while person.merged_into_id is not None and person.merged_into_id not in seen:
            person = session.get_one(Person, person.merged_into_id)
            seen.add(person.id)
        persons[pid] = person
    # Each person first: a break-glass grant is recorded against family[...][0].
    family: dict[int, list[int]] = {p.id: [p.id] for p in persons.values()}
    records: dict[int, list[int]] = {}
    datasets: dict[int, dict[int, SourceDataset]] = {}
    asks_consent: set[int] = set()
    asks_grant: set[int] = set()
    may_break_glass = purpose == BREAK_GLASS_PURPOSE and principal.has(BREAK_GLASS_ROLE)
    with_grants = may_break_glass and kind == "person_view"
    params: dict[str, Any] = {"roots": sorted(family)}
    if with_grants:
        params.update(user_id=principal.user_id, organisation_id=principal.organisation_id)
        params["now"] = now
    rows = session.execute(_INPUTS[with_grants], params).all()
    # () when there are no rows (no such person): terms_in_force then reads it apart.
    fingerprint: str | tuple[()] | None = rows[0][-1] if rows else ()
    for root, member, record_id, dataset_id, org_id, has_consent, has_grant, _ in rows:
        if member not in family[root]:
            family[root].append(member)
        if has_consent:
            asks_consent.add(root)
        if has_grant:
            asks_grant.add(root)
        if record_id is None:
            continue
        records.setdefault(root, []).append(record_id)
        if wanted is None or dataset_id in wanted:
            datasets.setdefault(root, {})[dataset_id] = SourceDataset(org_id, dataset_id)
    providers = {ds.organisation_id for by in datasets.values() for ds in by.values()}
    index = AgreementIndex.build(terms_in_force(session, providers, fingerprint))
    requester = principal.requester()
    out: dict[int, tuple[PersonDecision, audit.AuditEntry]] = {}
    for pid in asked:
        person = persons[pid]
        consents = (
            load_consents(session, family[person.id], records.get(person.id, []))
            if person.id in asks_consent
            else []
        )
        grant = (
            active_grant(
                session, principal.user_id, principal.organisation_id, family[person.id], now
            )
            if with_grants and person.id in asks_grant
            else None
        )
        request = Request(
            kind, tuple(datasets.get(person.id, {}).values()), detail, aggregation, person.id
        )
        decisions = decide(requester, purpose, request, index, consents, grant, now)
        entry = _audit_entry(
            principal,
            purpose,
            kind,
            request,
            decisions,
            person.id,
            details,
            grant.grant_id if grant else None,
        )
        out[pid] = (PersonDecision(person.id, person.person_number, decisions, 0), entry)
    return out


def decide_for_person(
    store: EngineOrSession,
    principal: Principal,
    purpose: str,
    person_id: int,
    **options: Unpack[DecisionOptions],
) -> PersonDecision:
    """What `principal` may have from each of the person's source datasets, for `purpose`;
    the decision is written to the audit log (in `store`'s transaction when it is a Session)."""
    return decide_for_persons(store, principal, purpose, [person_id], **options)[person_id]


class PendingView:
    """A person decision whose audit entry is written when the read it allows is done
    (see `deciding_person`): `decision` while reading, `audit_seq` afterwards."""

    def __init__(self, decision: PersonDecision) -> None:
        self.decision = decision
        self.audit_seq = 0


@contextmanager
def deciding_persons(
    session: Session,
    principal: Principal,
    purpose: str,
    person_ids: Iterable[int],
    **options: Unpack[DecisionOptions],
) -> Iterator[dict[int, PendingView]]:
    """`decide_for_persons`, with the audit entries appended when the block ends, in the same
    transaction (keys: the ids asked for):

        with deciding_persons(session, principal, purpose, ids) as pending:
            rows = read({pid: p.decision.allowed for pid, p in pending.items()})
        view = build(rows, pending)      # then commit the session

    Same guarantee as deciding them first (the entries commit exactly when the read does;
    if the block raises, nothing is appended and the caller rolls back), with the chain's
    lock held for less time: appends are serialised from the head's claim to the commit, so
    the read is done before the claim instead of while holding it."""
    decided = _decide_persons(session, principal, purpose, person_ids, **options)
    pending = {pid: PendingView(decision) for pid, (decision, _) in decided.items()}
    yield pending
    for pid, (decision, entry) in decided.items():
        seq = audit.append(session, entry).seq
        pending[pid].audit_seq = seq
        pending[pid].decision = replace(decision, audit_seq=seq)


@contextmanager
def deciding_person(
    session: Session,
    principal: Principal,
    purpose: str,
    person_id: int,
    **options: Unpack[DecisionOptions],
) -> Iterator[PendingView]:
    """`deciding_persons` for one person:

    with deciding_person(session, principal, purpose, person.id) as pending:
        rows = read(pending.decision.allowed)
    view = build(rows, pending.audit_seq)      # then commit the session
    """
    with deciding_persons(session, principal, purpose, [person_id], **options) as pending:
        yield pending[person_id]


def decide_for_datasets(
    store: EngineOrSession,
    principal: Principal,
    purpose: str,
    dataset_ids: Iterable[int],
    *,
    kind: str = "aggregate",
    detail: Detail | str = Detail.CODED,
    aggregation: Aggregation | str = Aggregation.WARD,
    now: dt.datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> DatasetsDecision:
    """Decide and audit a use of whole datasets that is not about one person (counts,
    bulk exports). Consent is per person, so callers exporting person-level rows must also
    honour each person's register (decide_for_persons does)."""
    _check(purpose, kind)
    detail = Detail.parse(detail)
    aggregation = Aggregation.parse(aggregation)
    now = now or dt.datetime.now(dt.UTC)
    with session_scope(store) as session:
        wanted = sorted(set(dataset_ids))
        found = dict(
            session.execute(
                select(Dataset.id, Dataset.organisation_id).where(Dataset.id.in_(wanted))
            ).all()
        )
        missing = [d for d in wanted if d not in found]
        if missing:
            raise NotFound(f"No dataset with id {missing[0]}.")
        request = Request(
            kind, tuple(SourceDataset(found[d], d) for d in wanted), detail, aggregation, None
        )
        index = AgreementIndex.build(terms_in_force(session, set(found.values())))
        decisions = decide(principal.requester(), purpose, request, index, (), None, now)
        seq = audit.append(
            session,
            _audit_entry(principal, purpose, kind, request, decisions, None, details, None),
        ).seq
        return DatasetsDecision(decisions, seq)
