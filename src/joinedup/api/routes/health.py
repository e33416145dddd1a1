"""Liveness and readiness: is the process up, and can it reach its store?"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from pydantic import BaseModel

from joinedup import __version__
from joinedup.api.deps import EngineDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    backend: str
    schema_revision: str | None


@router.get("/health", summary="Is the hub up and its store reachable?")
def health(engine: EngineDep) -> Health:
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return Health(
        status="ok", version=__version__, backend=engine.dialect.name, schema_revision=revision
    )
