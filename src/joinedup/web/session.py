"""Signed-cookie sessions with idle and absolute expiry, and the CSRF synchronizer token.

The whole session lives in one cookie, signed (not encrypted) with itsdangerous: it holds
only ids, the active role, the CSRF token and one-off messages, never personal data. The
cookie is re-signed on every response, so the signature's timestamp is the time of the
user's last request and `loads(max_age=idle)` is the idle timeout. The time of sign-in is
kept inside to end a session after `session_max_hours` however busy it is.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from joinedup.web.settings import WebSettings

COOKIE_NAME = "joinedup_session"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SALT = "joinedup.web.session"


@dataclass
class WebSession:
    """The session of one browser: a small dict, plus why an old one was dropped."""

    data: dict[str, Any] = field(default_factory=dict)
    # "idle" or "max_age" when the browser sent a session that has run out.
    expired: str | None = None

    @property
    def user_id(self) -> Any:
        return self.data.get("uid")

    @property
    def active_membership(self) -> str | None:
        value = self.data.get("act")
        return str(value) if value else None

    @active_membership.setter
    def active_membership(self, key: str | None) -> None:
        if key is None:
            self.data.pop("act", None)
        else:
            self.data["act"] = key

    def csrf_token(self) -> str:
        """The session's CSRF token, made on first use."""
        token = self.data.get("csrf")
        if not isinstance(token, str) or not token:
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
        return token

    def csrf_matches(self, given: str | None) -> bool:
        token = self.data.get("csrf")
        if not isinstance(token, str) or not token or not given:
            return False
        return hmac.compare_digest(token.encode(), given.encode())

    def sign_in(self, user_id: Any, now: float | None = None) -> None:
        """Start a new session for `user_id`: nothing of the anonymous one survives, and the
        CSRF token is new (a token seen before sign-in is useless after it)."""
        self.data = {"uid": user_id, "iat": int(now if now is not None else time.time())}
        self.csrf_token()

    def clear(self) -> None:
        self.data = {}

    def flash(self, message: str) -> None:
        """Keep a message to show once, on the next page rendered."""
        self.data.setdefault("flash", []).append(message)

    def pop_flashes(self) -> list[str]:
        return list(self.data.pop("flash", []))


class SessionCodec:
    """Reads and writes the session cookie."""

    def __init__(self, secret: str, settings: WebSettings) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.settings = settings
        self.idle_seconds = settings.session_idle_minutes * 60
        self.max_seconds = settings.session_max_hours * 3600

    def load(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return WebSession()
        try:
            data = self.serializer.loads(raw, max_age=self.idle_seconds)
        except SignatureExpired:
            return WebSession(expired="idle")
        except BadSignature:
            return WebSession()
        if not isinstance(data, dict):
            return WebSession()
        issued = data.get("iat")
        if isinstance(issued, int | float) and time.time() - issued > self.max_seconds:
            return WebSession(expired="max_age")
        return WebSession(data=data)

    def secure(self, request: Request) -> bool:
        if self.settings.cookie_secure == "always":
            return True
        if self.settings.cookie_secure == "never":
            return False
        return request.url.scheme == "https"

    def save(self, request: Request, response: Response, session: WebSession) -> None:
        """Re-sign the session onto `response` (which restarts the idle clock), or delete
        the cookie when the session is empty."""
        secure = self.secure(request)
        if not session.data:
            if COOKIE_NAME in request.cookies:
                response.delete_cookie(
                    COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="lax"
                )
            return
        response.set_cookie(
            COOKIE_NAME,
            self.serializer.dumps(session.data),
            max_age=self.idle_seconds,
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
