"""Users and the roles they hold at organisations.

Roles are per organisation: the same person may be a practitioner at a school and a data
owner at the trust that runs it. Changes are made by a partnership admin, or by an org admin
for their own organisation; with no acting user (`actor=None`) the change is made by the
operator of the server (the `joinedup` command run on the host) and audited as `system`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from joinedup.domain.policy import ROLES
from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.auth import forget_token_principals, hash_password
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.core import Organisation
from joinedup.store.schema.governance import ApiToken, User, UserRole

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class UserSummary:
    id: int
    username: str
    display_name: str
    email: str | None
    active: bool
    has_password: bool
    roles: tuple[str, ...]  # "role@ORG"


def actor_entry(
    session: Session, actor: str | None, action: str, **fields: Any
) -> audit.AuditEntry:
    """An audit entry made by the user `actor` (None: the server operator)."""
    if actor is None:
        return audit.AuditEntry(action=action, **fields)
    user = user_by_username(session, actor)
    return audit.AuditEntry(action=action, actor=user.username, actor_user_id=user.id, **fields)


def require_admin(session: Session, actor: str | None, organisation_id: int | None) -> None:
    """Let a partnership admin, or an org admin of `organisation_id`, through."""
    if actor is None:
        return
    user = user_by_username(session, actor)
    held = session.execute(
        select(UserRole.role, UserRole.organisation_id).where(UserRole.user_id == user.id)
    ).all()
    if any(role == "partnership_admin" for role, _ in held):
        return
    if organisation_id is not None and any(
        role == "org_admin" and org == organisation_id for role, org in held
    ):
        return
    raise Forbidden(f"{actor!r} is not an admin for this change.")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    return role


def create_user(
    store: EngineOrSession,
    username: str,
    display_name: str,
    *,
    email: str | None = None,
    password: str | None = None,
    actor: str | None = None,
) -> int:
    """Create a user (no roles yet); returns the user id."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            f"Username {username!r} is not allowed: use 2-64 lower-case letters, digits, . _ -"
        )
    with session_scope(store) as session:
        require_admin(session, actor, None)
        if session.scalars(select(User.id).where(User.username == username)).first():
            raise Conflict(f"User {username!r} already exists.")
        user = User(
            username=username,
            display_name=display_name.strip() or username,
            email=email,
            password_hash=hash_password(password) if password else None,
        )
        session.add(user)
        session.flush()
        audit.append(
            session,
            actor_entry(session, actor, "user.create", object_type="user", object_id=username),
        )
        return user.id


def set_password(
    store: EngineOrSession, username: str, password: str, *, actor: str | None = None
) -> None:
    with session_scope(store) as session:
        user = user_by_username(session, username)
        if actor != username:
            require_admin(session, actor, None)
        user.password_hash = hash_password(password)
        audit.append(
            session,
            actor_entry(session, actor, "user.password", object_type="user", object_id=username),
        )


def grant_role(
    store: EngineOrSession,
    username: str,
    organisation_code: str,
    role: str,
    *,
    actor: str | None = None,
) -> None:
    check_role(role)
    with session_scope(store) as session:
        user = user_by_username(session, username)
        org = organisation_by_code(session, organisation_code)
        require_admin(session, actor, org.id)
        exists = session.scalars(
            select(UserRole.id).where(
                UserRole.user_id == user.id,
                UserRole.organisation_id == org.id,
                UserRole.role == role,
            )
        ).first()
        if exists:
            raise Conflict(f"{username} is already {role} at {org.code}.")
        session.add(UserRole(user_id=user.id, organisation_id=org.id, role=role, granted_by=actor))
        audit.append(
            session,
            actor_entry(
                session,
                actor,
                "user.role.grant",
                object_type="user",
                object_id=username,
                details={"role": role, "organisation": org.code},
            ),
        )
    forget_token_principals()  # API workers remember principals for a moment


def revoke_role(
    store: EngineOrSession,
    username: str,
    organisation_code: str,
    role: str,
    *,
    actor: str | None = None,
) -> None:
    check_role(role)
    with session_scope(store) as session:
        user = user_by_username(session, username, active_only=False)
        org = organisation_by_code(session, organisation_code)
        require_admin(session, actor, org.id)
        gone = session.execute(
            delete(UserRole).where(
                UserRole.user_id == user.id,
                UserRole.organisation_id == org.id,
                UserRole.role == role,
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"{username} is not {role} at {org.code}.")
        audit.append(
            session,
            actor_entry(
                session,
                actor,
                "user.role.revoke",
                object_type="user",
                object_id=username,
                details={"role": role, "organisation": org.code},
            ),
        )
    forget_token_principals()


def deactivate_user(store: EngineOrSession, username: str, *, actor: str | None = None) -> int:
    """Stop a user signing in and revoke their live tokens; returns the tokens revoked."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(store) as session:
        user = user_by_username(session, username, active_only=False)
        require_admin(session, actor, None)
        user.active = False
        user.deactivated_at = now
        tokens = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for token in tokens:
            token.revoked_at = now
        audit.append(
            session,
            actor_entry(
                session,
                actor,
                "user.deactivate",
                object_type="user",
                object_id=username,
                details={"tokens_revoked": len(tokens)},
            ),
        )
        revoked = len(tokens)
    forget_token_principals()
    return revoked


def list_users(store: EngineOrSession, organisation_code: str | None = None) -> list[UserSummary]:
    with session_scope(store) as session:
        stmt = select(User).order_by(User.username)
        if organisation_code is not None:
            org = organisation_by_code(session, organisation_code)
            stmt = stmt.where(
                User.id.in_(select(UserRole.user_id).where(UserRole.organisation_id == org.id))
            )
        users = session.scalars(stmt).all()
        held: dict[int, list[str]] = {}
        for user_id, role, code in session.execute(
            select(UserRole.user_id, UserRole.role, Organisation.code)
            .join(Organisation, Organisation.id == UserRole.organisation_id)
            .order_by(Organisation.code, UserRole.role)
        ):
            held.setdefault(user_id, []).append(f"{role}@{code}")
        return [
            UserSummary(
                u.id,
                u.username,
                u.display_name,
                u.email,
                u.active,
                u.password_hash is not None,
                tuple(held.get(u.id, [])),
            )
            for u in users
        ]
