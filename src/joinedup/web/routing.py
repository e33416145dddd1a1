"""`WebRoute`: what every page route does around its handler.

Before the handler: read the session cookie, read the signed-in user afresh from the store,
and refuse any unsafe request (POST, PUT, PATCH, DELETE) whose CSRF token does not match
the session's (from the `csrf_token` form field or the `X-CSRF-Token` header HTMX sends), or
whose Origin header names another site. After it: re-sign the session cookie (restarting the
idle clock) and add the security headers. Errors become HTML pages, not problem documents:
the API's handlers never see them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from joinedup.errors import JoinedupError
from joinedup.logging import get_logger
from joinedup.web.page import PageContext
from joinedup.web.session import CSRF_FORM_FIELD, CSRF_HEADER
from joinedup.web.templating import is_htmx, render, web_url

if TYPE_CHECKING:
    from joinedup.web.app_state import WebState

log = get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class SignInRequired(Exception):
    """The page needs a signed-in user (or one who has chosen a role)."""

    def __init__(self, to: str = "sign_in") -> None:
        super().__init__(to)
        self.to = to


class CsrfRejected(Exception):
    """An unsafe request without the session's CSRF token, or from another site."""


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        # Browsers send Origin with every POST; a missing one is a non-browser client, which
        # still needs the token. "null" (sandboxed frames, some redirects) gets no pass.
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


async def _check_csrf(request: Request, page: PageContext) -> None:
    if not _same_origin(request):
        raise CsrfRejected("origin")
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        given = value if isinstance(value, str) else None
    if not page.session.csrf_matches(given):
        raise CsrfRejected("token")


def _sign_in_redirect(request: Request, to: str) -> Response:
    target = web_url(request, to)
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if here != "/":
            target += "?" + urlencode({"next": here})
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


class WebRoute(APIRoute):
    """An APIRoute that gives its handler a session, a user, CSRF checks and HTML errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            web: WebState = request.app.state.web
            session = web.codec.load(request)
            page = PageContext(session=session, nonce=secrets.token_urlsafe(16))
            request.state.page = page
            if session.expired:
                session.flash(
                    "You were signed out because you had not used joinedup for "
                    f"{web.settings.session_idle_minutes} minutes."
                    if session.expired == "idle"
                    else "You were signed out because your session had lasted "
                    f"{web.settings.session_max_hours} hours."
                )
            try:
                if session.user_id is not None:
                    engine = request.app.state.engine
                    page.user = await run_in_threadpool(
                        web.load_user, engine, session.user_id, session.active_membership
                    )
                    if page.user is None:
                        session.clear()
                if request.method not in SAFE_METHODS:
                    await _check_csrf(request, page)
                response = await handler(request)
            except CsrfRejected as exc:
                log.warning("csrf rejected", path=request.url.path, reason=str(exc))
                response = render(request, "csrf_rejected.html", status_code=403)
            except SignInRequired as exc:
                response = _sign_in_redirect(request, exc.to)
            except JoinedupError as exc:
                response = _error_page(request, exc.http_status, exc.title, exc.message)
            except RequestValidationError as exc:
                log.warning("web request invalid", path=request.url.path, errors=exc.errors())
                response = _error_page(
                    request,
                    400,
                    "Bad request",
                    "The page could not read what was sent. Go back and try again.",
                )
            except HTTPException as exc:
                detail = exc.detail if isinstance(exc.detail, str) else "Something went wrong."
                response = _error_page(request, exc.status_code, "Error", detail)
            web.codec.save(request, response, session)
            headers = response.headers
            headers.setdefault("Content-Security-Policy", content_security_policy(page.nonce))
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("Referrer-Policy", "same-origin")
            headers.setdefault("X-Frame-Options", "DENY")
            # Pages show records about people: never keep them in a cache.
            headers.setdefault("Cache-Control", "no-store")
            return response

        return web_handler
