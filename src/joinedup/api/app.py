"""The FastAPI application factory."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from joinedup import __version__
from joinedup.api.middleware import RateLimitMiddleware, RequestIdMiddleware
from joinedup.api.problems import (
    PROBLEM_RESPONSES,
    install_problem_handlers,
    problems_as_problem_json,
)
from joinedup.config import Settings, get_settings
from joinedup.store import create_store_engine, ensure_schema
from joinedup.web import install_web

# (module under joinedup.api.routes exposing `router`, URL prefix), in OpenAPI order.
API_ROUTERS: list[tuple[str, str]] = [
    ("health", "/api/v1"),
    ("organisations", "/api/v1"),
    ("records", "/api/v1"),
    ("persons", "/api/v1"),
    ("matching", "/api/v1"),
    ("identity", "/api/v1"),
    ("breakglass", "/api/v1"),
    ("agreements", "/api/v1"),
    ("consents", "/api/v1"),
    ("audit", "/api/v1"),
    ("fhir", "/fhir"),
]


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app on `engine` (default: the configured store, migrated on start-up)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "engine", None) is None:
            app.state.engine = create_store_engine(settings.resolved_database_url())
            ensure_schema(app.state.engine)
        yield

    app = FastAPI(
        title="joinedup",
        version=__version__,
        description=(
            "Partner API of the joinedup data-sharing hub: uploads, linkage, the known-to "
            "view, governed sharing. Errors are RFC 9457 problem documents."
        ),
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.engine = engine
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(RateLimitMiddleware, limit=settings.api_rate_limit)
    app.add_middleware(RequestIdMiddleware)
    for module_name, prefix in API_ROUTERS:
        module = importlib.import_module(f"joinedup.api.routes.{module_name}")
        app.include_router(module.router, prefix=prefix)
    install_web(app, settings)  # the web UI's pages and /assets/ (joinedup.web)
    _declare_problem_media_type(app)
    return app


def _declare_problem_media_type(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems_as_problem_json(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
