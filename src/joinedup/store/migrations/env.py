"""Alembic environment: runs against the Engine handed over by `ensure_schema`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import joinedup.store.schema  # noqa: F401  (registers every table)
from joinedup.store.base import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Run migrations through `joinedup init` (or set sqlalchemy.url).")
    engine = create_engine(url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
