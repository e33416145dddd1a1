"""Organisations and their datasets: anyone with a token may list them; a partnership admin
registers organisations; a data owner registers their own organisation's datasets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.api.deps import EngineDep, PrincipalDep, require_roles
from joinedup.api.models import DEFAULT_LIMIT, Code, CodePath, Cursor, Limit, ShortText
from joinedup.api.pagination import Page, page_after
from joinedup.api.problems import problem_responses
from joinedup.errors import Forbidden
from joinedup.governance.auth import Principal
from joinedup.records import datasets, organisations

router = APIRouter(tags=["organisations"], responses=problem_responses(404, 409))

# Mapping files are small YAML documents; a megabyte is generous.
MAX_MAPPING_CHARS = 1_000_000


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str | None


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: ShortText
    kind: Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")] | None = None


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organisation: str
    code: str
    name: str | None
    format_version: int
    has_mapping: bool
    records: int
    batches: int


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: ShortText | None = None
    mapping_yaml: (
        Annotated[str, Field(max_length=MAX_MAPPING_CHARS, pattern=r"^[^\x00]*$")] | None
    ) = Field(
        default=None,
        description="The mapping onto the core record format (docs/mappings.md); "
        "omit for files already in the core format.",
    )
    replace: bool = Field(default=False, description="Put a new mapping in force.")


def require_org_owner(principal: Principal, org: str) -> None:
    """A data owner acting for `org`, or a partnership admin."""
    require_roles(principal, "data_owner", "partnership_admin")
    if principal.organisation_code != org and not principal.has("partnership_admin"):
        raise Forbidden(f"Your token acts for {principal.organisation_code}, not {org}.")


@router.get("/organisations", summary="List the partner organisations")
def list_organisations(
    principal: PrincipalDep,
    engine: EngineDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[OrganisationOut]:
    items = [OrganisationOut.model_validate(o) for o in organisations.list_organisations(engine)]
    return page_after(items, limit, cursor, key=lambda o: o.code)


@router.post("/organisations", status_code=201, summary="Register a partner (partnership admins)")
def add_organisation(
    body: OrganisationIn, principal: PrincipalDep, engine: EngineDep
) -> OrganisationOut:
    require_roles(principal, "partnership_admin")
    info = organisations.add_organisation(engine, body.code, body.name, kind=body.kind)
    return OrganisationOut.model_validate(info)


@router.get("/organisations/{org}/datasets", summary="An organisation's datasets")
def list_datasets(
    org: CodePath,
    principal: PrincipalDep,
    engine: EngineDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DatasetOut]:
    items = [DatasetOut.model_validate(d) for d in datasets.list_datasets(engine, org)]
    return page_after(items, limit, cursor, key=lambda d: d.code)


@router.post(
    "/organisations/{org}/datasets",
    status_code=201,
    summary="Register a dataset with its mapping (the organisation's data owners)",
)
def add_dataset(
    org: CodePath, body: DatasetIn, principal: PrincipalDep, engine: EngineDep
) -> DatasetOut:
    require_org_owner(principal, org)
    info = datasets.add_dataset(
        engine, org, body.code, body.mapping_yaml, name=body.name, replace=body.replace
    )
    return DatasetOut.model_validate(info)


@router.get("/datasets", summary="Every dataset of every organisation")
def list_all_datasets(
    principal: PrincipalDep,
    engine: EngineDep,
    organisation: Annotated[Code | None, Query(description="Only this organisation's.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DatasetOut]:
    items = [DatasetOut.model_validate(d) for d in datasets.list_datasets(engine, organisation)]
    return page_after(items, limit, cursor, key=lambda d: f"{d.organisation}/{d.code}")
