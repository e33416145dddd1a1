"""The audit log in a real store (SQLite and PostgreSQL): appends chain, tampering with the
table is found, concurrent appends never fork the chain, and a rollback takes its entry."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, text

from joinedup.domain.audit_chain import (
    ANCHOR_MISMATCH,
    BROKEN_LINK,
    DELETED,
    EDITED,
    INSERTED,
    TRUNCATED,
    ChainPoint,
    chain_hash,
)
from joinedup.governance import audit
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.governance import AuditLogEntry
from joinedup.store.uow import UnitOfWork


def _fill(engine, n: int = 6) -> None:
    for i in range(n):
        audit.record(
            engine,
            audit.AuditEntry(
                action="policy.person_view",
                actor=f"user{i}",
                actor_user_id=i,
                roles=("practitioner",),
                organisation_id=1,
                purpose="safeguarding",
                person_id=100 + i % 2,
                decision="allowed",
                agreement_ids=(3, 1),
                details={"datasets": [{"dataset_id": 10, "detail": "rag"}], "note": "é ✓"},
            ),
        )


def _kinds(engine, anchors=()) -> set[str]:
    return {p.kind for p in audit.verify(engine, anchors).problems}


def _sql(engine, statement: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def test_appends_form_an_intact_chain(engine) -> None:
    _fill(engine)
    report = audit.verify(engine)
    assert report.ok, report.problems
    assert report.entries == 6
    assert report.last == audit.head(engine)
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.seq)).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert rows[0].agreement_ids == [1, 3]  # stored sorted, as hashed


def test_awkward_values_hash_the_same_after_the_round_trip(engine) -> None:
    """Floats, big numbers, nested and non-ASCII details come back as they were hashed."""
    audit.record(
        engine,
        audit.AuditEntry(
            action="x",
            details={
                "f": 0.1,
                "big": 1e20,
                "n": 2**53 + 1,
                "nested": {"b": [1, None, True]},
                "s": "ŵ",
            },
        ),
    )
    assert audit.verify(engine).ok


def test_an_edited_entry_is_found(engine) -> None:
    _fill(engine)
    _sql(engine, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
    report = audit.verify(engine)
    assert {(p.kind, p.seq) for p in report.problems} == {(EDITED, 3)}


def test_an_edit_with_a_recomputed_hash_is_found(engine) -> None:
    _fill(engine)
    with UnitOfWork(engine) as uow:
        row = uow.session.get_one(AuditLogEntry, 3)
        row.purpose = "research"
        row.hash = chain_hash(row.prev_hash, audit.entry_content(row))
        uow.commit()
    assert {(p.kind, p.seq) for p in audit.verify(engine).problems} == {(BROKEN_LINK, 4)}


def test_a_deleted_entry_is_found(engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_log WHERE seq = 4")
    assert {(p.kind, p.seq) for p in audit.verify(engine).problems} == {(DELETED, 4)}


def test_a_deleted_tail_is_found(engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_log WHERE seq >= 5")
    assert _kinds(engine) == {TRUNCATED}


def test_an_inserted_entry_is_found(engine) -> None:
    """A row added straight into the table, chained properly to the last entry."""
    _fill(engine)
    with UnitOfWork(engine) as uow:
        last = uow.session.get_one(AuditLogEntry, 6)
        forged = AuditLogEntry(
            seq=7,
            at=last.at,
            actor="intruder",
            roles=[],
            action="policy.person_view",
            agreement_ids=[],
            break_glass=False,
            details={},
            prev_hash=last.hash,
        )
        forged.hash = chain_hash(last.hash, audit.entry_content(forged))
        uow.session.add(forged)
        uow.commit()
    assert _kinds(engine) == {INSERTED}


def test_an_entry_inserted_in_the_middle_is_found(engine) -> None:
    _fill(engine)
    # Make room at 3 by renumbering the later entries, then slip a forged one in.
    _sql(engine, "UPDATE audit_log SET seq = -seq WHERE seq >= 3")
    _sql(engine, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    with UnitOfWork(engine) as uow:
        second = uow.session.get_one(AuditLogEntry, 2)
        forged = AuditLogEntry(
            seq=3, at=second.at, actor="intruder", roles=[], action="policy.person_view",
            agreement_ids=[], break_glass=False, details={}, prev_hash=second.hash,
        )  # fmt: skip
        forged.hash = chain_hash(second.hash, audit.entry_content(forged))
        uow.session.add(forged)
        uow.commit()
    found = _kinds(engine)
    assert EDITED in found  # the renumbered entries no longer match their hashes


def test_an_anchor_catches_a_rewritten_log(engine) -> None:
    """Rewriting every hash and the head defeats the chain alone, not an anchor kept
    outside the store."""
    _fill(engine)
    anchor = audit.head(engine)
    assert anchor is not None
    with UnitOfWork(engine) as uow:
        prev = "0" * 64
        for row in uow.session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.seq)):
            if row.seq == 2:
                row.actor = "forger"
            row.prev_hash = prev
            row.hash = chain_hash(prev, audit.entry_content(row))
            prev = row.hash
        uow.session.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})
        uow.commit()
    assert audit.verify(engine).ok  # the limit documented in docs/governance.md
    assert _kinds(engine, [anchor]) == {ANCHOR_MISMATCH}


def test_a_rolled_back_transaction_leaves_no_entry(engine) -> None:
    _fill(engine, 2)
    with UnitOfWork(engine) as uow:
        audit.append(uow.session, audit.AuditEntry(action="policy.person_view"))
        # no commit: the read it recorded did not happen either
    audit.record(engine, audit.AuditEntry(action="after"))
    report = audit.verify(engine)
    assert report.ok and report.entries == 3


def _append_from_threads(url: str, threads: int, append: Callable[[Engine, int], None]) -> int:
    """Run `append(engine, n)` in `threads` threads at once on a fresh store; check that the
    chain verifies and ends at the head; return how many entries it holds."""
    engine = (
        create_store_engine(url, pool_size=8)
        if url.startswith("postgresql")
        else create_store_engine(url)
    )
    ensure_schema(engine)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            append(engine, n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    running = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    try:
        assert not errors, errors
        report = audit.verify(engine)
        assert report.ok, report.problems
        assert report.last == audit.head(engine)
        return report.entries
    finally:
        engine.dispose()


@pytest.mark.slow
def test_concurrent_appends_never_fork_the_chain(fresh_db_url) -> None:
    def append(engine: Engine, n: int) -> None:
        for i in range(15):
            with UnitOfWork(engine) as uow:
                # A read before the append, as a real read path does.
                uow.session.execute(select(func.count()).select_from(AuditLogEntry)).scalar()
                audit.append(
                    uow.session, audit.AuditEntry(action="t", actor=f"w{n}", details={"i": i})
                )
                uow.commit()

    assert _append_from_threads(fresh_db_url(), 6, append) == 90


def test_entries_in_transactions_of_their_own_chain_too(fresh_db_url) -> None:
    """`audit.record` (one statement in autocommit on PostgreSQL, the hash built in SQL)
    from many threads at once, with values that are awkward to serialise: the chain
    verifies, so SQL's hash is Python's."""
    awkward = {"name": 'Zoë "Ní" Bhriain', "nested": {"b": [1, 2.5, None], "a": "\n\t"}}

    def append(engine: Engine, n: int) -> None:
        for i in range(12):
            entry = audit.AuditEntry(
                action="view", actor=f"w{n}", person_id=i, details={**awkward, "i": i}
            )
            audit.record(engine, entry)

    assert _append_from_threads(fresh_db_url(), 5, append) == 60


def test_head_is_a_usable_anchor(engine) -> None:
    _fill(engine, 3)
    point = audit.head(engine)
    assert point is not None and point.seq == 3
    assert ChainPoint.parse(str(point)) == point
    assert audit.verify(engine, [point]).ok


@pytest.mark.postgres
def test_an_append_on_a_lost_connection_fails_and_the_next_one_reconnects(
    pg_one_connection, pg_databases
) -> None:  # type: ignore[no-untyped-def]
    # audit.record sends its statement through the driver, past SQLAlchemy's detection of
    # lost connections: it must still never pool a broken one again.
    engine = pg_one_connection
    audit.record(engine, audit.AuditEntry(action="first"))
    pg_databases.terminate_backend(engine)
    with pytest.raises(Exception, match=r"(?i)terminat|closed|connection"):
        audit.record(engine, audit.AuditEntry(action="lost"))
    audit.record(engine, audit.AuditEntry(action="after"))
    report = audit.verify(engine)
    assert report.ok and report.entries == 2
