"""Data-sharing agreements: drafting, versions, approval by the provider's data owner,
suspension and ending, and loading the terms the policy decision point needs.

An agreement (a code and a provider organisation) has numbered versions. Every change is a
new version, drafted and then approved; earlier versions are kept with their status:
draft -> active -> suspended -> ended, and `superseded` once a newer version is approved
(or, for a draft, once a newer draft replaces it). At most one version is active or
suspended at a time. Only a data owner of the provider organisation may approve or resume;
a partnership admin may also draft, suspend and end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from joinedup.domain.levels import Aggregation, Detail
from joinedup.domain.policy import LEGAL_BASES, PURPOSES, ROLES, AgreementTerms
from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.governance import (
    Agreement,
    AgreementDataset,
    AgreementRecipient,
    AgreementVersion,
    User,
    UserRole,
)

LIVE = ("active", "suspended")
REQUIRED = (
    "title",
    "datasets",
    "purposes",
    "max_detail",
    "finest_aggregation",
    "legal_basis",
    "valid_from",
)


@dataclass(frozen=True)
class AgreementChange:
    """Terms for a new version; on a revision, None keeps the previous version's value."""

    title: str | None = None
    datasets: tuple[str, ...] | None = None  # provider dataset codes
    recipient_organisations: tuple[str, ...] | None = None  # organisation codes
    recipient_roles: tuple[str, ...] | None = None
    purposes: tuple[str, ...] | None = None
    max_detail: str | None = None
    finest_aggregation: str | None = None
    legal_basis: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    clear_valid_to: bool = False
    change_note: str | None = None


@dataclass(frozen=True)
class AgreementView:
    """One version of an agreement, in the words people use."""

    code: str
    provider: str
    version: int
    status: str
    title: str
    datasets: tuple[str, ...]
    recipient_organisations: tuple[str, ...]
    recipient_roles: tuple[str, ...]
    purposes: tuple[str, ...]
    max_detail: str
    finest_aggregation: str
    legal_basis: str
    valid_from: dt.date
    valid_to: dt.date | None
    created_at: dt.datetime
    created_by: str | None
    approved_at: dt.datetime | None
    approved_by: str | None
    status_reason: str | None
    change_note: str | None


def _roles_of(session: Session, user: User) -> list[tuple[str, int]]:
    return [
        (role, org)
        for role, org in session.execute(
            select(UserRole.role, UserRole.organisation_id).where(UserRole.user_id == user.id)
        )
    ]


def _require(session: Session, actor: str, provider_id: int, *, allow_admin: bool) -> User:
    user = user_by_username(session, actor)
    held = _roles_of(session, user)
    if ("data_owner", provider_id) in held:
        return user
    if allow_admin and any(role == "partnership_admin" for role, _ in held):
        return user
    who = "a data owner of the provider" + (" or a partnership admin" if allow_admin else "")
    raise Forbidden(f"Only {who} may do this; {actor!r} is neither.")


def _check_terms(session: Session, provider: Organisation, change: AgreementChange) -> None:
    """Every field of a complete version is present and valid."""
    missing = [name for name in REQUIRED if getattr(change, name) is None]
    if missing:
        raise InvalidInput(f"The agreement lacks: {', '.join(missing)}.")
    assert change.datasets is not None and change.purposes is not None
    if not change.datasets:
        raise InvalidInput("An agreement shares at least one dataset.")
    if not (change.recipient_organisations or change.recipient_roles):
        raise InvalidInput("An agreement names at least one recipient organisation or role.")
    for purpose in change.purposes:
        if purpose not in PURPOSES:
            raise InvalidInput(f"Unknown purpose {purpose!r}; purposes are {', '.join(PURPOSES)}.")
    if not change.purposes:
        raise InvalidInput("An agreement lists at least one purpose.")
    for role in change.recipient_roles or ():
        if role not in ROLES:
            raise InvalidInput(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    try:
        detail = Detail.parse(change.max_detail or "")
        Aggregation.parse(change.finest_aggregation or "")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if detail == Detail.NONE:
        raise InvalidInput(
            "An agreement that shares no detail shares nothing; use known_to or more."
        )
    if change.legal_basis not in LEGAL_BASES:
        raise InvalidInput(
            f"Unknown legal basis {change.legal_basis!r}; use one of {', '.join(LEGAL_BASES)}."
        )
    if change.valid_to is not None and change.valid_from and change.valid_to < change.valid_from:
        raise InvalidInput("The agreement ends before it starts.")
    if provider.code in (change.recipient_organisations or ()):
        raise InvalidInput("The provider already sees its own records; it is not a recipient.")


def _write_version(
    session: Session,
    agreement: Agreement,
    provider: Organisation,
    number: int,
    change: AgreementChange,
    creator: User | None,
) -> AgreementVersion:
    _check_terms(session, provider, change)
    assert change.datasets is not None and change.purposes is not None
    version = AgreementVersion(
        agreement_id=agreement.id,
        version=number,
        title=change.title,
        purposes=sorted(set(change.purposes)),
        max_detail=Detail.parse(change.max_detail or "").label,
        finest_aggregation=Aggregation.parse(change.finest_aggregation or "").label,
        legal_basis=change.legal_basis,
        valid_from=change.valid_from,
        valid_to=change.valid_to,
        status="draft",
        change_note=change.change_note,
        created_by_user_id=creator.id if creator else None,
    )
    session.add(version)
    session.flush()
    for code in sorted(set(change.datasets)):
        ds = session.scalars(
            select(Dataset).where(Dataset.organisation_id == provider.id, Dataset.code == code)
        ).one_or_none()
        if ds is None:
            raise InvalidInput(f"{provider.code} has no dataset {code!r} to share.")
        session.add(AgreementDataset(agreement_version_id=version.id, dataset_id=ds.id))
    for code in sorted(set(change.recipient_organisations or ())):
        org = organisation_by_code(session, code)
        session.add(AgreementRecipient(agreement_version_id=version.id, organisation_id=org.id))
    for role in sorted(set(change.recipient_roles or ())):
        session.add(AgreementRecipient(agreement_version_id=version.id, role=role))
    session.flush()
    return version


def _agreement(session: Session, code: str) -> Agreement:
    found = session.scalars(select(Agreement).where(Agreement.code == code)).one_or_none()
    if found is None:
        raise NotFound(f"No agreement {code!r}.", hint="List them with `joinedup agreement list`.")
    return found


def _versions(session: Session, agreement_id: int) -> list[AgreementVersion]:
    return list(
        session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.agreement_id == agreement_id)
            .order_by(AgreementVersion.version)
        )
    )


def _audit(
    session: Session,
    user: User | None,
    action: str,
    agreement: Agreement,
    version: AgreementVersion,
    **details: object,
) -> None:
    audit.append(
        session,
        audit.AuditEntry(
            action=action,
            actor=user.username if user else audit.SYSTEM_ACTOR,
            actor_user_id=user.id if user else None,
            organisation_id=agreement.provider_organisation_id,
            object_type="agreement",
            object_id=agreement.code,
            agreement_ids=(agreement.id,),
            details={"version": version.version, "status": version.status, **details},
        ),
    )


def create_agreement(
    store: EngineOrSession,
    code: str,
    provider_code: str,
    change: AgreementChange,
    *,
    actor: str,
) -> int:
    """Draft version 1 of a new agreement; returns the agreement id."""
    code = code.strip()
    if not code:
        raise InvalidInput("An agreement needs a code.")
    with session_scope(store) as session:
        provider = organisation_by_code(session, provider_code)
        user = _require(session, actor, provider.id, allow_admin=True)
        if session.scalars(select(Agreement.id).where(Agreement.code == code)).first():
            raise Conflict(f"Agreement {code!r} already exists; revise it instead.")
        agreement = Agreement(code=code, provider_organisation_id=provider.id)
        session.add(agreement)
        session.flush()
        version = _write_version(session, agreement, provider, 1, change, user)
        _audit(session, user, "agreement.create", agreement, version)
        return agreement.id


def _as_change(session: Session, version: AgreementVersion) -> AgreementChange:
    view = _view(session, version)
    return AgreementChange(
        title=view.title,
        datasets=view.datasets,
        recipient_organisations=view.recipient_organisations,
        recipient_roles=view.recipient_roles,
        purposes=view.purposes,
        max_detail=view.max_detail,
        finest_aggregation=view.finest_aggregation,
        legal_basis=view.legal_basis,
        valid_from=view.valid_from,
        valid_to=view.valid_to,
    )


def revise_agreement(
    store: EngineOrSession, code: str, change: AgreementChange, *, actor: str
) -> int:
    """Draft a new version from the latest one with `change` applied; returns its number.

    The version in force stays in force until the new one is approved.
    """
    with session_scope(store) as session:
        agreement = _agreement(session, code)
        provider = session.get_one(Organisation, agreement.provider_organisation_id)
        user = _require(session, actor, provider.id, allow_admin=True)
        versions = _versions(session, agreement.id)
        latest = versions[-1]
        merged = _as_change(session, latest)
        updates = {
            f.name: getattr(change, f.name)
            for f in fields(change)
            if getattr(change, f.name) is not None
            and f.name not in {"clear_valid_to", "change_note"}
        }
        merged = replace(merged, **updates, change_note=change.change_note)
        if change.clear_valid_to:
            merged = replace(merged, valid_to=None)
        for old in versions:
            if old.status == "draft":
                old.status = "superseded"
                old.status_changed_at = dt.datetime.now(dt.UTC)
                old.status_reason = f"replaced by draft version {latest.version + 1}"
        version = _write_version(session, agreement, provider, latest.version + 1, merged, user)
        _audit(session, user, "agreement.revise", agreement, version, note=change.change_note)
        return version.version


def approve_agreement(store: EngineOrSession, code: str, *, actor: str) -> int:
    """Put the latest draft in force (only a data owner of the provider may); returns its
    version number. The version it replaces becomes `superseded`."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(store) as session:
        agreement = _agreement(session, code)
        user = _require(session, actor, agreement.provider_organisation_id, allow_admin=False)
        versions = _versions(session, agreement.id)
        draft = versions[-1]
        if draft.status != "draft":
            raise Conflict(
                f"{code} has no draft to approve (version {draft.version} is {draft.status})."
            )
        for old in versions[:-1]:
            if old.status in LIVE:
                old.status = "superseded"
                old.status_changed_at = now
                old.status_reason = f"replaced by version {draft.version}"
        draft.status = "active"
        draft.approved_by_user_id = user.id
        draft.approved_at = now
        draft.status_changed_at = now
        session.flush()
        _audit(session, user, "agreement.approve", agreement, draft)
        return draft.version


def _live_version(session: Session, agreement: Agreement) -> AgreementVersion:
    live = [v for v in _versions(session, agreement.id) if v.status in LIVE]
    if not live:
        raise Conflict(f"{agreement.code} has no version in force.")
    return live[-1]


def _set_status(
    store: EngineOrSession,
    code: str,
    actor: str,
    reason: str | None,
    *,
    allowed_from: Sequence[str],
    to: str,
    allow_admin: bool,
) -> int:
    with session_scope(store) as session:
        agreement = _agreement(session, code)
        user = _require(session, actor, agreement.provider_organisation_id, allow_admin=allow_admin)
        version = _live_version(session, agreement)
        if version.status not in allowed_from:
            raise Conflict(
                f"{code} version {version.version} is {version.status}; cannot make it {to}."
            )
        version.status = to
        version.status_changed_at = dt.datetime.now(dt.UTC)
        version.status_reason = reason
        session.flush()
        _audit(session, user, f"agreement.{to}", agreement, version, reason=reason)
        return version.version


def suspend_agreement(store: EngineOrSession, code: str, *, actor: str, reason: str) -> int:
    """Stop sharing at once (active -> suspended)."""
    return _set_status(
        store, code, actor, reason, allowed_from=("active",), to="suspended", allow_admin=True
    )


def resume_agreement(
    store: EngineOrSession, code: str, *, actor: str, reason: str | None = None
) -> int:
    """suspended -> active (a data owner of the provider only)."""
    return _set_status(
        store, code, actor, reason, allowed_from=("suspended",), to="active", allow_admin=False
    )


def end_agreement(store: EngineOrSession, code: str, *, actor: str, reason: str) -> int:
    """End the agreement for good (active or suspended -> ended)."""
    return _set_status(store, code, actor, reason, allowed_from=LIVE, to="ended", allow_admin=True)


def _view(session: Session, version: AgreementVersion) -> AgreementView:
    agreement = session.get_one(Agreement, version.agreement_id)
    provider = session.get_one(Organisation, agreement.provider_organisation_id)
    datasets = session.scalars(
        select(Dataset.code)
        .join(AgreementDataset, AgreementDataset.dataset_id == Dataset.id)
        .where(AgreementDataset.agreement_version_id == version.id)
        .order_by(Dataset.code)
    ).all()
    recipients = session.execute(
        select(Organisation.code, AgreementRecipient.role)
        .outerjoin(Organisation, Organisation.id == AgreementRecipient.organisation_id)
        .where(AgreementRecipient.agreement_version_id == version.id)
    ).all()

    def username(user_id: int | None) -> str | None:
        return session.get_one(User, user_id).username if user_id else None

    return AgreementView(
        code=agreement.code,
        provider=provider.code,
        version=version.version,
        status=version.status,
        title=version.title,
        datasets=tuple(datasets),
        recipient_organisations=tuple(sorted(c for c, _ in recipients if c)),
        recipient_roles=tuple(sorted(r for _, r in recipients if r)),
        purposes=tuple(version.purposes),
        max_detail=version.max_detail,
        finest_aggregation=version.finest_aggregation,
        legal_basis=version.legal_basis,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
        created_at=version.created_at,
        created_by=username(version.created_by_user_id),
        approved_at=version.approved_at,
        approved_by=username(version.approved_by_user_id),
        status_reason=version.status_reason,
        change_note=version.change_note,
    )


def agreement_history(store: EngineOrSession, code: str) -> list[AgreementView]:
    """Every version of an agreement, oldest first."""
    with session_scope(store) as session:
        agreement = _agreement(session, code)
        return [_view(session, v) for v in _versions(session, agreement.id)]


def list_agreements(
    store: EngineOrSession, *, provider_code: str | None = None, status: str | None = None
) -> list[AgreementView]:
    """Each agreement's current version: the one in force, else the latest."""
    with session_scope(store) as session:
        stmt = select(Agreement).order_by(Agreement.code)
        if provider_code:
            stmt = stmt.where(
                Agreement.provider_organisation_id
                == organisation_by_code(session, provider_code).id
            )
        out = []
        for agreement in session.scalars(stmt):
            versions = _versions(session, agreement.id)
            live = [v for v in versions if v.status in LIVE]
            current = live[-1] if live else versions[-1]
            if status is None or current.status == status:
                out.append(_view(session, current))
        return out


def load_terms(session: Session, provider_ids: Iterable[int] | None = None) -> list[AgreementTerms]:
    """The terms of every version in force or suspended (for the decision's reasons), from
    the given providers, in three queries whatever their number."""
    return _load_terms(session, provider_ids)[1]


def _load_terms(
    session: Session, provider_ids: Iterable[int] | None = None
) -> tuple[tuple[str, ...], list[AgreementTerms]]:
    """The terms, and the fingerprint of the versions they were read from (read in the same
    statement as the versions, so the two always agree; see `terms_in_force`)."""
    stmt = (
        select(AgreementVersion, Agreement, terms_fingerprint())
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(AgreementVersion.status.in_(LIVE))
    )
    if provider_ids is not None:
        stmt = stmt.where(Agreement.provider_organisation_id.in_(list(set(provider_ids))))
    rows = session.execute(stmt).all()
    if not rows:
        return (), []
    version_ids = [v.id for v, _, _ in rows]
    datasets: dict[int, set[int]] = {}
    for vid, did in session.execute(
        select(AgreementDataset.agreement_version_id, AgreementDataset.dataset_id).where(
            AgreementDataset.agreement_version_id.in_(version_ids)
        )
    ):
        datasets.setdefault(vid, set()).add(did)
    orgs: dict[int, set[int]] = {}
    roles: dict[int, set[str]] = {}
    for vid, org_id, role in session.execute(
        select(
            AgreementRecipient.agreement_version_id,
            AgreementRecipient.organisation_id,
            AgreementRecipient.role,
        ).where(AgreementRecipient.agreement_version_id.in_(version_ids))
    ):
        if org_id is not None:
            orgs.setdefault(vid, set()).add(org_id)
        if role is not None:
            roles.setdefault(vid, set()).add(role)
    terms = [
        AgreementTerms(
            agreement_id=a.id,
            version=v.version,
            code=a.code,
            provider_organisation_id=a.provider_organisation_id,
            dataset_ids=frozenset(datasets.get(v.id, ())),
            recipient_organisation_ids=frozenset(orgs.get(v.id, ())),
            recipient_roles=frozenset(roles.get(v.id, ())),
            purposes=frozenset(v.purposes),
            max_detail=Detail.parse(v.max_detail),
            finest_aggregation=Aggregation.parse(v.finest_aggregation),
            legal_basis=v.legal_basis,
            status=v.status,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
        )
        for v, a, _ in rows
    ]
    return fingerprint_key(rows[0][2]), terms


# ------------------------------------------------------------------ terms cached per process
#
# The terms of a version never change once written: a change to an agreement is a new
# version, and afterwards only a version's status moves (draft -> active -> suspended ->
# ended or superseded). So the set of (version id, status) of the versions in force or
# suspended says exactly which terms apply, and the terms loaded for one such set can be
# kept and reused while the set is the same. The set is read in the query a decision runs
# anyway (`terms_fingerprint()` is a scalar subquery), so every decision, in every worker
# process, sees an agreement change made anywhere from its next query on, and a cached
# decision costs no statement of its own. The creation time is in the fingerprint too, so a
# store emptied and refilled (ids reused, as tests do) never matches an old entry.

_TERMS_CACHE: dict[tuple[str, tuple[str, ...]], list[AgreementTerms]] = {}
_TERMS_CACHE_SIZE = 16


def terms_fingerprint() -> ColumnElement[str]:
    """A scalar subquery naming the versions in force or suspended and their status (in no
    particular order; `fingerprint_key` sorts it). NULL when there are none."""
    v = AgreementVersion.__table__.c
    item = (
        cast(v.id, String)
        + ":"
        + v.status
        + ":"
        + cast(v.created_at, String)
        + ":"
        + func.coalesce(cast(v.status_changed_at, String), "")
    )
    return (
        select(func.aggregate_strings(item, ","))
        .where(v.status.in_(LIVE))
        .scalar_subquery()
        .label("agreements_in_force")
    )


def fingerprint_key(value: str | None) -> tuple[str, ...]:
    return tuple(sorted(value.split(","))) if value else ()


def terms_in_force(
    session: Session,
    provider_ids: Iterable[int] | None = None,
    fingerprint: str | tuple[()] | None = (),
) -> list[AgreementTerms]:
    """`load_terms`, from the process cache when the agreements in force are those it was
    loaded for. `fingerprint` is the value of `terms_fingerprint()` read in the caller's
    transaction; left out, it is read here (one small statement)."""
    if fingerprint == ():
        fingerprint = session.execute(select(terms_fingerprint())).scalar_one_or_none()
    assert not isinstance(fingerprint, tuple)
    url = str(session.get_bind().engine.url)
    terms = _TERMS_CACHE.get((url, fingerprint_key(fingerprint)))
    if terms is None:
        # Kept under the fingerprint read with the terms themselves: if an agreement changed
        # since the caller's read, these are the newer terms, and they are never filed under
        # the older fingerprint.
        loaded_key, terms = _load_terms(session)
        if len(_TERMS_CACHE) >= _TERMS_CACHE_SIZE:
            _TERMS_CACHE.clear()
        _TERMS_CACHE[(url, loaded_key)] = terms
    if provider_ids is None:
        return list(terms)
    wanted = set(provider_ids)
    return [t for t in terms if t.provider_organisation_id in wanted]
