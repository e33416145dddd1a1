"""RFC 9457 problem details: every error response of the API is `application/problem+json`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from joinedup.api.fhir import FHIR_MEDIA_TYPE
from joinedup.api.fhir.outcome import operation_outcome
from joinedup.errors import JoinedupError
from joinedup.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
FHIR_PREFIX = "/fhir"
PROBLEM_BASE = "https://joinedup.invalid/problems/"

log = get_logger(__name__)


class Problem(BaseModel):
    """A problem details object (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI identifying the problem type.")
    title: str = Field(description="Short, human-readable summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="Explanation of this occurrence.")
    instance: str | None = Field(default=None, description="URI of this occurrence.")
    request_id: str | None = Field(default=None, description="The request's X-Request-ID.")


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    if request.url.path.startswith(FHIR_PREFIX):
        # FHIR clients expect an OperationOutcome, not a problem document.
        return JSONResponse(
            operation_outcome(status, title, detail),
            status_code=status,
            media_type=FHIR_MEDIA_TYPE,
            headers=headers,
        )
    body = Problem(
        type=type_,
        title=title,
        status=status,
        detail=detail,
        instance=str(request.url.path),
        request_id=getattr(request.state, "request_id", None),
        **(extra or {}),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _slug(title: str) -> str:
    return PROBLEM_BASE + title.lower().replace(" ", "-")


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error, ours or the framework's, into a problem document."""

    @app.exception_handler(JoinedupError)
    async def _joinedup_error(request: Request, exc: JoinedupError) -> JSONResponse:
        return problem_response(
            request,
            exc.http_status,
            exc.title,
            exc.message,
            type_=_slug(exc.title),
            extra={"hint": exc.hint} if exc.hint else None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(map(str, e.get("loc", ()))), "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem_response(
            request,
            422,
            "Invalid request",
            "The request does not match the documented schema.",
            type_=_slug("Invalid request"),
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            400: "Bad request",
            401: "Unauthorised",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            409: "Conflict",
            413: "Request too large",
            429: "Too many requests",
            503: "Service unavailable",
        }.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request, exc.status_code, title, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(
            request, 500, "Internal error", "Something went wrong; the log has the details."
        )


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid bearer token",
    403: "Not allowed for this requester",
    404: "No such thing",
    409: "Clashes with the state of the store",
    413: "Request too large",
    422: "Invalid request",
    429: "Rate limit exceeded",
    503: "Not ready yet (see Retry-After)",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring problem documents for these statuses (a route adds the
    ones it can answer beyond the common PROBLEM_RESPONSES)."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": _DESCRIPTIONS.get(status, "Error"),
        }
        for status in statuses
    }


# Declared on every route so the OpenAPI document lists the problem responses.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 422, 429)


def problems_as_problem_json(spec: dict[str, Any]) -> dict[str, Any]:
    """Declare problem responses under `application/problem+json` only (on `/fhir`, as
    OperationOutcome resources under `application/fhir+json`).

    FastAPI files a response model under the route's media type (application/json); errors
    are sent as application/problem+json, so the schema is moved there and the JSON entry
    dropped, which lets clients and Schemathesis check errors against the document.
    """
    for path, path_item in spec.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                if path.startswith(FHIR_PREFIX) and PROBLEM_MEDIA_TYPE in content:
                    del content[PROBLEM_MEDIA_TYPE]
                    content[FHIR_MEDIA_TYPE] = {
                        "schema": {"$ref": "#/components/schemas/OperationOutcome"}
                    }
    return spec
