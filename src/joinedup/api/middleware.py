"""Request ids and per-token rate limiting."""

from __future__ import annotations

import hashlib
import re
import time
import uuid

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from joinedup.api.problems import problem_response

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware(BaseHTTPMiddleware):
    """Take a well-formed `X-Request-ID` from the client or make one; echo it back."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        request.state.request_id = request_id
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        return response


class RateLimitMiddleware(BaseHTTPMiddleware):
    """A moving-window limit per bearer token (per client address when there is none).

    The key is a hash of the token, so no secret is kept in memory longer than the request.
    """

    def __init__(self, app: ASGIApp, limit: str = "600/minute") -> None:
        super().__init__(app)
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not request.url.path.startswith(("/api/", "/fhir")):
            return await call_next(request)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = "t:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:32]
        else:
            key = "ip:" + (request.client.host if request.client else "unknown")
        if not self.limiter.hit(self.item, key):
            stats = self.limiter.get_window_stats(self.item, key)
            retry = max(1, int(stats.reset_time - time.time()))
            return problem_response(
                request,
                429,
                "Too many requests",
                f"The rate limit of {self.item} for this token is used up.",
                headers={"Retry-After": str(retry)},
            )
        return await call_next(request)
