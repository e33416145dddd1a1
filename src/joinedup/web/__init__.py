"""The web UI: server-rendered pages for practitioners, data owners and linkage officers.

Pages are Jinja2 templates using the GOV.UK Frontend macros (`govuk-frontend-jinja`) and
assets (built from npm by `make web-assets`, served under `/assets/`), with HTMX for
partial updates. Routes call the same service functions as the CLI and the API. They are
added to the API's app by `install_web(app)`, so `joinedup serve` serves both.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles

from joinedup.config import Settings
from joinedup.logging import get_logger
from joinedup.web.app_state import WebState
from joinedup.web.assets import STATIC_DIR, missing_assets
from joinedup.web.auth import load_user
from joinedup.web.session import SessionCodec
from joinedup.web.settings import WebSettings, resolve_secret
from joinedup.web.templating import create_environment

log = get_logger(__name__)

# Modules under joinedup.web.routes exposing `router`; journeys add theirs here.
PAGE_MODULES: list[str] = [
    "account",
    "home",
    "practitioner",
    "uploads",
    "data_quality",
    "challenges",
    "agreements",
    "consent",
    "audit_report",
    "linkage",
]


def install_web(app: FastAPI, settings: Settings, web_settings: WebSettings | None = None) -> None:
    """Add the pages and `/assets/` to `app`."""
    web_settings = web_settings or WebSettings()
    secret = resolve_secret(web_settings, settings.var_dir)
    app.state.web = WebState(
        settings=web_settings,
        codec=SessionCodec(secret, web_settings),
        templates=create_environment(),
        load_user=load_user,
    )
    missing = missing_assets()
    if missing:
        log.warning("web assets not built; run `make web-assets`", missing=missing)
    app.mount("/assets", StaticFiles(directory=STATIC_DIR, check_dir=True), name="assets")
    pages = APIRouter()
    for name in PAGE_MODULES:
        module = importlib.import_module(f"joinedup.web.routes.{name}")
        pages.include_router(module.router)
    app.state.web.router = pages
    app.include_router(pages)


__all__ = ["install_web"]
