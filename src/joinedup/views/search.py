"""Search for a person by name, date of birth, postcode and identifiers, with safeguards
against fishing:

- a minimum set of fields (`ACCEPTED_FIELD_SETS`): an identifier alone, or a family name
  with a date of birth, or names with a postcode, or a given name with a date of birth and
  a postcode — never a name, a postcode or a birth date alone;
- results only at or above a match probability threshold, and at most `RESULT_CAP`;
- every search audited: one entry for the search itself (the fields used, never their
  values, and how many results), and one policy decision per person returned (through the
  policy decision point, like every person view);
- each result shows only the demographic summary the requester may see of that person.

The fuzzy scoring is the online matcher's (`joinedup.identity.online`), passed in as a
`Matcher` (`online_matcher(engine)` in production); this module owns the safeguards, not
the scores. `match` gives the same safeguards to `POST /api/v1/match`, which returns the
matcher's candidates with their explanation instead of a demographic summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joinedup.domain.levels import Detail
from joinedup.domain.policy import PURPOSES
from joinedup.errors import Forbidden, InvalidInput
from joinedup.governance import audit
from joinedup.governance.auth import Principal
from joinedup.governance.lookups import session_scope
from joinedup.governance.pdp import deciding_persons
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.views.detail_levels import PERSON_FIELDS, DemographicSummary, summarise_demographics
from joinedup.views.known_to import VIEW_ROLES

SEARCH_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "nhs_number",
    "upn",
    "uln",
    "ni_number",
)
IDENTIFIERS = frozenset({"nhs_number", "upn", "uln", "ni_number"})
ACCEPTED_FIELD_SETS: tuple[frozenset[str], ...] = (
    *(frozenset({i}) for i in sorted(IDENTIFIERS)),
    frozenset({"family_name", "date_of_birth"}),
    frozenset({"given_name", "family_name", "postcode"}),
    frozenset({"given_name", "date_of_birth", "postcode"}),
)
RESULT_CAP = 5
DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True)
class Candidate:
    """A person the matcher found, with its match probability."""

    person_id: int
    probability: float


# (session, core record, how many candidates at most) -> candidates, best first.
Matcher = Callable[[Session, Mapping[str, Any], int], Sequence[Candidate]]


@dataclass
class SearchResult:
    person_number: str
    person_status: str
    probability: float
    summary: DemographicSummary


@dataclass
class SearchOutcome:
    results: list[SearchResult] = field(default_factory=list)
    audit_seq: int = 0


def check_fields(query: Mapping[str, Any]) -> frozenset[str]:
    """The fields given (any of the core record's person fields), when they include an
    accepted set; InvalidInput otherwise."""
    unknown = set(query) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown search fields: {', '.join(sorted(unknown))}.")
    given = frozenset(k for k, v in query.items() if v not in (None, ""))
    if not any(accepted <= given for accepted in ACCEPTED_FIELD_SETS):
        raise InvalidInput(
            "Give enough to find one person: an NHS number, UPN, ULN or NI number; or a "
            "family name and date of birth; or given and family name and postcode; or "
            "given name, date of birth and postcode."
        )
    if "date_of_birth" in given and not isinstance(query["date_of_birth"], dt.date):
        raise InvalidInput("date_of_birth is a date (YYYY-MM-DD).")
    return given


def online_matcher(engine: Engine) -> Matcher:
    """The online matcher of `engine`'s store as a `Matcher` (records not yet linked to a
    person are left out: there is no one to show)."""
    from joinedup.identity.online.matcher import match_record

    def match(_session: Session, record: Mapping[str, Any], limit: int) -> list[Candidate]:
        result = match_record(engine, record, limit)
        return [
            Candidate(c.person_id, c.match_probability)
            for c in result.candidates
            if c.person_id > 0
        ]

    return match


def _require(principal: Principal, purpose: str | None) -> None:
    if principal.roles.isdisjoint(VIEW_ROLES):
        raise Forbidden("Search is for practitioners and data owners.")
    if purpose is not None and purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose {purpose!r}; purposes are {', '.join(PURPOSES)}.")


def search(
    store: Session | Engine,
    principal: Principal,
    purpose: str,
    query: Mapping[str, Any],
    matcher: Matcher,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = RESULT_CAP,
) -> SearchOutcome:
    """The persons matching `query` at or above `threshold`, best first (at most
    `min(limit, RESULT_CAP)`), each with the summary the requester may see."""
    _require(principal, purpose)
    used = check_fields(query)
    cap = max(1, min(limit, RESULT_CAP))
    with session_scope(store) as session:
        record = {k: v for k, v in query.items() if k in used}
        found = [c for c in matcher(session, record, cap) if c.probability >= threshold]
        best: dict[int, float] = {}
        for c in sorted(found, key=lambda c: -c.probability):
            best.setdefault(c.person_id, c.probability)
        chosen = list(best.items())[:cap]
        # The policy entries are appended once the summaries are read (as the block ends),
        # so the chain's lock is not held across those reads.
        with deciding_persons(
            session,
            principal,
            purpose,
            [pid for pid, _ in chosen],
            details={"view": "search"},
        ) as pending:
            decisions = {pid: p.decision for pid, p in pending.items()}
            ids = [decisions[pid].person_id for pid, _ in chosen]
            status = dict(
                session.execute(select(Person.id, Person.status).where(Person.id.in_(ids))).all()
            )
            results = [
                SearchResult(
                    decisions[pid].person_number,
                    str(status.get(decisions[pid].person_id, "active")),
                    probability,
                    _summary(session, decisions[pid].person_id, decisions[pid].allowed),
                )
                for pid, probability in chosen
            ]
        seq = audit.append(
            session,
            audit.AuditEntry.by(
                principal,
                "search",
                purpose=purpose,
                object_type="search",
                details={
                    "fields": sorted(used),
                    "threshold": threshold,
                    "results": len(results),
                    "policy_entries": [pending[pid].audit_seq for pid, _ in chosen],
                },
            ),
        ).seq
        return SearchOutcome(results, seq)


def _summary(session: Session, person_id: int, allowed: Sequence[Any]) -> DemographicSummary:
    """The person's demographics from the datasets the decisions allow, each at its level."""
    levels: dict[int, Detail] = {
        d.dataset.dataset_id: d.detail for d in allowed if d.detail >= Detail.KNOWN_TO
    }
    if not levels:
        return DemographicSummary()
    columns = [getattr(SourceRecord, name) for name in PERSON_FIELDS]
    rows = session.execute(
        select(SourceRecord.dataset_id, *columns)
        .join(PersonLink, PersonLink.source_record_id == SourceRecord.id)
        .where(PersonLink.person_id == person_id, SourceRecord.dataset_id.in_(levels))
    ).all()
    return summarise_demographics(
        (dict(zip(PERSON_FIELDS, row[1:], strict=True)), levels[row[0]]) for row in rows
    )


MATCH_ROLES = frozenset({*VIEW_ROLES, "linkage_officer"})
MATCH_CAP = 10


@dataclass
class MatchOutcome:
    """`POST /api/v1/match`: candidates at or above the lower threshold, with explanations."""

    decision: str
    model_version: int
    thresholds: dict[str, float]
    candidates: list[dict[str, Any]]
    audit_seq: int


def match(
    engine: Engine, principal: Principal, record: Mapping[str, Any], *, limit: int = MATCH_CAP
) -> MatchOutcome:
    """The online matcher's candidates for one record, under the search safeguards: the
    same minimum fields, candidates only at or above the lower linkage threshold (below it
    they are not matches), at most `MATCH_CAP`, and the call audited without its values.
    Candidates carry the person number, probability, weight and per-comparison
    contributions, never another record's values."""
    from joinedup.identity.online.matcher import match_record

    if principal.roles.isdisjoint(MATCH_ROLES):
        raise Forbidden("Matching is for practitioners, data owners and linkage officers.")
    used = check_fields(record)
    result = match_record(engine, {k: record[k] for k in used}, max(1, min(limit, MATCH_CAP)))
    lower = result.thresholds.get("lower", 0.0)
    shown = [
        {
            "person_number": c.person_number,
            "person_status": c.person_status,
            "match_probability": c.match_probability,
            "match_weight": c.match_weight,
            "auto_link_allowed": c.auto_link_allowed,
            "contributions": list(c.contributions),
        }
        for c in result.candidates
        if c.person_id > 0 and c.match_probability >= lower
    ]
    seq = audit.record(
        engine,
        audit.AuditEntry.by(
            principal,
            "match",
            object_type="match",
            details={
                "fields": sorted(used),
                "results": len(shown),
                "person_numbers": [c["person_number"] for c in shown],
            },
        ),
    )
    return MatchOutcome(result.decision, result.model_version, result.thresholds, shown, seq)
