"""The practitioner's journey: search for a person, the known-to page, break-glass.

Every page that shows a person asks for the purpose first (it is audited with the view).
The search uses the online matcher (`joinedup.views.search.online_matcher`), which needs a
trained linkage model: until there is one, the page says search is not available.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from joinedup.domain.policy import BREAK_GLASS_PURPOSE, PURPOSES
from joinedup.errors import InvalidInput, NotFound
from joinedup.governance.breakglass import MAX_HOURS, MIN_JUSTIFICATION, request_break_glass
from joinedup.identity.model import load_model
from joinedup.store.uow import UnitOfWork
from joinedup.views.known_to import known_to
from joinedup.views.search import SEARCH_FIELDS, Matcher, online_matcher, search
from joinedup.web.auth import WebUser
from joinedup.web.deps import EngineDep, require_role
from joinedup.web.labels import purpose_items, purpose_label
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PractitionerDep = Annotated[WebUser, Depends(require_role("practitioner"))]
# The known-to page is for the roles the view serves (a data owner checks their own data).
ViewerDep = Annotated[WebUser, Depends(require_role("practitioner", "data_owner"))]

FIELD_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
    "nhs_number": "NHS number",
    "upn": "Unique pupil number (UPN)",
    "uln": "Unique learner number (ULN)",
    "ni_number": "National Insurance number",
}


def _matcher(request: Request, engine: Engine) -> Matcher | None:
    """The online matcher, or None while the store has no trained linkage model (the
    matcher scores with it). `app.state.person_matcher` replaces it when set."""
    given: Matcher | None = getattr(request.app.state, "person_matcher", None)
    if given is not None:
        return given
    try:
        load_model(engine)
    except NotFound:
        return None
    return online_matcher(engine)


def _query(values: dict[str, str]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for name in SEARCH_FIELDS:
        value = values.get(name, "").strip()
        if not value:
            continue
        if name == "date_of_birth":
            try:
                query[name] = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise InvalidInput(
                    "Enter the date of birth as a real date, like 2012-03-04."
                ) from exc
        else:
            query[name] = value
    return query


@router.get("/search", name="search")
def search_page(request: Request, user: PractitionerDep, engine: EngineDep) -> Response:
    return render(
        request,
        "practitioner/search.html",
        {
            "fields": FIELD_LABELS,
            "values": {},
            "purpose": "",
            "purposes": purpose_items(""),
            "available": _matcher(request, engine) is not None,
            "errors": {},
            "outcome": None,
        },
    )


@router.post("/search", name="search_submit")
async def search_submit(request: Request, user: PractitionerDep, engine: EngineDep) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k in (*SEARCH_FIELDS, "purpose")}
    purpose = values.pop("purpose", "")
    matcher = _matcher(request, engine)
    errors: dict[str, str] = {}
    outcome = None
    if purpose not in PURPOSES:
        errors["purpose"] = "Select why you are looking for this person"
    if matcher is not None and not errors:
        try:
            outcome = search(engine, user.principal, purpose, _query(values), matcher)
        except InvalidInput as exc:
            errors["given_name"] = exc.message
    return render(
        request,
        "practitioner/search.html",
        {
            "fields": FIELD_LABELS,
            "values": values,
            "purpose": purpose,
            "purposes": purpose_items(purpose),
            "available": matcher is not None,
            "errors": errors,
            "outcome": outcome,
        },
        status_code=422 if errors else 200,
    )


@router.get("/persons", name="person_lookup")
def person_lookup(
    request: Request,
    user: ViewerDep,
    number: Annotated[str, Query()] = "",
    purpose: Annotated[str, Query()] = "",
) -> Response:
    """The "open a person by number" form on the search page."""
    number = number.replace(" ", "").strip()
    if not number:
        raise InvalidInput("Enter a person number.")
    target = web_url(request, "known_to", number=number)
    if purpose:
        target += "?" + urlencode({"purpose": purpose})
    return RedirectResponse(target, status_code=303)


@router.get("/persons/{number}", name="known_to")
def known_to_page(
    request: Request,
    number: str,
    user: ViewerDep,
    engine: EngineDep,
    purpose: Annotated[str, Query()] = "",
) -> Response:
    if purpose not in PURPOSES:
        return render(
            request,
            "practitioner/choose_purpose.html",
            {
                "number": number,
                "purposes": purpose_items(purpose),
                "errors": {"purpose": "Select why you are looking at this person"}
                if purpose
                else {},
            },
            status_code=422 if purpose else 200,
        )
    with UnitOfWork(engine) as uow:
        view = known_to(uow.session, user.principal, purpose, number)
        uow.commit()
    return render(
        request,
        "practitioner/known_to.html",
        {
            "view": view,
            "purpose_text": purpose_label(purpose),
            "can_break_glass": user.principal.has("practitioner") and bool(view.withheld),
        },
    )


def _break_glass_page(
    request: Request, number: str, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return render(
        request,
        "practitioner/break_glass.html",
        {
            "number": number,
            "values": values,
            "errors": errors,
            "min_chars": MIN_JUSTIFICATION,
            "max_hours": MAX_HOURS,
            "purpose_text": purpose_label(BREAK_GLASS_PURPOSE),
        },
        status_code=status,
    )


@router.get("/persons/{number}/break-glass", name="break_glass_form")
def break_glass_page(request: Request, number: str, user: PractitionerDep) -> Response:
    return _break_glass_page(request, number, {"hours": "4"}, {}, 200)


@router.post("/persons/{number}/break-glass", name="break_glass_submit")
def break_glass_submit(
    request: Request,
    number: str,
    user: PractitionerDep,
    engine: EngineDep,
    justification: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "4",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    values = {"justification": justification, "hours": hours, "confirm": confirm}
    errors: dict[str, str] = {}
    if len(" ".join(justification.split())) < MIN_JUSTIFICATION:
        errors["justification"] = (
            f"Write at least {MIN_JUSTIFICATION} characters: what the risk is and why the "
            "agreements do not give enough"
        )
    if not hours.isdigit() or not 1 <= int(hours) <= MAX_HOURS:
        errors["hours"] = f"Enter a whole number of hours from 1 to {MAX_HOURS}"
    if confirm != "yes":
        errors["confirm"] = "Confirm that you understand the data owners will review this"
    if not errors:
        try:
            request_break_glass(
                engine, user.principal, number, justification, detail="full", hours=int(hours)
            )
        except InvalidInput as exc:
            errors["justification"] = exc.message
    if errors:
        return _break_glass_page(request, number, values, errors, 422)
    page_context(request).session.flash(
        f"Break-glass access granted for {hours} hours. The data owners of the records "
        "have been told and will review it."
    )
    target = web_url(request, "known_to", number=number)
    return RedirectResponse(f"{target}?purpose={BREAK_GLASS_PURPOSE}", status_code=303)
