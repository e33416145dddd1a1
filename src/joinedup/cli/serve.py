"""`joinedup serve`: the API (and, once built, the web UI) under uvicorn."""

from __future__ import annotations

import typer

from joinedup.cli.common import console, state


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
    # Workers are separate processes: they read the store URL from the environment.
    os.environ["JOINEDUP_DATABASE_URL"] = st.database_url
    console.print(f"joinedup serving on http://{host}:{port} (store: {st.database_url})")
    uvicorn.run(
        "joinedup.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=st.settings.log_level.lower(),
        proxy_headers=True,
    )
