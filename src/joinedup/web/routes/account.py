"""Signing in and out, and choosing the role and organisation to act for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from joinedup.errors import JoinedupError
from joinedup.logging import get_logger
from joinedup.web.deps import EngineDep, SignedInDep
from joinedup.web.page import page_context
from joinedup.web.routing import WebRoute
from joinedup.web.templating import render, web_url

router = APIRouter(route_class=WebRoute, include_in_schema=False)
log = get_logger(__name__)

_failed_sign_ins = MovingWindowRateLimiter(MemoryStorage())


def safe_next(value: str | None) -> str:
    """A path on this site to go to after signing in; anything else becomes the home page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def _go(target: str) -> Response:
    return RedirectResponse(target, status_code=303)


@router.get("/sign-in", name="sign_in")
def sign_in_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    if page_context(request).user is not None:
        return _go(safe_next(next))
    return render(request, "account/sign_in.html", {"next": safe_next(next), "errors": {}})


@router.post("/sign-in", name="sign_in_submit")
async def sign_in_submit(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    web = request.app.state.web
    username = username.strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message)
    limit = parse(web.settings.sign_in_attempts)
    client = request.client.host if request.client else "unknown"
    key = f"{client}:{username.lower()}"
    if not errors and not _failed_sign_ins.test(limit, key):
        errors["username"] = (
            "There have been too many failed attempts to sign in with this username. "
            "Wait 15 minutes and try again"
        )
    if not errors:
        from joinedup.web.auth import authenticate

        try:
            user_id = await run_in_threadpool(authenticate, engine, username, password)
        except JoinedupError:
            _failed_sign_ins.hit(limit, key)
            log.info("sign-in refused", username=username)
            errors["username"] = "The username or password is not right"
    if errors:
        return render(
            request,
            "account/sign_in.html",
            {"next": safe_next(next), "errors": errors, "username": username},
            status_code=422,
        )
    session = page_context(request).session
    session.sign_in(user_id)
    log.info("signed in", user_id=user_id)
    user = await run_in_threadpool(web.load_user, engine, user_id, None)
    if user is not None and user.active is not None:
        session.active_membership = user.active.key
        return _go(safe_next(next))
    return _go(web_url(request, "choose_role") + f"?next={safe_next(next)}")


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request) -> Response:
    session = page_context(request).session
    session.clear()
    session.flash("You have signed out.")
    return _go(web_url(request, "sign_in"))


@router.get("/choose-role", name="choose_role")
def choose_role_page(
    request: Request, user: SignedInDep, next: Annotated[str | None, Query()] = None
) -> Response:
    return render(request, "account/choose_role.html", {"next": safe_next(next), "error": None})


@router.post("/choose-role", name="choose_role_submit")
def choose_role_submit(
    request: Request,
    user: SignedInDep,
    membership: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    chosen = user.membership(membership)
    if chosen is None:
        return render(
            request,
            "account/choose_role.html",
            {"next": safe_next(next), "error": "Select the role you want to act in"},
            status_code=422,
        )
    page_context(request).session.active_membership = chosen.key
    return _go(safe_next(next))
