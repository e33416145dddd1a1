"""The unit of work: a service opens one, does its work, and commits or rolls back whole."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

# One session factory per engine: making a sessionmaker builds a Session subclass and sets up
# its events, which cost about as much as a small query did on every request.
_FACTORIES: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = weakref.WeakKeyDictionary()


def _factory(engine: Engine) -> sessionmaker[Session]:
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: ... uow.commit()`; leaving without commit rolls back.

    Services own their transactions: they take an Engine, open a UnitOfWork, and commit once
    at the end, so a failure part-way leaves the store as it was.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = _factory(engine)
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Shorthand: a session that commits on success and rolls back on any exception."""
    with UnitOfWork(engine) as uow:
        yield uow.session
        uow.commit()
