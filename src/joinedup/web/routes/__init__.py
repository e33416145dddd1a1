"""Page routes, one module per area, each exposing `router` (built with `WebRoute`)."""
