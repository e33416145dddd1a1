"""The store: migrations, engines, the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from joinedup.errors import InvalidInput, StoreUnavailable
from joinedup.store import UnitOfWork, create_store_engine, ensure_schema
from joinedup.store import engine as store_engine
from joinedup.store.base import metadata
from joinedup.store.schema.core import Organisation


def test_migrations_create_every_table(fresh_db_url) -> None:
    engine = create_store_engine(fresh_db_url())
    assert ensure_schema(engine) == "0001"
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    # Applying again is a no-op.
    assert ensure_schema(engine) == "0001"
    engine.dispose()


def test_migrations_match_the_table_definitions(engine) -> None:
    """The checked-in migration must produce exactly the tables the code declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"run `make migration`: schema drift {diff}"


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unit_of_work_commits_or_rolls_back_whole(engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.add(Organisation(code="CSC", name="Children's Social Care"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.session.add(Organisation(code="EDU", name="Education"))
        # leaving without commit discards the work
    with pytest.raises(IntegrityError), UnitOfWork(engine) as uow:
        uow.session.add(Organisation(code="HLT", name="Health"))
        uow.session.add(Organisation(code="CSC", name="Duplicate"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        codes = sorted(uow.session.scalars(select(Organisation.code)))
    assert codes == ["CSC"]


def test_timestamps_come_back_in_utc(engine) -> None:
    with UnitOfWork(engine) as uow:
        org = Organisation(code="X", name="X")
        uow.session.add(org)
        uow.commit()
    with UnitOfWork(engine) as uow:
        created = uow.session.scalars(select(Organisation.created_at)).one()
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="SQLite or PostgreSQL"):
        create_store_engine("mysql://root@localhost/x")


def test_unreachable_server_is_a_clear_error() -> None:
    engine = create_store_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(StoreUnavailable, match="Cannot reach the store"):
        ensure_schema(engine)


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_pooled_connection_idle_for_a_while_is_checked_and_replaced(
    pg_one_connection, pg_databases, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    engine = pg_one_connection
    first = pg_databases.terminate_backend(engine)  # as a server restart would
    monkeypatch.setattr(store_engine, "IDLE_PING_SECONDS", 0.0)  # it has been idle long
    assert _backend_pid(engine) != first  # checked, found dead, replaced: no error


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged_and_the_pool_recovers(
    pg_one_connection, pg_databases
) -> None:  # type: ignore[no-untyped-def]
    engine = pg_one_connection
    first = pg_databases.terminate_backend(engine)
    # Used a moment ago, so not checked: the statement in flight fails ...
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    # ... and SQLAlchemy, seeing the disconnect, replaces the pooled connection.
    assert _backend_pid(engine) != first
