"""The policy decision point: one pure function that says what a requester may see.

`decide()` takes plain values (who asks, for which purpose, what is asked, the agreements,
the person's consents and refusals, a break-glass grant, the time) and returns one `Decision`
per source dataset: whether anything may be shared, the detail and aggregation allowed, the
agreement it rests on and the reasons in words a person can read. It does no I/O; the
governance service (`joinedup.governance.pdp`) loads the inputs from the store, calls it and
writes the audit entry. The rules, in the order they apply to each source dataset:

1. A requester acting for the organisation that provided the dataset sees its own records in
   full, whatever the agreements and consents say: the hub must never stop a partner from
   seeing what it uploaded.
2. Otherwise only an agreement *in force* counts: status `active` and today within its
   validity dates, the provider and dataset covered, the purpose listed, and the requester's
   organisation or one of the requester's roles named as a recipient.
3. Consent: under an agreement whose legal basis is `consent`, sharing needs a recorded
   permit for this recipient (or any recipient) and purpose (or any purpose). Under any other
   basis, a recorded refusal for this recipient (or any) and purpose (or any) blocks sharing.
   A refusal always wins over a permit; to change their mind the person's refusal is
   withdrawn.
4. The grant never exceeds what was asked nor what one agreement allows: detail is the
   lower of the two, aggregation the coarser. Person-level requests (`person_view`, `event`)
   need an agreement allowing `person` aggregation. When several agreements apply, the one
   giving the finest aggregation, then the most detail, is used (ties: lowest id).
5. Break-glass: a practitioner with a valid grant for this person, acting for the
   safeguarding purpose, gets a person view up to the detail of the grant where the
   agreements or a refusal would give less. Such decisions are flagged `break_glass`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from joinedup.domain.levels import Aggregation, Detail

ROLES: tuple[str, ...] = (
    "practitioner",
    "data_owner",
    "linkage_officer",
    "analyst",
    "org_admin",
    "partnership_admin",
)

PURPOSES: tuple[str, ...] = (
    "safeguarding",
    "care_coordination",
    "employment_support",
    "education_support",
    "housing_support",
    "service_planning",
    "research",
)

LEGAL_BASES: tuple[str, ...] = ("consent", "public_task", "legal_obligation", "vital_interests")

AGREEMENT_STATUSES: tuple[str, ...] = ("draft", "active", "suspended", "ended", "superseded")

REQUEST_KINDS: tuple[str, ...] = ("person_view", "aggregate", "export", "event")

# Kinds that are about one person: they can never be "coarsened" into counts.
PERSON_LEVEL_KINDS = frozenset({"person_view", "event"})

CONSENT_DECISIONS: tuple[str, ...] = ("permit", "deny")

BREAK_GLASS_PURPOSE = "safeguarding"
BREAK_GLASS_ROLE = "practitioner"

REASON_OWN = "your organisation's own record"
REASON_NOT_SHARED = "not shared under your agreements"
REASON_REFUSED = "the person has refused sharing with you"
REASON_CONSENT_REQUIRED = "consent required and not recorded"
REASON_BREAK_GLASS = "break-glass"
REASON_NOTHING_ASKED = "no detail was asked for"


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks: a user acting for one organisation, with the roles held there."""

    user_id: int
    organisation_id: int
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class SourceDataset:
    """A dataset holding records about the person, and the organisation that provided it."""

    organisation_id: int
    dataset_id: int


@dataclass(frozen=True, slots=True)
class Request:
    """What is asked: the kind of use, the source datasets, and the levels wanted."""

    kind: str
    datasets: tuple[SourceDataset, ...]
    detail: Detail = Detail.FULL
    aggregation: Aggregation = Aggregation.PERSON
    person_id: int | None = None


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """One version of a data-sharing agreement, as the decision needs it."""

    agreement_id: int
    version: int
    code: str
    provider_organisation_id: int
    dataset_ids: frozenset[int]
    recipient_organisation_ids: frozenset[int]
    recipient_roles: frozenset[str]
    purposes: frozenset[str]
    max_detail: Detail
    finest_aggregation: Aggregation
    legal_basis: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None = None

    def in_force(self, today: dt.date) -> bool:
        return (
            self.status == "active"
            and self.valid_from <= today
            and (self.valid_to is None or today <= self.valid_to)
        )

    def names_recipient(self, requester: Requester) -> bool:
        return requester.organisation_id in self.recipient_organisation_ids or not (
            self.recipient_roles.isdisjoint(requester.roles)
        )


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """A person's recorded permit or refusal.

    `None` recipient or purpose means "any"; `dataset_id` narrows an entry recorded against
    one source record to the dataset that record belongs to.
    """

    decision: str
    recipient_organisation_id: int | None = None
    purpose: str | None = None
    dataset_id: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    withdrawn: bool = False
    consent_id: int = 0

    def applies(self, requester: Requester, purpose: str, dataset_id: int, today: dt.date) -> bool:
        return (
            not self.withdrawn
            and (
                self.recipient_organisation_id is None
                or self.recipient_organisation_id == requester.organisation_id
            )
            and (self.purpose is None or self.purpose == purpose)
            and (self.dataset_id is None or self.dataset_id == dataset_id)
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_to is None or today <= self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class BreakGlassGrant:
    """A time-limited emergency grant for one practitioner, one person, safeguarding."""

    grant_id: int
    user_id: int
    organisation_id: int
    person_id: int
    purpose: str
    detail: Detail
    granted_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """What may be had from one source dataset, and why."""

    dataset: SourceDataset
    allowed: bool
    detail: Detail
    aggregation: Aggregation | None
    reasons: tuple[str, ...]
    agreement_id: int | None = None
    agreement_version: int | None = None
    break_glass: bool = False
    own_organisation: bool = False


@dataclass(slots=True)
class AgreementIndex:
    """Agreements grouped by (provider organisation, dataset), built once per batch of
    decisions so each decision only looks at the few agreements that can apply."""

    by_dataset: dict[tuple[int, int], list[AgreementTerms]] = field(default_factory=dict)

    @classmethod
    def build(cls, agreements: Iterable[AgreementTerms]) -> AgreementIndex:
        index = cls()
        for terms in agreements:
            for dataset_id in terms.dataset_ids:
                key = (terms.provider_organisation_id, dataset_id)
                index.by_dataset.setdefault(key, []).append(terms)
        for group in index.by_dataset.values():
            group.sort(key=lambda t: t.agreement_id)
        return index

    def for_dataset(self, dataset: SourceDataset) -> list[AgreementTerms]:
        return self.by_dataset.get((dataset.organisation_id, dataset.dataset_id), [])


def decide(
    requester: Requester,
    purpose: str,
    request: Request,
    agreements: Sequence[AgreementTerms] | AgreementIndex,
    consents: Sequence[ConsentEntry] = (),
    break_glass: BreakGlassGrant | None = None,
    now: dt.datetime | None = None,
) -> tuple[Decision, ...]:
    """One `Decision` per dataset of `request`, in the same order (see the module rules)."""
    if request.kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {request.kind!r}")
    if now is None:
        raise ValueError("decide() needs the time: pass now=")
    index = (
        agreements if isinstance(agreements, AgreementIndex) else AgreementIndex.build(agreements)
    )
    today = now.date()
    glass_problem = _break_glass_problem(requester, purpose, request, break_glass, now)
    return tuple(
        _decide_one(
            requester, purpose, request, ds, index, consents, break_glass, glass_problem, today
        )
        for ds in request.datasets
    )


def _break_glass_problem(
    requester: Requester,
    purpose: str,
    request: Request,
    grant: BreakGlassGrant | None,
    now: dt.datetime,
) -> str | None:
    """None when `grant` may lift this request; otherwise why it may not."""
    if grant is None:
        return "no break-glass grant"
    if grant.user_id != requester.user_id or grant.organisation_id != requester.organisation_id:
        return "the break-glass grant belongs to someone else"
    if BREAK_GLASS_ROLE not in requester.roles:
        return "break-glass is for practitioners"
    if purpose != BREAK_GLASS_PURPOSE or grant.purpose != BREAK_GLASS_PURPOSE:
        return "break-glass is for safeguarding only"
    if request.kind != "person_view":
        return "break-glass covers person views only"
    if request.person_id is None or grant.person_id != request.person_id:
        return "the break-glass grant is for another person"
    if not grant.granted_at <= now < grant.expires_at:
        return "the break-glass grant has expired"
    return None


def _decide_one(
    requester: Requester,
    purpose: str,
    request: Request,
    ds: SourceDataset,
    index: AgreementIndex,
    consents: Sequence[ConsentEntry],
    grant: BreakGlassGrant | None,
    glass_problem: str | None,
    today: dt.date,
) -> Decision:
    asked_detail = request.detail
    person_level = request.kind in PERSON_LEVEL_KINDS
    asked_agg = Aggregation.PERSON if person_level else request.aggregation
    if asked_detail == Detail.NONE:
        return Decision(ds, False, Detail.NONE, None, (REASON_NOTHING_ASKED,))
    if ds.organisation_id == requester.organisation_id:
        return Decision(ds, True, asked_detail, asked_agg, (REASON_OWN,), own_organisation=True)

    candidates = [
        terms
        for terms in index.for_dataset(ds)
        if purpose in terms.purposes and terms.names_recipient(requester) and terms.in_force(today)
    ]
    reasons: list[str] = []
    usable: list[AgreementTerms] = []
    if not candidates:
        reasons.append(_why_not_shared(requester, purpose, ds, index, today))
    else:
        refused = permitted = False
        for consent in consents:
            if consent.applies(requester, purpose, ds.dataset_id, today):
                if consent.decision == "deny":
                    refused = True
                elif consent.decision == "permit":
                    permitted = True
        if refused:
            reasons.append(REASON_REFUSED)
        else:
            usable = [t for t in candidates if t.legal_basis != "consent" or permitted]
            if not usable:
                reasons.append(REASON_CONSENT_REQUIRED)

    best: AgreementTerms | None = None
    best_key: tuple[int, int] | None = None
    for terms in usable:
        if terms.max_detail == Detail.NONE:
            continue
        if person_level and terms.finest_aggregation != Aggregation.PERSON:
            continue
        key = (-max(asked_agg, terms.finest_aggregation), min(asked_detail, terms.max_detail))
        if best_key is None or key > best_key:
            best, best_key = terms, key
    if usable and best is None:
        detailed = [t for t in usable if t.max_detail != Detail.NONE]
        if detailed:
            floor = min(t.finest_aggregation for t in detailed)
            reasons.append(
                f"your agreements allow only aggregates ({floor.label} or coarser), "
                "not person-level data"
            )
        else:
            reasons.append(f"{REASON_NOT_SHARED}: they allow no detail")

    decision: Decision
    if best is not None:
        detail = min(asked_detail, best.max_detail)
        agg = max(asked_agg, best.finest_aggregation)
        reasons.append(f"shared under agreement {best.code} v{best.version}")
        if detail < asked_detail:
            reasons.append(f"detail limited to {detail.label} by agreement {best.code}")
        if agg > asked_agg:
            reasons.append(f"aggregation coarsened to {agg.label} by agreement {best.code}")
        decision = Decision(
            ds,
            True,
            Detail(detail),
            Aggregation(agg),
            tuple(reasons),
            best.agreement_id,
            best.version,
        )
    else:
        decision = Decision(ds, False, Detail.NONE, None, tuple(reasons))

    if grant is not None and glass_problem is None:
        lifted = min(asked_detail, grant.detail)
        if lifted > decision.detail:
            return Decision(
                ds,
                True,
                lifted,
                Aggregation.PERSON,
                (*decision.reasons, REASON_BREAK_GLASS),
                decision.agreement_id,
                decision.agreement_version,
                break_glass=True,
            )
    elif grant is not None and not decision.allowed:
        return Decision(
            ds,
            False,
            Detail.NONE,
            None,
            (*decision.reasons, f"break-glass not applied: {glass_problem}"),
        )
    return decision


def _why_not_shared(
    requester: Requester, purpose: str, ds: SourceDataset, index: AgreementIndex, today: dt.date
) -> str:
    """The most useful explanation when no agreement applies (only computed on refusal)."""
    mine = [t for t in index.for_dataset(ds) if t.names_recipient(requester)]
    for_purpose = [t for t in mine if purpose in t.purposes]
    if not mine:
        return REASON_NOT_SHARED
    if not for_purpose:
        return f"{REASON_NOT_SHARED} for the purpose {purpose}"
    terms = for_purpose[0]
    if terms.status != "active":
        return f"{REASON_NOT_SHARED}: agreement {terms.code} is {terms.status}"
    if today < terms.valid_from:
        return (
            f"{REASON_NOT_SHARED}: agreement {terms.code} starts on {terms.valid_from.isoformat()}"
        )
    return f"{REASON_NOT_SHARED}: agreement {terms.code} expired on {terms.valid_to}"


def summarise(decisions: Iterable[Decision]) -> str:
    """`allowed`, `denied` or `partial` for a set of decisions (used in audit entries)."""
    flags = {d.allowed for d in decisions}
    if flags == {True}:
        return "allowed"
    if flags == {False} or not flags:
        return "denied"
    return "partial"
