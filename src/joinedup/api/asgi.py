"""The ASGI entry point for uvicorn workers: the app on the configured store."""

from joinedup.api.app import create_app

app = create_app()
