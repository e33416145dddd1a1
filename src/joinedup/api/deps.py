"""FastAPI dependencies: the store's Engine and the authenticated requester.

Dependencies that only read the app's state are `async def`: FastAPI runs a plain `def`
dependency in the thread pool, a hand-over to a thread and back (with its wake-ups) for
each one, on every request. Only `get_principal`, which reads the store, runs there."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from joinedup.config import Settings
from joinedup.errors import Forbidden
from joinedup.governance.auth import Principal

bearer_scheme = HTTPBearer(
    auto_error=False, description="An API token from `joinedup token create`."
)


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="joinedup"'})


async def get_principal(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The requester behind the bearer token (tokens are stored hashed; see governance).

    A token checked by this worker within `JOINEDUP_API_TOKEN_CACHE_SECONDS` is taken as
    it was then, with no database round trip and no hand-over to a thread; otherwise the
    look-up runs in the thread pool."""
    from joinedup.errors import JoinedupError
    from joinedup.governance.auth import authenticate_token, recent_token_principal

    if credentials is None or not credentials.credentials:
        raise _unauthorised("A bearer token is required.")
    token = credentials.credentials
    principal = recent_token_principal(engine, token)
    if principal is None:
        try:
            principal = await run_in_threadpool(
                authenticate_token,
                engine,
                token,
                remember_seconds=settings.api_token_cache_seconds,
            )
        except JoinedupError as exc:
            raise _unauthorised(exc.message) from exc
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(principal: Principal, *roles: str) -> None:
    """Refuse (403) a requester holding none of `roles` at the organisation they act for."""
    if principal.roles.isdisjoint(roles):
        names = " or ".join(r.replace("_", " ") for r in roles)
        raise Forbidden(
            f"This needs the role {names} at {principal.organisation_code}; "
            f"your token acts as {', '.join(sorted(principal.roles))}."
        )


# Seconds a client is told to wait while the online matcher's index is being built.
MATCHER_RETRY_AFTER = 30


async def matcher_ready(request: Request) -> None:
    """Refuse (503, Retry-After) while this process is still building the online matcher's
    index at start-up, rather than holding the request until it is built."""
    ready = getattr(request.app.state, "matcher_ready", None)
    if ready is not None and not ready.is_set():
        raise HTTPException(
            503,
            "The matching index is being built after a restart; try again shortly.",
            headers={"Retry-After": str(MATCHER_RETRY_AFTER)},
        )


MatcherReady = Depends(matcher_ready)
