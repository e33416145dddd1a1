"""Break-glass: emergency access for a practitioner safeguarding a person.

A practitioner asks with a written justification and gets a time-limited grant for one
person, up to a chosen detail. The grant is written to the audit log, the data owners of every
other organisation holding records about the person are notified, and the grant waits in the
review list until a data owner of one of those organisations (or a partnership admin) records
whether it was appropriate. The policy decision point applies the grant
(`joinedup.domain.policy`) and flags every decision that used it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.domain.levels import Detail
from joinedup.domain.policy import BREAK_GLASS_PURPOSE, BREAK_GLASS_ROLE, BreakGlassGrant
from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.auth import Principal
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    person_by_number,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.governance import (
    BreakGlass,
    GovernanceNotification,
    User,
    UserRole,
)
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord

MIN_JUSTIFICATION = 40  # characters: a sentence, not "urgent"
MAX_HOURS = 24
REVIEW_OUTCOMES = ("appropriate", "inappropriate")


@dataclass(frozen=True)
class BreakGlassView:
    id: int
    user: str
    organisation: str
    person_number: str
    detail: str
    justification: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    notified: tuple[str, ...]
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_outcome: str | None
    review_note: str | None


def _provider_orgs(session: Session, person_id: int) -> list[int]:
    return sorted(
        set(
            session.scalars(
                select(Dataset.organisation_id)
                .join(SourceRecord, SourceRecord.dataset_id == Dataset.id)
                .join(PersonLink, PersonLink.source_record_id == SourceRecord.id)
                .where(PersonLink.person_id == person_id)
            )
        )
    )


def request_break_glass(
    store: EngineOrSession,
    principal: Principal,
    person_number: str,
    justification: str,
    *,
    detail: str = "full",
    hours: int = 4,
    now: dt.datetime | None = None,
) -> int:
    """Grant `principal` emergency access to one person for `hours`; returns the grant id."""
    if not principal.has(BREAK_GLASS_ROLE):
        raise Forbidden("Only a practitioner may break glass.")
    text = " ".join(justification.split())
    if len(text) < MIN_JUSTIFICATION:
        raise InvalidInput(
            f"Write a justification of at least {MIN_JUSTIFICATION} characters: "
            "what the risk is and why the agreements do not give enough."
        )
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidInput(f"A break-glass grant lasts 1 to {MAX_HOURS} hours, not {hours}.")
    try:
        level = Detail.parse(detail)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if level == Detail.NONE:
        raise InvalidInput("A break-glass grant for no detail grants nothing.")
    now = now or dt.datetime.now(dt.UTC)
    with session_scope(store) as session:
        person = person_by_number(session, person_number)
        grant = BreakGlass(
            user_id=principal.user_id,
            organisation_id=principal.organisation_id,
            person_id=person.id,
            purpose=BREAK_GLASS_PURPOSE,
            detail=level.label,
            justification=text,
            granted_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
        session.add(grant)
        session.flush()
        providers = [
            o for o in _provider_orgs(session, person.id) if o != principal.organisation_id
        ]
        for org_id in providers:
            session.add(
                GovernanceNotification(
                    organisation_id=org_id,
                    role="data_owner",
                    kind="break_glass",
                    subject=f"Break-glass by {principal.username} ({principal.organisation_code})",
                    body=(
                        f"{principal.username} of {principal.organisation_code} broke glass to see "
                        f"person {person.person_number} at {level.label} detail until "
                        f"{grant.expires_at:%Y-%m-%d %H:%M} UTC. Justification: {text} "
                        f"Review it with `joinedup breakglass review {grant.id}`."
                    ),
                    break_glass_id=grant.id,
                    created_at=now,
                )
            )
        audit.append(
            session,
            audit.AuditEntry.by(
                principal,
                "breakglass.request",
                purpose=BREAK_GLASS_PURPOSE,
                person_id=person.id,
                object_type="break_glass",
                object_id=str(grant.id),
                decision="granted",
                break_glass=True,
                details={
                    "detail": level.label,
                    "hours": hours,
                    "justification": text,
                    "notified_organisations": providers,
                },
            ),
        )
        return grant.id


def active_grant(
    session: Session,
    user_id: int,
    organisation_id: int,
    person_ids: Sequence[int],
    now: dt.datetime,
) -> BreakGlassGrant | None:
    """The user's unexpired grant for one of these persons (latest expiry), if any."""
    row = session.scalars(
        select(BreakGlass)
        .where(
            BreakGlass.user_id == user_id,
            BreakGlass.organisation_id == organisation_id,
            BreakGlass.person_id.in_(person_ids),
            BreakGlass.granted_at <= now,
            BreakGlass.expires_at > now,
        )
        .order_by(BreakGlass.expires_at.desc())
    ).first()
    if row is None:
        return None
    return BreakGlassGrant(
        grant_id=row.id,
        user_id=row.user_id,
        organisation_id=row.organisation_id,
        # The grant covers the person the request is about, even when asked for by a number
        # that has since been merged into it.
        person_id=person_ids[0],
        purpose=row.purpose,
        detail=Detail.parse(row.detail),
        granted_at=row.granted_at,
        expires_at=row.expires_at,
    )


def _view(session: Session, row: BreakGlass) -> BreakGlassView:
    notified = session.scalars(
        select(Organisation.code)
        .join(GovernanceNotification, GovernanceNotification.organisation_id == Organisation.id)
        .where(GovernanceNotification.break_glass_id == row.id)
        .order_by(Organisation.code)
    ).all()
    return BreakGlassView(
        id=row.id,
        user=session.get_one(User, row.user_id).username,
        organisation=session.get_one(Organisation, row.organisation_id).code,
        person_number=session.get_one(Person, row.person_id).person_number,
        detail=row.detail,
        justification=row.justification,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
        notified=tuple(notified),
        reviewed_at=row.reviewed_at,
        reviewed_by=session.get_one(User, row.reviewed_by_user_id).username
        if row.reviewed_by_user_id
        else None,
        review_outcome=row.review_outcome,
        review_note=row.review_note,
    )


def list_break_glass(
    store: EngineOrSession, *, pending_only: bool = False, organisation_code: str | None = None
) -> list[BreakGlassView]:
    """Grants, newest first; `pending_only` gives the review list. With an organisation,
    only grants that notified it (its data owners' review list)."""
    with session_scope(store) as session:
        stmt = select(BreakGlass).order_by(BreakGlass.granted_at.desc(), BreakGlass.id.desc())
        if pending_only:
            stmt = stmt.where(BreakGlass.reviewed_at.is_(None))
        if organisation_code is not None:
            org = organisation_by_code(session, organisation_code)
            stmt = stmt.where(
                BreakGlass.id.in_(
                    select(GovernanceNotification.break_glass_id).where(
                        GovernanceNotification.organisation_id == org.id
                    )
                )
            )
        return [_view(session, row) for row in session.scalars(stmt)]


def review_break_glass(
    store: EngineOrSession, grant_id: int, *, actor: str, outcome: str, note: str
) -> None:
    """Record a data owner's (or partnership admin's) review of a grant."""
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(f"A review outcome is {' or '.join(REVIEW_OUTCOMES)}, not {outcome!r}.")
    if not note.strip():
        raise InvalidInput("Write a note saying what the review found.")
    with session_scope(store) as session:
        row = session.get(BreakGlass, grant_id)
        if row is None:
            raise NotFound(f"No break-glass grant {grant_id}.")
        if row.reviewed_at is not None:
            raise Conflict(f"Break-glass grant {grant_id} was already reviewed.")
        user = user_by_username(session, actor)
        if user.id == row.user_id:
            raise Forbidden("Nobody reviews their own break-glass.")
        notified = set(
            session.scalars(
                select(GovernanceNotification.organisation_id).where(
                    GovernanceNotification.break_glass_id == row.id
                )
            )
        )
        held = session.execute(
            select(UserRole.role, UserRole.organisation_id).where(UserRole.user_id == user.id)
        ).all()
        if not any(
            role == "partnership_admin" or (role == "data_owner" and org in notified)
            for role, org in held
        ):
            raise Forbidden(
                "Only a data owner of an organisation whose records were opened, or a "
                "partnership admin, may review this grant."
            )
        row.reviewed_at = dt.datetime.now(dt.UTC)
        row.reviewed_by_user_id = user.id
        row.review_outcome = outcome
        row.review_note = note
        audit.append(
            session,
            audit.AuditEntry(
                action="breakglass.review",
                actor=user.username,
                actor_user_id=user.id,
                person_id=row.person_id,
                object_type="break_glass",
                object_id=str(row.id),
                decision=outcome,
                break_glass=True,
                details={"note": note},
            ),
        )
