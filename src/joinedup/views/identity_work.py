"""Identity work over the API and web, with role checks and audit: verifying a person
number against a name and date of birth, and the clerical review queue (both records side
by side, so only linkage officers read it; every read and decision is audited).

The rules themselves are identity's (`joinedup.identity.verify`, `joinedup.identity.review`);
this module decides who may use them and records that they did.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from joinedup.errors import Forbidden
from joinedup.governance import audit
from joinedup.governance.auth import Principal
from joinedup.identity import review
from joinedup.identity.verify import Verification, verify

VERIFY_ROLES = frozenset({"practitioner", "data_owner", "linkage_officer"})
REVIEW_ROLES = frozenset({"linkage_officer"})


def _require(principal: Principal, roles: frozenset[str], what: str) -> None:
    if principal.roles.isdisjoint(roles):
        names = " or ".join(sorted(r.replace("_", " ") for r in roles))
        raise Forbidden(f"{what} is for {names}s.")


def verify_number(
    engine: Engine,
    principal: Principal,
    number: str,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
) -> Verification:
    """match / no_match / unknown with a reason; audited (the number and the answer)."""
    _require(principal, VERIFY_ROLES, "Verification")
    result = verify(engine, number, given_name, family_name, date_of_birth)
    audit.record(
        engine,
        audit.AuditEntry.by(
            principal,
            "verify",
            object_type="person_number",
            object_id=number,
            decision=result.result,
            details={"person_number": result.person_number},
        ),
    )
    return result


def review_queue(
    engine: Engine, principal: Principal, status: str = "open", limit: int = 1000
) -> list[review.ReviewView]:
    _require(principal, REVIEW_ROLES, "The review queue")
    items = review.list_items(engine, status, limit)
    audit.record(
        engine,
        audit.AuditEntry.by(
            principal,
            "review.list",
            object_type="review_items",
            details={"status": status, "items": [i.id for i in items]},
        ),
    )
    return items


def review_item(engine: Engine, principal: Principal, item_id: int) -> review.ReviewView:
    _require(principal, REVIEW_ROLES, "The review queue")
    item = review.show_item(engine, item_id)
    audit.record(
        engine,
        audit.AuditEntry.by(
            principal, "review.show", object_type="review_item", object_id=str(item_id)
        ),
    )
    return item


def decide_review_item(
    engine: Engine, principal: Principal, item_id: int, decision: str, note: str | None
) -> review.ReviewView:
    """Same / different / unsure: identity records it, adds the constraint and updates the
    persons at once (`joinedup.identity.review.decide`)."""
    _require(principal, REVIEW_ROLES, "Deciding review items")
    item = review.decide(engine, item_id, decision, note=note, actor=principal.username)
    audit.record(
        engine,
        audit.AuditEntry.by(
            principal,
            "review.decide",
            object_type="review_item",
            object_id=str(item_id),
            decision=decision,
            details={"note": note},
        ),
    )
    return item
