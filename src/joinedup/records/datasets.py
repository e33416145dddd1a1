"""Datasets: the extracts an organisation sends, each with its mapping onto the core format."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from joinedup.domain.core_format import CURRENT_VERSION
from joinedup.domain.mapping_spec import MappingSpec
from joinedup.errors import Conflict, NotFound
from joinedup.records.mapping_file import parse_mapping_text
from joinedup.records.organisations import check_code, get_organisation
from joinedup.store import UnitOfWork
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.records import IngestBatch, SourceRecord


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    organisation: str
    code: str
    name: str | None
    format_version: int
    has_mapping: bool
    records: int = 0
    batches: int = 0


def add_dataset(
    engine: Engine,
    org: str,
    code: str,
    mapping_yaml: str | None = None,
    *,
    name: str | None = None,
    replace: bool = False,
) -> DatasetInfo:
    """Register a dataset of `org` with its mapping (YAML text; None: a core-format file).

    An existing dataset is a `Conflict` unless `replace`, which puts the new mapping in force
    for later batches (earlier versions keep what they were loaded with)."""
    code = check_code(code, "Dataset")
    spec = parse_mapping_text(mapping_yaml) if mapping_yaml is not None else None
    with UnitOfWork(engine) as uow:
        organisation = get_organisation(uow.session, org)
        ds = _find(uow.session, organisation.id, code)
        if ds is not None and not replace:
            raise Conflict(
                f"Dataset {org}/{code} already exists.",
                hint="Use --replace to put a new mapping in force.",
            )
        if ds is None:
            ds = Dataset(organisation_id=organisation.id, code=code)
            uow.session.add(ds)
        _apply(ds, mapping_yaml, spec, name)
        uow.session.flush()
        info = _info(ds, organisation.code)
        uow.commit()
    return info


def _apply(ds: Dataset, text: str | None, spec: MappingSpec | None, name: str | None) -> None:
    ds.mapping_yaml = text
    ds.format_version = str(spec.format_version if spec else CURRENT_VERSION)
    ds.name = name or (spec.dataset_name if spec else None) or ds.name


def _find(session: Session, organisation_id: int, code: str) -> Dataset | None:
    return session.scalars(
        select(Dataset).where(Dataset.organisation_id == organisation_id, Dataset.code == code)
    ).first()


def _info(ds: Dataset, org_code: str, records: int = 0, batches: int = 0) -> DatasetInfo:
    return DatasetInfo(
        id=ds.id,
        organisation=org_code,
        code=ds.code,
        name=ds.name,
        format_version=int(ds.format_version or 1),
        has_mapping=ds.mapping_yaml is not None,
        records=records,
        batches=batches,
    )


def get_dataset(session: Session, org: str, code: str) -> tuple[Organisation, Dataset]:
    """The organisation and its dataset, or `NotFound` with a hint."""
    organisation = get_organisation(session, org)
    ds = _find(session, organisation.id, code)
    if ds is None:
        raise NotFound(
            f"Dataset {org}/{code} does not exist.",
            hint=f"Register it with: joinedup dataset add {org} {code} --mapping FILE",
        )
    return organisation, ds


def ensure_dataset(session: Session, organisation: Organisation, code: str) -> Dataset:
    """The dataset, created without a mapping (a core-format file) when it is new."""
    code = check_code(code, "Dataset")
    ds = _find(session, organisation.id, code)
    if ds is None:
        ds = Dataset(
            organisation_id=organisation.id, code=code, format_version=str(CURRENT_VERSION)
        )
        session.add(ds)
        session.flush()
    return ds


def list_datasets(engine: Engine, org: str | None = None) -> list[DatasetInfo]:
    """Every dataset (of one organisation), with its record and batch counts."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        query = (
            select(Dataset, Organisation.code)
            .join(Organisation)
            .order_by(Organisation.code, Dataset.code)
        )
        if org is not None:
            query = query.where(Organisation.id == get_organisation(s, org).id)
        records = dict(
            s.execute(
                select(SourceRecord.dataset_id, func.count()).group_by(SourceRecord.dataset_id)
            ).all()
        )
        batches = dict(
            s.execute(
                select(IngestBatch.dataset_id, func.count()).group_by(IngestBatch.dataset_id)
            ).all()
        )
        return [
            _info(ds, code, records.get(ds.id, 0), batches.get(ds.id, 0))
            for ds, code in s.execute(query).all()
        ]
