"""The data owner's data-quality report (completeness and validity per field, the trend
across batches, as charts with their values written out) and the quarantine list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from joinedup.records.datasets import list_datasets
from joinedup.records.quality import dataset_quality
from joinedup.records.quarantine import list_quarantine
from joinedup.web.charts import share_trend
from joinedup.web.deps import DataOwnerDep, EngineDep, organisation_code
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

QUARANTINE_PAGE = 200


def _chosen(datasets: list[str], asked: str) -> str | None:
    if asked in datasets:
        return asked
    return datasets[0] if datasets else None


@router.get("/data-quality", name="data_quality")
def data_quality(
    request: Request,
    user: DataOwnerDep,
    engine: EngineDep,
    dataset: Annotated[str, Query()] = "",
    batch: Annotated[int | None, Query()] = None,
) -> Response:
    org = organisation_code(user)
    datasets = [d.code for d in list_datasets(engine, org) if d.batches]
    chosen = _chosen(datasets, dataset)
    report = dataset_quality(engine, org, chosen, batch_id=batch) if chosen else None
    chart = (
        share_trend(
            report["trend"],
            [
                ("completeness", "Completeness", "completeness"),
                ("validity", "Validity", "validity"),
            ],
        )
        if report and report["trend"]
        else None
    )
    return render(
        request,
        "owner/data_quality.html",
        {"datasets": datasets, "dataset": chosen, "report": report, "chart": chart},
    )


@router.get("/quarantine", name="quarantine")
def quarantine(
    request: Request,
    user: DataOwnerDep,
    engine: EngineDep,
    dataset: Annotated[str, Query()] = "",
    batch: Annotated[int | None, Query()] = None,
) -> Response:
    org = organisation_code(user)
    datasets = [d.code for d in list_datasets(engine, org) if d.batches]
    chosen = _chosen(datasets, dataset)
    rows = (
        list_quarantine(engine, org, chosen, batch_id=batch, limit=QUARANTINE_PAGE + 1)
        if chosen
        else []
    )
    return render(
        request,
        "owner/quarantine.html",
        {
            "datasets": datasets,
            "dataset": chosen,
            "rows": rows[:QUARANTINE_PAGE],
            "more": len(rows) > QUARANTINE_PAGE,
            "limit": QUARANTINE_PAGE,
        },
    )
