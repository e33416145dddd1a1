"""Shared fixtures: a real store on SQLite and on PostgreSQL.

`engine` (and `db_url`) run a test once per backend. SQLite gets a fresh file per test.
PostgreSQL gets one database per test session (per xdist worker), created here and dropped at
the end; tables are emptied after each test. Under `CI=true` an unreachable PostgreSQL server
fails the run: the PostgreSQL tests must run there, never skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.base import metadata

PG_ADMIN_URL = os.environ.get(
    "JOINEDUP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI=true but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


class PgDatabases:
    """Creates throw-away PostgreSQL databases and drops them all at the end of the session."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self._admin: Engine | None = None

    def admin(self) -> Engine:
        if self._admin is None:
            engine = _pg_admin_engine()
            try:
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            except Exception as exc:
                _pg_unavailable(str(exc).splitlines()[0])
            self._admin = engine
        return self._admin

    def terminate_backend(self, engine: Engine) -> int:
        """Kill, from the server side, the backend of `engine`'s pooled connection (as a
        server restart would); returns its process id."""
        with engine.connect() as conn:
            pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with self.admin().connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        return pid

    def create(self) -> str:
        name = f"joinedup_test_{os.getpid()}_{secrets.token_hex(4)}"
        with self.admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def pg_session_url(pg_databases: PgDatabases) -> str:
    """One migrated PostgreSQL database for the whole session (tables emptied per test)."""
    url = pg_databases.create()
    engine = create_store_engine(url)
    ensure_schema(engine)
    engine.dispose()
    return url


def _empty_tables(engine: Engine) -> None:
    # DELETE (children first) and resetting the used sequences is ~30x faster than TRUNCATE
    # on small tables, which makes a new file for every table and index.
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        used = conn.execute(
            text(
                "SELECT schemaname || '.' || sequencename FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        ).scalars()
        for sequence in list(used):
            conn.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A migrated, empty store on each backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = create_store_engine(url)
        ensure_schema(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("pg_session_url")
    yield url
    engine = create_store_engine(url)
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_store_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_db_url(backend: str, pg_databases: PgDatabases, tmp_path) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    """A factory of brand-new, *unmigrated* databases (for migration, crash and
    concurrency tests that need a store of their own)."""

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / ('fresh_' + secrets.token_hex(4) + '.db')}"
        return pg_databases.create()

    return make


@pytest.fixture
def pg_url(pg_databases: PgDatabases) -> str:
    """A migrated PostgreSQL database of the test's own (PostgreSQL-only tests)."""
    url = pg_databases.create()
    engine = create_store_engine(url)
    ensure_schema(engine)
    engine.dispose()
    return url


@pytest.fixture
def pg_one_connection(pg_url: str) -> Iterator[Engine]:
    """An engine on a migrated PostgreSQL database of the test's own whose pool holds one
    connection, so the next checkout is the connection the test has just used (or broken)."""
    engine = create_store_engine(pg_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()
