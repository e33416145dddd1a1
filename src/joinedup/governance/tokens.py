"""API tokens: created for a user acting for one organisation, shown once, stored hashed,
expiring, revocable. `joinedup.governance.auth.authenticate_token` checks them."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from joinedup.errors import Forbidden, InvalidInput, NotFound
from joinedup.governance import audit
from joinedup.governance.auth import TOKEN_PREFIX, forget_token_principals, roles_at, token_hash
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    session_scope,
    user_by_username,
)
from joinedup.governance.users import actor_entry, require_admin
from joinedup.store.schema.core import Organisation
from joinedup.store.schema.governance import ApiToken, User

MAX_DAYS = 366


@dataclass(frozen=True)
class IssuedToken:
    """A new token. `secret` exists only here: it is never stored nor shown again."""

    id: int
    secret: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class TokenSummary:
    id: int
    username: str
    organisation: str
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= dt.datetime.now(dt.UTC):
            return "expired"
        return "active"


def create_token(
    store: EngineOrSession,
    username: str,
    organisation_code: str,
    name: str,
    *,
    days: int = 90,
    actor: str | None = None,
) -> IssuedToken:
    """A token for `username` acting for `organisation_code`, valid for `days` days."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"A token lasts between 1 and {MAX_DAYS} days, not {days}.")
    with session_scope(store) as session:
        user = user_by_username(session, username)
        org = organisation_by_code(session, organisation_code)
        if actor != username:
            require_admin(session, actor, org.id)
        if not roles_at(session, user.id, org.id):
            raise Forbidden(f"{username} holds no role at {org.code}: grant one first.")
        # 32 random bytes: a SHA-256 of it cannot be reversed by guessing.
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        row = ApiToken(
            user_id=user.id,
            organisation_id=org.id,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            token_hash=token_hash(secret),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            actor_entry(
                session,
                actor,
                "token.create",
                organisation_id=org.id,
                object_type="api_token",
                object_id=str(row.id),
                details={"user": username, "name": name, "days": days},
            ),
        )
        return IssuedToken(row.id, secret, row.expires_at)


def revoke_token(store: EngineOrSession, token_id: int, *, actor: str | None = None) -> None:
    with session_scope(store) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"No API token {token_id}.")
        owner = session.get_one(User, row.user_id)
        if actor != owner.username:
            require_admin(session, actor, row.organisation_id)
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            audit.append(
                session,
                actor_entry(
                    session,
                    actor,
                    "token.revoke",
                    organisation_id=row.organisation_id,
                    object_type="api_token",
                    object_id=str(row.id),
                ),
            )
    forget_token_principals()  # API workers remember principals for a moment


def list_tokens(store: EngineOrSession, username: str | None = None) -> list[TokenSummary]:
    with session_scope(store) as session:
        stmt = (
            select(ApiToken, User.username, Organisation.code)
            .join(User, User.id == ApiToken.user_id)
            .join(Organisation, Organisation.id == ApiToken.organisation_id)
            .order_by(ApiToken.id)
        )
        if username is not None:
            stmt = stmt.where(User.id == user_by_username(session, username, active_only=False).id)
        return [
            TokenSummary(
                t.id,
                uname,
                code,
                t.name,
                t.prefix,
                t.created_at,
                t.expires_at,
                t.revoked_at,
                t.last_used_at,
            )
            for t, uname, code in session.execute(stmt)
        ]
