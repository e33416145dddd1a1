"""`joinedup serve`: the API (and, once built, the web UI) under uvicorn."""

from __future__ import annotations

import typer

from joinedup.cli.common import console, state
from joinedup.config import get_settings


def register(app: typer.Typer) -> None:
    app.command("serve", help="Serve the partner API (/api/v1, /fhir) with uvicorn.")(serve_command)


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
) -> None:
    import os

    import uvicorn

    st = state(ctx)
    st.engine()  # migrate once here, before workers start, and fail early if unreachable
    # The app is imported by uvicorn (in this process for one worker, in new processes for
    # several): hand the chosen store over through the environment and forget settings read
    # before `--database-url` was known.
    os.environ["JOINEDUP_DATABASE_URL"] = st.database_url
    get_settings.cache_clear()
    console.print(f"joinedup serving on http://{host}:{port} (store: {st.database_url})")
    uvicorn.run(
        "joinedup.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=st.settings.log_level.lower(),
        proxy_headers=True,
    )
