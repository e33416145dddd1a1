"""What the web UI keeps on `app.state.web`: settings, the session codec and the templates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment
from sqlalchemy import Engine
from starlette.routing import Router

from joinedup.web.auth import WebUser
from joinedup.web.session import SessionCodec
from joinedup.web.settings import WebSettings


@dataclass
class WebState:
    settings: WebSettings
    codec: SessionCodec
    templates: Environment
    load_user: Callable[[Engine, int, str | None], WebUser | None]
    # The page routes only: page URLs are looked up here, so a page and an API route that
    # share a name (`search`, `break_glass`...) never mix.
    router: Router = field(default_factory=Router)
