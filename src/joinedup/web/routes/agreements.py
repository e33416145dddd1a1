"""Data-sharing agreements for a data owner: the organisation's agreements, drafting a new
one, approving a draft, suspending and resuming one in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from joinedup.domain.levels import Aggregation
from joinedup.domain.policy import LEGAL_BASES, PURPOSES
from joinedup.errors import InvalidInput
from joinedup.governance.agreements import (
    AgreementChange,
    agreement_history,
    approve_agreement,
    create_agreement,
    list_agreements,
    resume_agreement,
    suspend_agreement,
)
from joinedup.records.datasets import list_datasets
from joinedup.records.organisations import list_organisations
from joinedup.web.deps import DataOwnerDep, EngineDep, organisation_code
from joinedup.web.labels import DETAIL_LABELS
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LEGAL_BASIS_LABELS = {
    "consent": "Consent",
    "public_task": "Public task",
    "legal_obligation": "Legal obligation",
    "vital_interests": "Vital interests",
}


def _go(request: Request, name: str, **params: str) -> Response:
    return RedirectResponse(web_url(request, name, **params), status_code=303)


@router.get("/agreements", name="agreements")
def agreements(request: Request, user: DataOwnerDep, engine: EngineDep) -> Response:
    found = list_agreements(engine, provider_code=organisation_code(user))
    return render(request, "owner/agreements.html", {"agreements": found})


def _form(
    request: Request, engine: Any, org: str, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    return render(
        request,
        "owner/agreement_new.html",
        {
            "values": values,
            "errors": errors,
            "datasets": [d.code for d in list_datasets(engine, org)],
            "organisations": [o for o in list_organisations(engine) if o.code != org],
            "purposes": PURPOSES,
            "details": {k: v for k, v in DETAIL_LABELS.items() if k != "none"},
            "bases": {b: LEGAL_BASIS_LABELS.get(b, b) for b in LEGAL_BASES},
        },
        status_code=422 if errors else 200,
    )


@router.get("/agreements/new", name="agreement_new")
def agreement_new(request: Request, user: DataOwnerDep, engine: EngineDep) -> Response:
    values = {
        "valid_from": dt.date.today().isoformat(),
        "datasets": [],
        "recipients": [],
        "purposes": [],
    }
    return _form(request, engine, organisation_code(user), values, {})


@router.post("/agreements/new", name="agreement_create")
async def agreement_create(request: Request, user: DataOwnerDep, engine: EngineDep) -> Response:
    org = organisation_code(user)
    form = await request.form()
    values: dict[str, Any] = {
        "code": str(form.get("code", "")).strip(),
        "title": str(form.get("title", "")).strip(),
        "datasets": [str(v) for v in form.getlist("datasets")],
        "recipients": [str(v) for v in form.getlist("recipients")],
        "purposes": [str(v) for v in form.getlist("purposes")],
        "max_detail": str(form.get("max_detail", "")),
        "legal_basis": str(form.get("legal_basis", "")),
        "valid_from": str(form.get("valid_from", "")),
    }
    errors: dict[str, str] = {}
    if not values["code"]:
        errors["code"] = "Enter a code for the agreement, like CSC-SCH-2"
    if not values["title"]:
        errors["title"] = "Enter a title that says what is shared and why"
    if not values["datasets"]:
        errors["datasets"] = "Select at least one dataset to share"
    if not values["recipients"]:
        errors["recipients"] = "Select at least one organisation to share with"
    if not values["purposes"]:
        errors["purposes"] = "Select at least one purpose"
    if values["max_detail"] not in DETAIL_LABELS or values["max_detail"] == "none":
        errors["max_detail"] = "Select how much the recipients may see"
    if values["legal_basis"] not in LEGAL_BASES:
        errors["legal_basis"] = "Select the legal basis for sharing"
    try:
        valid_from = dt.date.fromisoformat(values["valid_from"])
    except ValueError:
        errors["valid_from"] = "Enter the date the agreement starts, like 2026-04-01"
    if not errors:
        try:
            create_agreement(
                engine,
                values["code"],
                org,
                AgreementChange(
                    title=values["title"],
                    datasets=tuple(values["datasets"]),
                    recipient_organisations=tuple(values["recipients"]),
                    purposes=tuple(values["purposes"]),
                    max_detail=values["max_detail"],
                    finest_aggregation=Aggregation.PERSON.label,
                    legal_basis=values["legal_basis"],
                    valid_from=valid_from,
                ),
                actor=user.username,
            )
        except InvalidInput as exc:
            errors["code"] = exc.message
    if errors:
        return _form(request, engine, org, values, errors)
    page_context(request).session.flash(
        f"Agreement {values['code']} drafted. Nothing is shared until it is approved."
    )
    return _go(request, "agreement", code=values["code"])


@router.get("/agreements/{code}", name="agreement")
def agreement(request: Request, code: str, user: DataOwnerDep, engine: EngineDep) -> Response:
    versions = agreement_history(engine, code)
    return render(
        request,
        "owner/agreement.html",
        {"code": code, "versions": versions, "current": versions[-1], "errors": {}},
    )


@router.post("/agreements/{code}/status", name="agreement_status")
async def agreement_status(
    request: Request, code: str, user: DataOwnerDep, engine: EngineDep
) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    reason = str(form.get("reason", "")).strip()
    if action == "approve":
        version = approve_agreement(engine, code, actor=user.username)
        message = f"Agreement {code} version {version} approved: it is now in force."
    elif action == "suspend":
        if not reason:
            versions = agreement_history(engine, code)
            return render(
                request,
                "owner/agreement.html",
                {
                    "code": code,
                    "versions": versions,
                    "current": versions[-1],
                    "errors": {"reason": "Say why you are suspending the agreement"},
                },
                status_code=422,
            )
        suspend_agreement(engine, code, actor=user.username, reason=reason)
        message = f"Agreement {code} suspended: nothing is shared under it until it is resumed."
    elif action == "resume":
        resume_agreement(engine, code, actor=user.username, reason=reason or None)
        message = f"Agreement {code} resumed."
    else:
        raise InvalidInput("Choose approve, suspend or resume.")
    page_context(request).session.flash(message)
    return _go(request, "agreement", code=code)
