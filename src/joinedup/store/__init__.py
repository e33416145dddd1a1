"""The store: SQLAlchemy 2 tables, Alembic migrations, engines and the unit of work.

Every capability keeps its tables in `joinedup.store.schema.<capability>`; all of them
share one `MetaData` (`joinedup.store.base.metadata`) so that Alembic sees the whole schema.
"""

from joinedup.store.engine import create_store_engine, ensure_schema
from joinedup.store.uow import UnitOfWork

__all__ = ["UnitOfWork", "create_store_engine", "ensure_schema"]
