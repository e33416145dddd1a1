"""What the web layer knows about the request being answered: session, user, CSP nonce."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from joinedup.web.auth import WebUser
from joinedup.web.session import WebSession


@dataclass
class PageContext:
    session: WebSession
    nonce: str
    user: WebUser | None = None


def page_context(request: Request) -> PageContext:
    page: PageContext = request.state.page
    return page
