"""Pseudonyms for analysis: HMAC-SHA256 of a person number under a key per analysis project.

Analysts join a project's tables on the pseudonym without ever seeing person numbers; two
projects get unrelated pseudonyms for the same person, so their outputs cannot be joined with
each other. The key is 32 bytes from `secrets`, stored in the store and never shown: person
numbers are few enough (about 10^9) that anyone holding a key could recompute every
pseudonym, so the key stays with the hub, which pseudonymises on the analysts' behalf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from joinedup.errors import Conflict, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.lookups import EngineOrSession, session_scope, user_by_username
from joinedup.store.schema.governance import PseudonymProject

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Project:
    """An analysis project with its key loaded, ready to pseudonymise."""

    code: str
    name: str
    key: bytes = field(repr=False)
    retired: bool = False


@dataclass(frozen=True)
class ProjectSummary:
    code: str
    name: str
    created_at: dt.datetime
    retired_at: dt.datetime | None


def pseudonym(project: Project, person_number: str) -> str:
    """The project's pseudonym (64 hex digits) for a person number."""
    number = person_number.replace(" ", "").strip()
    return hmac.new(project.key, number.encode("ascii"), hashlib.sha256).hexdigest()


def pseudonyms(project: Project, person_numbers: Iterable[str]) -> dict[str, str]:
    return {n: pseudonym(project, n) for n in person_numbers}


def create_project(
    store: EngineOrSession, code: str, name: str, *, actor: str | None = None
) -> Project:
    """A new analysis project with a fresh random key."""
    if not CODE_RE.match(code):
        raise InvalidInput(f"Project code {code!r}: use letters, digits, . _ - (up to 64).")
    with session_scope(store) as session:
        if session.scalars(
            select(PseudonymProject.id).where(PseudonymProject.code == code)
        ).first():
            raise Conflict(f"Project {code!r} already exists.")
        user = user_by_username(session, actor) if actor else None
        row = PseudonymProject(
            code=code,
            name=name,
            key=secrets.token_bytes(32),
            created_by_user_id=user.id if user else None,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            audit.AuditEntry(
                action="pseudo.create",
                actor=user.username if user else audit.SYSTEM_ACTOR,
                actor_user_id=user.id if user else None,
                object_type="pseudonym_project",
                object_id=code,
            ),
        )
        return Project(row.code, row.name, row.key)


def load_project(store: EngineOrSession, code: str) -> Project:
    """A project with its key, for the hub's own analysis jobs. Refuses a retired project."""
    with session_scope(store) as session:
        row = session.scalars(
            select(PseudonymProject).where(PseudonymProject.code == code)
        ).one_or_none()
        if row is None:
            raise NotFound(f"No analysis project {code!r}.")
        if row.retired_at is not None:
            raise Conflict(f"Analysis project {code!r} is retired; its key is no longer used.")
        return Project(row.code, row.name, bytes(row.key))


def retire_project(store: EngineOrSession, code: str, *, actor: str | None = None) -> None:
    """Stop a project's key being used; its pseudonyms can no longer be extended."""
    with session_scope(store) as session:
        row = session.scalars(
            select(PseudonymProject).where(PseudonymProject.code == code)
        ).one_or_none()
        if row is None:
            raise NotFound(f"No analysis project {code!r}.")
        if row.retired_at is None:
            row.retired_at = dt.datetime.now(dt.UTC)
            user = user_by_username(session, actor) if actor else None
            audit.append(
                session,
                audit.AuditEntry(
                    action="pseudo.retire",
                    actor=user.username if user else audit.SYSTEM_ACTOR,
                    actor_user_id=user.id if user else None,
                    object_type="pseudonym_project",
                    object_id=code,
                ),
            )


def list_projects(store: EngineOrSession) -> list[ProjectSummary]:
    with session_scope(store) as session:
        return [
            ProjectSummary(r.code, r.name, r.created_at, r.retired_at)
            for r in session.scalars(select(PseudonymProject).order_by(PseudonymProject.code))
        ]
