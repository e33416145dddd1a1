"""Request ids and per-token rate limiting, as plain ASGI middleware.

Plain ASGI rather than Starlette's `BaseHTTPMiddleware`: that one runs each request through
an extra task and response stream, a cost every API call would pay twice.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from joinedup.api.problems import problem_response

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Take a well-formed `X-Request-ID` from the client or make one; echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        # `request.state.request_id` downstream reads this.
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class RateLimitMiddleware:
    """A moving-window limit per bearer token (per client address when there is none).

    The key is a hash of the token, so no secret is kept in memory longer than the request.
    """

    def __init__(self, app: ASGIApp, limit: str = "600/minute") -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/fhir")):
            await self.app(scope, receive, send)
            return
        auth = Headers(scope=scope).get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = "t:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:32]
        else:
            client = scope.get("client")
            key = "ip:" + (client[0] if client else "unknown")
        if not self.limiter.hit(self.item, key):
            stats = self.limiter.get_window_stats(self.item, key)
            retry = max(1, int(stats.reset_time - time.time()))
            response = problem_response(
                Request(scope),
                429,
                "Too many requests",
                f"The rate limit of {self.item} for this token is used up.",
                headers={"Retry-After": str(retry)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
