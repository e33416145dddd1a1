"""Who is asking: principals, password checks (argon2id) and API token authentication.

A `Principal` is a user acting for one organisation with the roles held there; every
governance decision starts from one. API tokens are random secrets shown once; the store
keeps only their SHA-256, which is enough for a 256-bit random secret (nothing to guess) and
makes each request's check one indexed lookup. Passwords are chosen by people, so they get a
slow, salted hash: argon2id via argon2-cffi.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Select, bindparam, select, update
from sqlalchemy.orm import Session

from joinedup.domain.policy import Requester
from joinedup.errors import Forbidden, InvalidInput, NotFound
from joinedup.governance.lookups import EngineOrSession, session_scope
from joinedup.store.schema.core import Organisation
from joinedup.store.schema.governance import ApiToken, User, UserRole

TOKEN_PREFIX = "jdu_"  # noqa: S105 (a label, not a secret)
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the
# username exists.
_DUMMY_HASH = _hasher.hash("joinedup-no-such-user")


@dataclass(frozen=True)
class Principal:
    """A user acting for one organisation, with the roles they hold there."""

    user_id: int
    username: str
    organisation_id: int
    organisation_code: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    def requester(self) -> Requester:
        return Requester(self.user_id, self.organisation_id, self.roles)


@dataclass(frozen=True)
class AuthenticatedUser:
    """A user whose password checked out (not yet acting for an organisation)."""

    user_id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class MembershipRow:
    role: str
    organisation_id: int
    organisation_code: str
    organisation_name: str


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise InvalidInput("A password needs at least 12 characters.")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches the argon2 hash (False for no hash at all)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate_password(engine: Engine, username: str, password: str) -> AuthenticatedUser:
    """The user with this username and password; raises `Forbidden` otherwise.

    Re-hashes the password when argon2's recommended parameters have changed.
    """
    with session_scope(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            raise Forbidden("Wrong username or password.")
        if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return AuthenticatedUser(user.id, user.username, user.display_name)


def roles_at(session: Session, user_id: int, organisation_id: int) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(UserRole.role).where(
                UserRole.user_id == user_id, UserRole.organisation_id == organisation_id
            )
        )
    )


def principal_for(session: Session, username: str, organisation_code: str | None) -> Principal:
    """`username` acting for the organisation `organisation_code`.

    Without an organisation, the one organisation where the user holds roles is used.
    Raises `Forbidden` when the user holds no role there.
    """
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"No user {username!r}.", hint="List them with `joinedup user list`.")
    if not user.active:
        raise Forbidden(f"User {username!r} is deactivated.")
    org: Organisation | None
    if organisation_code is None:
        org_ids = set(
            session.scalars(select(UserRole.organisation_id).where(UserRole.user_id == user.id))
        )
        if len(org_ids) != 1:
            raise InvalidInput(
                f"User {username!r} holds roles at {len(org_ids)} organisations; "
                "say which one they act for (--org)."
            )
        org = session.get_one(Organisation, org_ids.pop())
    else:
        org = session.scalars(
            select(Organisation).where(Organisation.code == organisation_code)
        ).one_or_none()
    if org is None:
        raise NotFound(f"No organisation with code {organisation_code!r}.")
    roles = roles_at(session, user.id, org.id)
    if not roles:
        raise Forbidden(f"User {username!r} holds no role at {org.code}.")
    return Principal(user.id, user.username, org.id, org.code, roles)


def user_memberships(
    store: EngineOrSession, user_id: int
) -> tuple[User, list[MembershipRow]] | None:
    """An active user and every (role, organisation) they hold; None when gone or disabled."""
    with session_scope(store) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        rows = session.execute(
            select(UserRole.role, Organisation.id, Organisation.code, Organisation.name)
            .join(Organisation, Organisation.id == UserRole.organisation_id)
            .where(UserRole.user_id == user_id)
            .order_by(Organisation.code, UserRole.role)
        ).all()
        session.expunge(user)
        return user, [MembershipRow(r[0], int(r[1]), r[2], r[3]) for r in rows]


def principal_for_user(
    store: EngineOrSession, user_id: int, organisation_id: int, role: str | None = None
) -> Principal:
    """The user acting for an organisation: in one of their roles there, or all of them."""
    with session_scope(store) as session:
        user = session.get(User, user_id)
        org = session.get(Organisation, organisation_id)
        if user is None or not user.active or org is None:
            raise Forbidden("This user may not act for that organisation.")
        roles = roles_at(session, user_id, organisation_id)
        if role is not None:
            if role not in roles:
                raise Forbidden(f"User {user.username!r} is not a {role} at {org.code}.")
            roles = frozenset({role})
        if not roles:
            raise Forbidden(f"User {user.username!r} holds no role at {org.code}.")
        return Principal(user.id, user.username, org.id, org.code, roles)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _token_query() -> Select[Any]:
    """Token, user, organisation and the user's roles there, in one statement: a row per
    role (one row with a NULL role when none is held). `api_tokens.token_hash` is unique,
    so the look-up is an index probe."""
    tokens, users, orgs, roles = (
        ApiToken.__table__,
        User.__table__,
        Organisation.__table__,
        UserRole.__table__,
    )
    return (
        select(
            tokens.c.id,
            tokens.c.revoked_at,
            tokens.c.expires_at,
            tokens.c.last_used_at,
            users.c.id,
            users.c.username,
            users.c.active,
            orgs.c.id,
            orgs.c.code,
            roles.c.role,
        )
        .select_from(tokens)
        .join(users, users.c.id == tokens.c.user_id)
        .join(orgs, orgs.c.id == tokens.c.organisation_id)
        .outerjoin(
            roles,
            (roles.c.user_id == tokens.c.user_id)
            & (roles.c.organisation_id == tokens.c.organisation_id),
        )
        .where(tokens.c.token_hash == bindparam("digest"))
    )


# Built once: composing a statement costs more Python than running it does.
_TOKEN_QUERY = _token_query()


class _RecentPrincipals:
    """Principals authenticated from API tokens in the last few seconds, in this process.

    Keyed by the store's Engine and the token's SHA-256 (no secret is kept). An entry lives
    for the seconds it was given, never past the token's expiry. The services that revoke a
    token or change a user's roles or status clear them all (`forget_token_principals`), so
    in the process that made the change it applies at once, in the other API workers within
    those seconds. A look-up that was under way when they were cleared is not remembered
    (`generation`): it may have read the store before the change."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Engine, str], tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: tuple[Engine, str]) -> Principal | None:
        found = self._entries.get(key)
        if found is None:
            return None
        until, principal = found
        if time.monotonic() >= until:
            self._entries.pop(key, None)
            return None
        return principal

    def put(
        self, key: tuple[Engine, str], principal: Principal, until: float, generation: int
    ) -> None:
        with self._lock:
            if generation != self.generation:
                return  # cleared since this principal was read
            if len(self._entries) > 10_000:  # many tokens: drop what has expired
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[key] = (until, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self.generation += 1


_RECENT = _RecentPrincipals()


def recent_token_principal(engine: Engine, token: str) -> Principal | None:
    """The principal `authenticate_token(..., remember_seconds=...)` found for this token in
    the last few seconds, if any: no database, so the API can skip a round trip (and the
    hand-over to a thread that it needs) on most requests of a busy client."""
    return _RECENT.get((engine, token_hash(token.strip())))


def forget_token_principals() -> None:
    """Drop every remembered principal (a token revoked, a user's roles or status changed)."""
    _RECENT.clear()


def authenticate_token(
    store: EngineOrSession, token: str, *, remember_seconds: float = 0.0
) -> Principal:
    """The principal behind an API token; raises `Forbidden` for an unknown, revoked or
    expired token, or one whose user has lost every role at the token's organisation.

    One statement on the hot path (token, user, organisation, roles joined), run outside a
    transaction when given an Engine; a second, rare one records the token's use (at most
    once a minute). With `remember_seconds` (and an Engine), the principal is remembered for
    `recent_token_principal` that long (the API's `JOINEDUP_API_TOKEN_CACHE_SECONDS`).
    """
    generation = _RECENT.generation  # before anything is read (see _RecentPrincipals)
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        raise Forbidden("Not a joinedup API token.")
    now = dt.datetime.now(dt.UTC)
    params = {"digest": token_hash(token)}
    if isinstance(store, Session):
        rows = store.execute(_TOKEN_QUERY, params).all()
    else:
        # A single read needs no transaction: autocommit spares the BEGIN and COMMIT.
        with store.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows = conn.execute(_TOKEN_QUERY, params).all()
    if not rows:
        raise Forbidden("Unknown API token.")
    token_id, revoked_at, expires_at, last_used_at, user_id, username, active, org_id, code, _ = (
        rows[0]
    )
    if revoked_at is not None:
        raise Forbidden("This API token has been revoked.")
    if expires_at <= now:
        raise Forbidden("This API token has expired.", hint="Create a new one.")
    if not active:
        raise Forbidden("This user may not act for that organisation.")
    roles = frozenset(r[9] for r in rows if r[9] is not None)
    if not roles:
        raise Forbidden(f"User {username!r} holds no role at {code}.")
    # Recording use at most once a minute keeps busy clients from writing on every call.
    if last_used_at is None or now - last_used_at > dt.timedelta(minutes=1):
        mark = (
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        with session_scope(store) as session:
            session.execute(mark)
    principal = Principal(int(user_id), username, int(org_id), code, roles)
    if remember_seconds > 0 and isinstance(store, Engine):
        left = (expires_at - now).total_seconds()
        until = time.monotonic() + min(remember_seconds, left)
        _RECENT.put((store, params["digest"]), principal, until, generation)
    return principal
