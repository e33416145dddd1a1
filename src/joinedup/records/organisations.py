"""Organisations: the partners that send extracts and hold records."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from joinedup.errors import Conflict, InvalidInput, NotFound
from joinedup.store import UnitOfWork
from joinedup.store.schema.core import Organisation

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    code: str
    name: str
    kind: str | None


def _info(org: Organisation) -> OrganisationInfo:
    return OrganisationInfo(org.id, org.code, org.name, org.kind)


def check_code(code: str, what: str) -> str:
    code = code.strip()
    if not CODE_RE.fullmatch(code):
        raise InvalidInput(
            f"{what} code {code!r} is not allowed: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit."
        )
    return code


def add_organisation(
    engine: Engine, code: str, name: str, *, kind: str | None = None, exist_ok: bool = False
) -> OrganisationInfo:
    """Register an organisation (a partner). `exist_ok` returns an existing one unchanged."""
    code = check_code(code, "Organisation")
    name = name.strip()
    if not name:
        raise InvalidInput("An organisation needs a name.")
    with UnitOfWork(engine) as uow:
        existing = uow.session.scalars(
            select(Organisation).where(Organisation.code == code)
        ).first()
        if existing is not None:
            if exist_ok:
                return _info(existing)
            raise Conflict(f"Organisation {code!r} already exists ({existing.name}).")
        org = Organisation(code=code, name=name, kind=kind)
        uow.session.add(org)
        uow.session.flush()
        info = _info(org)
        uow.commit()
    return info


def list_organisations(engine: Engine) -> list[OrganisationInfo]:
    with UnitOfWork(engine) as uow:
        return [
            _info(o) for o in uow.session.scalars(select(Organisation).order_by(Organisation.code))
        ]


def get_organisation(session: Session, code: str) -> Organisation:
    """The organisation with `code`, or `NotFound` with a hint."""
    org = session.scalars(select(Organisation).where(Organisation.code == code)).first()
    if org is None:
        raise NotFound(
            f"Organisation {code!r} does not exist.",
            hint=f"Add it with: joinedup org add {code} --name 'Full name'",
        )
    return org
