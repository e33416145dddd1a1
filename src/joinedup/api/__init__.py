"""The HTTP API: `/api/v1` for partner systems and practitioners, `/fhir` for FHIR R4 clients.

Routes parse and validate input (Pydantic models), call one service function and shape the
response; they hold no business rules. Errors are RFC 9457 problem documents.
"""

from joinedup.api.app import create_app

__all__ = ["create_app"]
