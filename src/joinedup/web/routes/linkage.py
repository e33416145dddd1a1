"""The linkage officer's pages: the clerical review queue (two records side by side, what
differs marked in words, each comparison's match weight as a chart), the decision on an
item, and persons: their records and history, merge and split with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from joinedup.errors import InvalidInput
from joinedup.identity.merge_split import merge_persons, split_person
from joinedup.identity.persons import show_person
from joinedup.identity.review import (
    DECISIONS,
    SHOWN_FIELDS,
    ReviewView,
    decide,
    list_items,
    show_item,
)
from joinedup.web.charts import weight_bars
from joinedup.web.deps import EngineDep, LinkageOfficerDep
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FIELD_LABELS = {
    "given_name": "Given name",
    "middle_names": "Middle names",
    "family_name": "Family name",
    "previous_family_names": "Previous family names",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "address_line_1": "Address",
    "postcode": "Postcode",
    "nhs_number": "NHS number",
    "upn": "UPN",
    "uln": "ULN",
    "ni_number": "NI number",
}
DECISION_TEXT = {
    "same": "The same person",
    "different": "Not the same person",
    "unsure": "Not sure: leave it in the queue with a note",
}
QUEUE_PAGE = 50


def _go(request: Request, name: str, **params: str) -> Response:
    return RedirectResponse(web_url(request, name, **params), status_code=303)


@router.get("/review", name="review_queue")
def review_queue(request: Request, user: LinkageOfficerDep, engine: EngineDep) -> Response:
    items = list_items(engine, "open", limit=QUEUE_PAGE)
    return render(request, "linkage/queue.html", {"items": items, "limit": QUEUE_PAGE})


def _comparison_rows(item: ReviewView) -> list[dict[str, Any]]:
    rows = []
    for name in SHOWN_FIELDS:
        left, right = item.left.get(name), item.right.get(name)
        if left in (None, "") and right in (None, ""):
            continue
        if left in (None, "") or right in (None, ""):
            state = "missing"
        else:
            state = "same" if str(left).strip().lower() == str(right).strip().lower() else "differs"
        rows.append(
            {"label": FIELD_LABELS.get(name, name), "left": left, "right": right, "state": state}
        )
    return rows


def _item_page(
    request: Request, engine: Engine, item_id: int, values: dict[str, str], errors: dict[str, str]
) -> Response:
    item = show_item(engine, item_id)
    bars = weight_bars(
        [(str(c.get("comparison", "")), float(c.get("weight") or 0.0)) for c in item.contributions]
    )
    levels = {str(c.get("comparison", "")): c.get("level") for c in item.contributions}
    return render(
        request,
        "linkage/item.html",
        {
            "item": item,
            "rows": _comparison_rows(item),
            "bars": bars,
            "levels": levels,
            "decisions": DECISION_TEXT,
            "values": values,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


@router.get("/review/{item_id}", name="review_item")
def review_item(
    request: Request, item_id: int, user: LinkageOfficerDep, engine: EngineDep
) -> Response:
    return _item_page(request, engine, item_id, {}, {})


@router.post("/review/{item_id}", name="review_decide")
def review_decide(
    request: Request,
    item_id: int,
    user: LinkageOfficerDep,
    engine: EngineDep,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    values = {"decision": decision, "note": note}
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Select whether the two records are the same person"
    elif decision == "unsure" and not note.strip():
        errors["note"] = "Say why you are not sure: the next reviewer reads it"
    if errors:
        return _item_page(request, engine, item_id, values, errors)
    done = decide(
        engine, item_id, decision, note=note.strip() or None, actor=f"web:{user.username}"
    )
    outcome = {
        "same": f"Recorded as the same person: the records are now person "
        f"{done.left['person_number']}.",
        "different": "Recorded as different people: they will be kept apart from now on.",
        "unsure": "Your note is kept and the pair stays in the queue.",
    }[decision]
    page_context(request).session.flash(f"Review item {item_id}: {outcome}")
    return _go(request, "review_queue")


@router.get("/linkage/persons", name="persons")
def persons(
    request: Request, user: LinkageOfficerDep, number: Annotated[str, Query()] = ""
) -> Response:
    number = number.replace(" ", "").strip()
    if number:
        return _go(request, "person", number=number)
    return render(request, "linkage/persons.html", {})


def _person_page(
    request: Request, engine: Engine, number: str, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    view = show_person(engine, number)
    return render(
        request,
        "linkage/person.html",
        {"person": view, "values": values, "errors": errors},
        status_code=422 if errors else 200,
    )


@router.get("/linkage/persons/{number}", name="person")
def person(request: Request, number: str, user: LinkageOfficerDep, engine: EngineDep) -> Response:
    return _person_page(request, engine, number, {}, {})


@router.post("/linkage/persons/{number}/merge", name="person_merge")
def person_merge(
    request: Request,
    number: str,
    user: LinkageOfficerDep,
    engine: EngineDep,
    other: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    values = {"other": other, "merge_reason": reason}
    errors: dict[str, str] = {}
    other = other.replace(" ", "").strip()
    if not other:
        errors["other"] = "Enter the number of the person to merge into this one"
    if not reason.strip():
        errors["merge_reason"] = "Say why they are the same person"
    if not errors:
        try:
            change = merge_persons(
                engine, number, other, reason=reason.strip(), actor=f"web:{user.username}"
            )
        except InvalidInput as exc:
            errors["other"] = exc.message
    if errors:
        return _person_page(request, engine, number, values, errors)
    page_context(request).session.flash(
        f"Person {change.other_number} merged into {change.person_number}; "
        f"the number {change.other_number} now redirects here."
    )
    return _go(request, "person", number=change.person_number)


@router.post("/linkage/persons/{number}/split", name="person_split")
async def person_split(
    request: Request, number: str, user: LinkageOfficerDep, engine: EngineDep
) -> Response:
    form = await request.form()
    records = [str(v) for v in form.getlist("records")]
    reason = str(form.get("split_reason", "")).strip()
    values = {"records": records, "split_reason": reason}
    errors: dict[str, str] = {}
    if not records:
        errors["records"] = "Select the records that belong to someone else"
    if not reason:
        errors["split_reason"] = "Say why these records are a different person"
    if not errors:
        try:
            change = split_person(
                engine, number, records, reason=reason, actor=f"web:{user.username}"
            )
        except InvalidInput as exc:
            errors["records"] = exc.message
    if errors:
        return _person_page(request, engine, number, values, errors)
    page_context(request).session.flash(
        f"{len(change.records_moved)} records moved from {change.person_number} to a new "
        f"person, {change.other_number}."
    )
    return _go(request, "person", number=change.person_number)
