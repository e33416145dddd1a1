"""Errors on `/fhir` as `OperationOutcome` resources (FHIR clients expect them, not RFC 9457
problem documents)."""

from __future__ import annotations

from typing import Any

# HTTP status -> OperationOutcome issue code (http://hl7.org/fhir/issue-type).
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    422: "invalid",
    429: "throttled",
}


def operation_outcome(status: int, title: str, detail: str | None) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "error" if status < 500 else "fatal",
        "code": ISSUE_CODES.get(status, "exception"),
        "details": {"text": title},
    }
    if detail:
        issue["diagnostics"] = detail
    return {"resourceType": "OperationOutcome", "issue": [issue]}
