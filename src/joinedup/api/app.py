"""The FastAPI application factory."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
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
from joinedup.logging import get_logger
from joinedup.store import create_store_engine, ensure_schema
from joinedup.web import install_web

log = get_logger(__name__)

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


# Connections each worker process keeps: more than the threads running routes (a view holds
# one for its transaction, authentication one more, briefly; the matcher's warm-up one).
# With fewer pooled connections than busy threads, the overflow ones would be opened and
# closed per request (a new PostgreSQL backend each time).
POOL_SIZE = 20
POOL_OVERFLOW = 20
# Threads running sync routes per worker: `Settings.api_threads` (anyio's default is 40). A
# view is about half CPU (Python holds the GIL) and half waiting on PostgreSQL, so a few
# threads keep a core busy; dozens only take turns on the GIL, every request slowed by all
# the others (the tail latency grows, the throughput does not).


def _store_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url()
    if url.startswith("postgresql"):
        return create_store_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    return create_store_engine(url)


def _warm_matcher(app: FastAPI) -> None:
    """Build this process's online matcher index (minutes at a million records) while the
    other routes already answer; the matching routes answer 503 until it is ready."""
    from joinedup.identity.online.matcher import matcher_for

    try:
        matcher_for(app.state.engine)
    except Exception as exc:
        log.warning("online matcher not built at start-up", error=str(exc))
    finally:
        app.state.matcher_ready.set()


def create_app(
    engine: Engine | None = None,
    settings: Settings | None = None,
    *,
    warm_matcher: bool = False,
    served: bool = False,
) -> FastAPI:
    """Build the app on `engine` (default: the configured store, migrated on start-up).

    `warm_matcher` (the served app) builds the online matcher's index in a background thread
    at start-up; until it is built, the routes that need it answer 503 with Retry-After
    instead of holding requests for minutes. `served`: the app is what its process serves
    for the rest of its life, so at the end of start-up everything made so far is moved out
    of the garbage collector's reach (`gc.freeze`; measured in docs/performance.md).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "engine", None) is None:
            app.state.engine = _store_engine(settings)
            ensure_schema(app.state.engine)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        if served:
            # What start-up made (modules, the app, the store's metadata) lives as long as
            # the process: keep the collector's full passes, each a pause of tens of
            # milliseconds for every request in flight, from walking it again and again.
            gc.collect()
            gc.freeze()
        if warm_matcher:
            app.state.matcher_ready = threading.Event()
            threading.Thread(
                target=_warm_matcher, args=(app,), name="warm-matcher", daemon=True
            ).start()
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
    app.state.matcher_ready = None  # no warm-up: the first match builds the index
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
