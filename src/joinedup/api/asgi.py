"""The ASGI entry point for uvicorn workers: the app on the configured store."""

import os

from joinedup.api.app import create_app

# Served: the online matcher's index is built in the background from start-up, unless
# `joinedup serve --no-warm-matcher` said otherwise.
app = create_app(warm_matcher=os.environ.get("JOINEDUP_WARM_MATCHER", "1") != "0", served=True)
