"""Uploads, data-quality reports, quarantine and challenges: the records service over HTTP.

An upload is a multipart POST of one extract. Starlette's multipart parser streams the file
part to a temporary file as it arrives (memory stays flat whatever the size); the ingest
service (`joinedup.records.ingest.ingest_file`, the one `joinedup ingest` calls) reads it
from there and answers with the batch report. Uploads, reports and quarantine are for the
organisation's data owners: they hold the organisation's raw values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep, require_roles
from joinedup.api.models import (
    DEFAULT_LIMIT,
    MAX_ID,
    Code,
    CodePath,
    Cursor,
    IdPath,
    Limit,
    LongText,
    ShortText,
)
from joinedup.api.pagination import Page, page_after
from joinedup.api.problems import problem_responses
from joinedup.api.routes.organisations import require_org_owner
from joinedup.errors import JoinedupError
from joinedup.records import challenges, ingest, quality, quarantine

router = APIRouter(tags=["records"], responses=problem_responses(404, 409))

# Largest extract accepted in one request; bigger ones go through `joinedup ingest`.
MAX_UPLOAD_BYTES = 2 * 1024**3


class RequestTooLarge(JoinedupError):
    http_status = 413
    title = "Request too large"


class BatchReportOut(BaseModel):
    """What one upload did: rows_in = rows_loaded + rows_quarantined."""

    model_config = ConfigDict(from_attributes=True)

    batch_id: int | None
    organisation: str
    dataset: str
    file_name: str
    status: str = Field(description="done, unchanged or failed.")
    snapshot: str
    source_format: str | None
    encoding: str | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_reopened: int
    rows_closed: int
    seconds: float
    message: str | None
    warnings: list[str]
    quarantine_reasons: dict[str, int]
    quality: list[dict[str, Any]]
    mapping_registered: bool


class QualityReportOut(BaseModel):
    """A dataset's data-quality report: one batch in detail and the trend."""

    organisation: str
    dataset: str
    dataset_name: str | None
    records: dict[str, int]
    batch: dict[str, Any] | None
    fields: list[dict[str, Any]]
    top_problems: list[dict[str, Any]]
    trend: list[dict[str, Any]]


class QuarantinedRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    batch_id: int
    file_name: str
    row_number: int
    local_id: str | None
    reason: str
    raw: str
    created_at: dt.datetime


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Code = Field(description="The organisation holding the record.")
    dataset: Code
    local_id: ShortText
    field: Annotated[str, Field(pattern=r"^[a-z_:A-Z0-9]{1,128}$")]
    proposed_value: LongText
    reason: LongText


class ChallengeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    reason: LongText | None = Field(default=None, description="Required to reject.")


class ChallengeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation: str
    dataset: str
    local_id: str
    field: str
    current_value: str | None
    proposed_value: str
    reason: str
    raised_by_organisation: str
    raised_by: str | None
    raised_at: dt.datetime
    status: str
    decided_by_organisation: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    corrected_version: int | None


def _check_size(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise RequestTooLarge(
            f"An upload is at most {MAX_UPLOAD_BYTES // 1024**3} GiB.",
            hint="Load bigger extracts with `joinedup ingest`.",
        )


@router.post(
    "/organisations/{org}/datasets/{dataset}/uploads",
    status_code=201,
    summary="Upload an extract (csv, xlsx, parquet or jsonl) and get the batch report",
    responses=problem_responses(413),
)
def upload(
    request: Request,
    org: CodePath,
    dataset: CodePath,
    principal: PrincipalDep,
    engine: EngineDep,
    file: Annotated[UploadFile, File(description="The extract.")],
    snapshot: Annotated[
        Literal["full", "delta"],
        Form(description="full: records missing from the file are closed; delta: adds only."),
    ] = "delta",
) -> BatchReportOut:
    """The dataset is registered when new (a core-format file needs no mapping); register
    one with a mapping first through `POST /organisations/{org}/datasets`."""
    _check_size(request)
    require_org_owner(principal, org)
    report = ingest.ingest_file(
        engine,
        org,
        dataset,
        file.file,
        snapshot=snapshot,
        actor=f"api:{principal.username}",
        file_name=file.filename or "upload",
    )
    return BatchReportOut.model_validate(report)


@router.get(
    "/organisations/{org}/datasets/{dataset}/quality",
    summary="Data-quality report: fields, top problems, trend over batches",
)
def quality_report(
    org: CodePath,
    dataset: CodePath,
    principal: PrincipalDep,
    engine: EngineDep,
    batch: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A batch (default: latest).")
    ] = None,
) -> QualityReportOut:
    require_org_owner(principal, org)
    return QualityReportOut.model_validate(
        quality.dataset_quality(engine, org, dataset, batch_id=batch)
    )


@router.get(
    "/organisations/{org}/datasets/{dataset}/quarantine",
    summary="Rows of a batch that could not be loaded, with the reason",
)
def quarantined_rows(
    org: CodePath,
    dataset: CodePath,
    principal: PrincipalDep,
    engine: EngineDep,
    batch: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A batch (default: latest).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[QuarantinedRowOut]:
    require_org_owner(principal, org)
    rows = quarantine.list_quarantine(engine, org, dataset, batch_id=batch, limit=None)
    items = [QuarantinedRowOut.model_validate(r) for r in rows]
    # Row numbers are unique within a batch; the key keeps file order.
    return page_after(items, limit, cursor, key=lambda r: r.row_number)


@router.post(
    "/challenges", status_code=201, summary="Challenge one value of another partner's record"
)
def raise_challenge(body: ChallengeIn, principal: PrincipalDep, engine: EngineDep) -> ChallengeOut:
    require_roles(principal, "practitioner", "data_owner")
    info = challenges.raise_challenge(
        engine,
        body.organisation,
        body.dataset,
        body.local_id,
        body.field,
        body.proposed_value,
        body.reason,
        by_org=principal.organisation_code,
        actor=principal.username,
    )
    return ChallengeOut.model_validate(info)


@router.get("/challenges", summary="Challenges of your organisation's records, or raised by it")
def list_challenges(
    principal: PrincipalDep,
    engine: EngineDep,
    side: Annotated[
        Literal["received", "raised"],
        Query(description="received: of your records (data owners); raised: by your organisation."),
    ] = "received",
    status: Annotated[Literal["open", "accepted", "rejected"] | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ChallengeOut]:
    org = principal.organisation_code
    if side == "received":
        require_roles(principal, "data_owner")
        found = challenges.list_challenges(engine, org=org, status=status)
    else:
        require_roles(principal, "practitioner", "data_owner")
        found = challenges.list_challenges(engine, raised_by=org, status=status)
    items = [ChallengeOut.model_validate(c) for c in found]
    return page_after(items, limit, cursor, key=lambda c: c.id)


@router.post(
    "/challenges/{challenge_id}/decision",
    summary="Accept (the value is corrected, with provenance) or reject a challenge",
)
def decide_challenge(
    challenge_id: IdPath, body: ChallengeDecisionIn, principal: PrincipalDep, engine: EngineDep
) -> ChallengeOut:
    require_roles(principal, "data_owner")
    org = principal.organisation_code
    if body.decision == "accept":
        info = challenges.accept_challenge(
            engine, challenge_id, by_org=org, actor=principal.username, note=body.reason
        )
    else:
        info = challenges.reject_challenge(
            engine, challenge_id, by_org=org, reason=body.reason or "", actor=principal.username
        )
    return ChallengeOut.model_validate(info)
