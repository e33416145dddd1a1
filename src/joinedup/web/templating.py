"""The Jinja2 environment (our templates and the GOV.UK Frontend macros) and page rendering.

Every page is rendered through `render()`, which adds what the layout needs: the signed-in
user and their active role and organisation, the navigation for that role, the CSRF token,
one-off messages and the nonce that the Content-Security-Policy allows for inline script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

from joinedup import __version__
from joinedup.web import labels
from joinedup.web.navigation import navigation_for, role_label
from joinedup.web.page import page_context

TEMPLATES_DIR = Path(__file__).parent / "templates"
SERVICE_NAME = "joinedup"


def create_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(service_name=SERVICE_NAME, version=__version__, role_label=role_label)
    env.globals.update(
        purpose_label=labels.purpose_label,
        detail_label=labels.detail_label,
        rag_tags=labels.RAG_TAGS,
        identifier_label=labels.identifier_label,
    )
    return env


def _url_path(request: Request) -> Any:
    def url_path(name: str, **params: Any) -> str:
        return web_url(request, name, **params)

    return url_path


def web_url(request: Request, name: str, **params: Any) -> str:
    """The path of the page route `name` (page routes only: an API route of the same name
    is never found)."""
    return str(request.app.state.web.router.url_path_for(name, **params))


def is_htmx(request: Request) -> bool:
    """True for a request HTMX made (it wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render `template` as a whole page (or a fragment: a template need not extend base)."""
    page = page_context(request)
    env: Environment = request.app.state.web.templates
    user = page.user
    membership = user.active if user else None
    values: dict[str, Any] = {
        "request": request,
        "url_path": _url_path(request),
        "user": user,
        "membership": membership,
        "navigation": navigation_for(
            membership.role if membership else None,
            request.app.state.web.router,
            request.url.path,
        ),
        "csrf_token": page.session.csrf_token(),
        "csp_nonce": page.nonce,
        "flashes": page.session.pop_flashes(),
        "current_path": request.url.path,
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
