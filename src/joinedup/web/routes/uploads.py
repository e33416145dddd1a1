"""The data owner's uploads: send an extract (with a progress bar when scripts run) and read
each batch's report. The organisation is always the one the user acts for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from joinedup.errors import InvalidInput
from joinedup.records.datasets import list_datasets
from joinedup.records.ingest import ingest_file
from joinedup.records.quality import dataset_quality
from joinedup.records.quarantine import list_quarantine
from joinedup.web.deps import DataOwnerDep, EngineDep, organisation_code
from joinedup.web.routing import WebRoute
from joinedup.web.templating import is_htmx, render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SNAPSHOTS = {
    "delta": "Changes only: records missing from the file stay as they are",
    "full": "Everything we hold: records missing from the file are closed",
}


def _page(
    request: Request, engine: Engine, org: str, errors: dict[str, str], status: int
) -> Response:
    datasets = list_datasets(engine, org)
    batches = []
    for ds in datasets:
        if ds.batches:
            report = dataset_quality(engine, org, ds.code, trend=5)
            batches += [{"dataset": ds.code, **b} for b in reversed(report["trend"])]
    batches.sort(key=lambda b: -int(b["id"]))
    return render(
        request,
        "owner/uploads.html",
        {"datasets": datasets, "batches": batches[:10], "snapshots": SNAPSHOTS, "errors": errors},
        status_code=status,
    )


@router.get("/uploads", name="uploads")
def uploads(request: Request, user: DataOwnerDep, engine: EngineDep) -> Response:
    return _page(request, engine, organisation_code(user), {}, 200)


@router.post("/uploads", name="uploads_submit")
def uploads_submit(
    request: Request,
    user: DataOwnerDep,
    engine: EngineDep,
    file: Annotated[UploadFile | None, File()] = None,
    dataset: Annotated[str, Form()] = "",
    snapshot: Annotated[str, Form()] = "delta",
) -> Response:
    org = organisation_code(user)
    errors: dict[str, str] = {}
    known = {ds.code for ds in list_datasets(engine, org)}
    if dataset not in known:
        errors["dataset"] = "Select the dataset the extract is for"
    if file is None or not file.filename:
        errors["file"] = "Select the extract file to upload"
    if snapshot not in SNAPSHOTS:
        errors["snapshot"] = "Select what the file holds"
    if not errors:
        assert file is not None
        try:
            report = ingest_file(
                engine,
                org,
                dataset,
                file.file,
                snapshot=snapshot,
                actor=f"web:{user.username}",
                file_name=file.filename or "upload",
            )
        except InvalidInput as exc:
            errors["file"] = exc.message
    if errors:
        return _page(request, engine, org, errors, 422)
    target = str(web_url(request, "batch_report", dataset=dataset, batch_id=str(report.batch_id)))
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/uploads/{dataset}/batches/{batch_id}", name="batch_report")
def batch_report(
    request: Request, dataset: str, batch_id: int, user: DataOwnerDep, engine: EngineDep
) -> Response:
    org = organisation_code(user)
    report = dataset_quality(engine, org, dataset, batch_id=batch_id)
    quarantined = list_quarantine(engine, org, dataset, batch_id=batch_id, limit=None)
    reasons: dict[str, int] = {}
    for row in quarantined:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
    return render(
        request,
        "owner/batch.html",
        {"report": report, "batch": report["batch"], "reasons": reasons, "dataset": dataset},
    )
