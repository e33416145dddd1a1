"""API routers, one module per capability, each exposing `router`."""
