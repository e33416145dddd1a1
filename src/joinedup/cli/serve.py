"""`joinedup serve`: the API (and, once built, the web UI) under uvicorn."""

from __future__ import annotations

from typing import Any

import typer

from joinedup.cli.common import console, state
from joinedup.config import get_settings

WORKER_HEALTHCHECK_SECONDS = 120
APP = "joinedup.api.asgi:app"


def register(app: typer.Typer) -> None:
    app.command("serve", help="Serve the partner API (/api/v1, /fhir) with uvicorn.")(serve_command)


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    warm_matcher: bool = typer.Option(
        True,
        "--warm-matcher/--no-warm-matcher",
        help="Build the online matcher's index in each worker at start-up (the matching "
        "routes answer 503 until it is built); without, the first match builds it.",
    ),
) -> None:
    import os

    import uvicorn

    from joinedup.api import workers as api_workers

    st = state(ctx)
    st.engine()  # migrate once here, before workers start, and fail early if unreachable
    # The app is imported by uvicorn (in this process for one worker, in new processes for
    # several): hand the chosen store over through the environment and forget settings read
    # before `--database-url` was known.
    os.environ["JOINEDUP_DATABASE_URL"] = st.database_url
    os.environ["JOINEDUP_WARM_MATCHER"] = "1" if warm_matcher else "0"
    get_settings.cache_clear()
    console.print(f"joinedup serving on http://{host}:{port} (store: {st.database_url})")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": st.settings.log_level.lower(),
        "proxy_headers": True,
        # With several workers, uvicorn's supervisor kills a worker that leaves a health
        # check unanswered for this long (default 5 s). A worker building the online
        # matcher's index at start-up (a minutes-long, CPU-bound load in a thread) can miss
        # 5 s on a busy machine and would be killed and restarted, again and again.
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }
    if workers > 1 and api_workers.supported():
        # A listening socket per worker, so that connections spread over the workers.
        api_workers.run(uvicorn.Config(APP, **options))
    else:
        uvicorn.run(APP, **options)
