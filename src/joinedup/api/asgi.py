"""The ASGI entry point for uvicorn workers: the app on the configured store."""

from joinedup.api.app import create_app

# Served: the online matcher's index is built in the background from start-up.
app = create_app(warm_matcher=True)
