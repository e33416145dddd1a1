"""A person's consent register for a data owner: read it, record a permit or a refusal,
withdraw an entry. Reading the register is audited (the governance view does it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from joinedup.domain.policy import PURPOSES
from joinedup.errors import InvalidInput
from joinedup.governance.consent import record_consent, withdraw_consent
from joinedup.records.organisations import list_organisations
from joinedup.views.governance_reports import consent_register
from joinedup.web.auth import WebUser
from joinedup.web.deps import DataOwnerDep, EngineDep
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _page(
    request: Request,
    engine: Engine,
    user: WebUser,
    number: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    entries = consent_register(engine, user.principal, number) if number else None
    return render(
        request,
        "owner/consent.html",
        {
            "number": number,
            "entries": entries,
            "values": values or {},
            "errors": errors or {},
            "organisations": list_organisations(engine),
            "purposes": PURPOSES,
        },
        status_code=422 if errors else 200,
    )


def _back(request: Request, number: str) -> Response:
    target = web_url(request, "consent")
    return RedirectResponse(f"{target}?number={number}", status_code=303)


@router.get("/consent", name="consent")
def consent(
    request: Request, user: DataOwnerDep, engine: EngineDep, number: Annotated[str, Query()] = ""
) -> Response:
    return _page(request, engine, user, number.replace(" ", "").strip())


@router.post("/consent", name="consent_record")
def consent_record(
    request: Request,
    user: DataOwnerDep,
    engine: EngineDep,
    number: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    recipient: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "decision": decision,
        "recipient": recipient,
        "purpose": purpose,
        "evidence": evidence,
    }
    errors: dict[str, str] = {}
    if decision not in ("permit", "deny"):
        errors["decision"] = "Select whether the person agreed or refused"
    if purpose and purpose not in PURPOSES:
        errors["purpose"] = "Select a purpose from the list"
    if not evidence.strip():
        errors["evidence"] = "Say how and when the person told you"
    if not errors:
        try:
            record_consent(
                engine,
                decision,
                actor=user.username,
                person_number=number,
                recipient=recipient or None,
                purpose=purpose or None,
                evidence=evidence.strip(),
            )
        except InvalidInput as exc:
            errors["decision"] = exc.message
    if errors:
        return _page(request, engine, user, number, values, errors)
    what = "agreement to share" if decision == "permit" else "refusal to share"
    page_context(request).session.flash(f"The person's {what} is recorded. It applies at once.")
    return _back(request, number)


@router.post("/consent/{consent_id}/withdraw", name="consent_withdraw")
def consent_withdraw(
    request: Request,
    consent_id: int,
    user: DataOwnerDep,
    engine: EngineDep,
    number: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    if not reason.strip():
        return _page(
            request,
            engine,
            user,
            number,
            errors={f"reason-{consent_id}": "Say why the entry is withdrawn"},
        )
    withdraw_consent(engine, consent_id, actor=user.username, reason=reason.strip())
    page_context(request).session.flash(f"Consent entry {consent_id} withdrawn.")
    return _back(request, number)
