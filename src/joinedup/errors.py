"""Errors a person can act on, and the exit codes scripts can rely on.

Services raise these; the CLI prints the message (no traceback) and exits with the code;
the API turns them into RFC 9457 problem documents with the matching HTTP status.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the `joinedup` command (documented in docs/cli.md)."""

    OK = 0
    ERROR = 1  # unexpected failure (a bug): traceback logged
    USAGE = 2  # wrong command line (Typer/Click's own code)
    INVALID_INPUT = 3  # input data or arguments that cannot be used
    NOT_FOUND = 4  # a named thing (organisation, dataset, person) does not exist
    CONFLICT = 5  # the request clashes with the state of the store
    FORBIDDEN = 6  # the policy decision point refused
    UNAVAILABLE = 7  # the store or another dependency cannot be reached


class JoinedupError(Exception):
    """Base class: an error with a message meant for a person, not a programmer."""

    exit_code: ExitCode = ExitCode.ERROR
    http_status: int = 500
    title: str = "Internal error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(JoinedupError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    title = "Invalid input"


class NotFound(JoinedupError):
    exit_code = ExitCode.NOT_FOUND
    http_status = 404
    title = "Not found"


class Conflict(JoinedupError):
    exit_code = ExitCode.CONFLICT
    http_status = 409
    title = "Conflict"


class Forbidden(JoinedupError):
    exit_code = ExitCode.FORBIDDEN
    http_status = 403
    title = "Forbidden"


class StoreUnavailable(JoinedupError):
    exit_code = ExitCode.UNAVAILABLE
    http_status = 503
    title = "Store unavailable"
