"""The audit log: append an entry inside the caller's transaction, verify the chain, and
report who looked at a person.

`append(session, entry)` is the one way anything is written to the log. It takes the chain
lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the database write lock, taken
by writing the head row first), reads the head, chains the new entry to it and moves the head,
all in the caller's transaction: if the caller rolls back, the entry goes too, and two
concurrent transactions can never both extend the same head. Rows are never updated or
deleted by joinedup; `verify()` finds it when someone else does (see docs/governance.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.orm import Session

from joinedup.domain.audit_chain import (
    GENESIS_HASH,
    ChainEntry,
    ChainPoint,
    ChainReport,
    ChainVerifier,
    canonical_json,
    chain_hash,
)
from joinedup.store.schema.core import Organisation
from joinedup.store.schema.governance import (
    Agreement,
    AuditChainHead,
    AuditLogEntry,
)
from joinedup.store.uow import UnitOfWork

SYSTEM_ACTOR = "system"
HEAD_ID = 1
# An arbitrary constant naming joinedup's audit chain among PostgreSQL advisory locks.
PG_LOCK_KEY = 0x6A6F696E65647570 & 0x7FFFFFFFFFFFFFFF


@dataclass(frozen=True)
class AuditEntry:
    """What to record: who (user, roles, organisation), why (purpose), what, the decision."""

    action: str
    actor: str = SYSTEM_ACTOR
    actor_user_id: int | None = None
    roles: tuple[str, ...] = ()
    organisation_id: int | None = None
    purpose: str | None = None
    person_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    decision: str | None = None
    agreement_ids: tuple[int, ...] = ()
    break_glass: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    at: dt.datetime | None = None

    @classmethod
    def by(cls, principal: Any, action: str, **fields: Any) -> AuditEntry:
        """An entry whose actor is `principal` (a `joinedup.governance.auth.Principal`)."""
        return cls(
            action=action,
            actor=principal.username,
            actor_user_id=principal.user_id,
            roles=tuple(sorted(principal.roles)),
            organisation_id=principal.organisation_id,
            **fields,
        )


def _plain(value: Any) -> Any:
    """JSON-safe, backend-stable values: floats become text because PostgreSQL's JSONB may
    hand a float back as an int (1e20), which would change the hash."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_content(row: AuditLogEntry) -> dict[str, Any]:
    """The hashed content of a stored entry (everything but the two hashes)."""
    return {
        "seq": row.seq,
        "at": _timestamp(row.at),
        "actor_user_id": row.actor_user_id,
        "actor": row.actor,
        "roles": list(row.roles or []),
        "organisation_id": row.organisation_id,
        "purpose": row.purpose,
        "action": row.action,
        "person_id": row.person_id,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "decision": row.decision,
        "agreement_ids": list(row.agreement_ids or []),
        "break_glass": bool(row.break_glass),
        "details": row.details or {},
    }


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PG_LOCK_KEY)))
        return
    # SQLite has one writer at a time: writing first makes this transaction that writer
    # (waiting up to busy_timeout), so the head read next cannot be overtaken.
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_seq=AuditChainHead.last_seq)
        .execution_options(synchronize_session=False)
    )


_HEAD = typing.cast(Table, AuditChainHead.__table__)
_LOG = typing.cast(Table, AuditLogEntry.__table__)

# Claim the next sequence number and read the hash it chains to, in one statement. The
# UPDATE takes the head row's lock until the transaction ends, so it is the chain lock as
# well: a concurrent append waits here and then sees the committed head (PostgreSQL
# re-reads the row it waited for under READ COMMITTED; SQLite has one writer at a time).
_CLAIM = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_seq=_HEAD.c.last_seq + 1)
    .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)
)


_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(
        last_hash=bindparam("new_hash"),
        prev_hash=bindparam("old_hash"),
        updated_at=bindparam("head_at"),
    )
)
_INSERT = insert(_LOG).values({c.key: bindparam(c.key) for c in _LOG.columns})


# PostgreSQL: the whole append in one statement. The UPDATE claims the next sequence number
# and chains the new hash to the old one in SQL (SET expressions read the row as it was,
# so `prev_hash` gets the old `last_hash`); the INSERT writes the entry from what it
# returns. The hash is `chain_hash` exactly: SHA-256 over the previous hash, a newline and
# the entry's canonical JSON, whose last key is "seq" (sorted keys), so Python sends the
# JSON up to `"seq":` and SQL appends the number it claimed. The head's row lock (the chain
# lock) is then held for one statement and the commit, not across round trips and the
# Python between them (where another thread may hold the GIL for milliseconds).
# (Literals, not bound values: an INSERT ... SELECT binds only the parameters it is given.)
_ONE = literal_column("1", BigInteger)
_PG_MOVED = (
    update(_HEAD)
    .where(_HEAD.c.id == literal_column(str(HEAD_ID), Integer))
    .values(
        last_seq=_HEAD.c.last_seq + _ONE,
        prev_hash=_HEAD.c.last_hash,
        last_hash=func.encode(
            func.sha256(
                func.convert_to(
                    _HEAD.c.last_hash
                    + literal_column("chr(10)", String)
                    + bindparam("content_head", type_=String)
                    + cast(_HEAD.c.last_seq + _ONE, String)
                    + literal_column("'}'", String),
                    literal_column("'UTF8'"),
                )
            ),
            literal_column("'hex'"),
        ),
        updated_at=bindparam("head_at", type_=_HEAD.c.updated_at.type),
    )
    .returning(_HEAD.c.last_seq, _HEAD.c.prev_hash, _HEAD.c.last_hash)
    .cte("moved")
)
_ENTRY_COLUMNS = [c for c in _LOG.columns if c.key not in ("seq", "prev_hash", "hash")]
_PG_APPEND = (
    insert(_LOG)
    .from_select(
        ["seq", "prev_hash", "hash", *(c.key for c in _ENTRY_COLUMNS)],
        select(
            _PG_MOVED.c.last_seq,
            _PG_MOVED.c.prev_hash,
            _PG_MOVED.c.last_hash,
            *(bindparam(c.key, type_=c.type) for c in _ENTRY_COLUMNS),
        ),
    )
    .add_cte(_PG_MOVED)
    .returning(_LOG.c.seq, _LOG.c.prev_hash, _LOG.c.hash)
)
# The same statement as psycopg's SQL text, for `record`, which runs it on the driver
# connection: every match, search and view appends an entry, and SQLAlchemy's execution
# (the statement cache, parameter processing, the result) cost more CPU than the driver.
_PG_APPEND_SQL = str(_PG_APPEND.compile(dialect=pg_psycopg.dialect()))  # type: ignore[no-untyped-call]
_JSON_COLUMNS = tuple(c.key for c in _ENTRY_COLUMNS if isinstance(c.type, JSON))


def _content_head(row: AuditLogEntry) -> str:
    """The entry's canonical JSON up to its last key's value: `{...,"seq":`."""
    content = entry_content(row)
    assert max(content) == "seq", "seq must sort last for the chain hash to be built in SQL"
    text = canonical_json({k: v for k, v in content.items() if k != "seq"}).decode("utf-8")
    return text[:-1] + ',"seq":'


def _claim(session: Session) -> tuple[int, str]:
    claimed = session.execute(_CLAIM).first()
    if claimed is not None:
        return int(claimed[0]), str(claimed[1])
    # The very first entry: no head row yet. Take the chain lock (two first appends must not
    # both create it), create the head, then claim as usual.
    _lock_chain(session)
    if session.execute(select(_HEAD.c.id).where(_HEAD.c.id == HEAD_ID)).first() is None:
        session.execute(
            _HEAD.insert().values(
                id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH, updated_at=dt.datetime.now(dt.UTC)
            )
        )
    claimed = session.execute(_CLAIM).one()
    return int(claimed[0]), str(claimed[1])


def append(session: Session, entry: AuditEntry) -> AuditLogEntry:
    """Append `entry` to the chain in the caller's transaction; returns the stored row
    (detached: it is written with Core, not added to the session).

    One statement on PostgreSQL (`_PG_APPEND`: the head row's lock, the chain lock, is
    taken there and held until commit). SQLite, or the very first entry: claim the head
    (UPDATE ... RETURNING, which also locks it), hash in Python, insert the entry, move the
    head.
    """
    session.flush()  # pending ORM changes go first, in the order the caller made them
    if session.get_bind().dialect.name == "postgresql":
        written = _append_pg(session, _new_row(entry, seq=0, prev_hash=""))
        if written is not None:
            return written
    seq, prev_hash = _claim(session)
    row = _new_row(entry, seq, prev_hash)
    row.hash = chain_hash(prev_hash, entry_content(row))
    values = {c.key: getattr(row, c.key) for c in _LOG.columns}
    session.execute(_INSERT, values)
    session.execute(
        _MOVE_HEAD,
        {"new_hash": row.hash, "old_hash": prev_hash, "head_at": dt.datetime.now(dt.UTC)},
    )
    return row


def _pg_params(row: AuditLogEntry) -> dict[str, Any]:
    """The parameters of `_PG_APPEND` for a new entry."""
    params = {c.key: getattr(row, c.key) for c in _ENTRY_COLUMNS}
    params["content_head"] = _content_head(row)
    params["head_at"] = dt.datetime.now(dt.UTC)
    return params


def _append_pg(session: Session, row: AuditLogEntry) -> AuditLogEntry | None:
    """The one-statement append (PostgreSQL); None when the chain has no head row yet."""
    written = session.execute(_PG_APPEND, _pg_params(row)).first()
    if written is None:
        return None
    row.seq, row.prev_hash, row.hash = int(written[0]), str(written[1]), str(written[2])
    return row


def _new_row(entry: AuditEntry, seq: int, prev_hash: str) -> AuditLogEntry:
    at = entry.at or dt.datetime.now(dt.UTC)
    return AuditLogEntry(
        seq=seq,
        # Stored and hashed at the precision both backends keep.
        at=at.astimezone(dt.UTC),
        actor_user_id=entry.actor_user_id,
        actor=entry.actor,
        roles=sorted(entry.roles),
        organisation_id=entry.organisation_id,
        purpose=entry.purpose,
        action=entry.action,
        person_id=entry.person_id,
        object_type=entry.object_type,
        object_id=entry.object_id,
        decision=entry.decision,
        agreement_ids=sorted(set(entry.agreement_ids)),
        break_glass=entry.break_glass,
        details=_plain(dict(entry.details)),
        prev_hash=prev_hash,
    )


def record(engine: Engine, entry: AuditEntry) -> int:
    """Append one entry in a transaction of its own; returns its sequence number."""
    if engine.dialect.name == "postgresql":
        # The statement commits as it ends (autocommit): the chain lock is released when the
        # server has flushed it, with no round trip to this process in between.
        params = _pg_params(_new_row(entry, seq=0, prev_hash=""))
        for key in _JSON_COLUMNS:  # the driver gets JSON text; the statement casts it
            params[key] = json.dumps(params[key])
        with engine.connect() as conn:
            driver: Any = conn.connection.driver_connection
            try:
                driver.autocommit = True
                written = driver.execute(_PG_APPEND_SQL, params).fetchone()
                driver.autocommit = False
            except Exception:
                # The driver was used past SQLAlchemy: a connection that failed here (lost,
                # or still in autocommit) must not go back to the pool.
                conn.invalidate()
                raise
        if written is not None:
            return int(written[0])
    with UnitOfWork(engine) as uow:
        seq = append(uow.session, entry).seq
        uow.commit()
    return seq


def head(engine: Engine) -> ChainPoint | None:
    """The recorded head of the chain (write it down elsewhere to anchor the log)."""
    with UnitOfWork(engine) as uow:
        row = uow.session.get(AuditChainHead, HEAD_ID)
        return None if row is None else ChainPoint(row.last_seq, row.last_hash)


def _chain_entries(session: Session, batch: int = 2000) -> Iterator[ChainEntry]:
    stmt = select(AuditLogEntry).order_by(AuditLogEntry.seq).execution_options(yield_per=batch)
    for row in session.scalars(stmt):
        yield ChainEntry(row.seq, entry_content(row), row.prev_hash, row.hash)


def verify(engine: Engine, anchors: Iterable[ChainPoint] = ()) -> ChainReport:
    """Check every entry, the links between them, the head and any anchors given."""
    verifier = ChainVerifier(anchors={a.seq: a.hash for a in anchors})
    with UnitOfWork(engine) as uow:
        head_row = uow.session.get(AuditChainHead, HEAD_ID)
        recorded = None if head_row is None else ChainPoint(head_row.last_seq, head_row.last_hash)
        verifier.feed_all(_chain_entries(uow.session))
    return verifier.finish(recorded)


@dataclass(frozen=True)
class SubjectAccess:
    """One line of a subject report: who touched the person's data, and under what."""

    seq: int
    at: dt.datetime
    actor: str
    organisation: str | None
    roles: tuple[str, ...]
    purpose: str | None
    action: str
    decision: str | None
    agreements: tuple[str, ...]
    break_glass: bool


def subject_entries(session: Session, person_ids: list[int]) -> list[SubjectAccess]:
    """Every audit entry about these persons, oldest first, with agreement codes."""
    rows = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.person_id.in_(person_ids))
        .order_by(AuditLogEntry.seq)
    ).all()
    agreement_ids = {a for r in rows for a in (r.agreement_ids or [])}
    org_ids = {r.organisation_id for r in rows if r.organisation_id is not None}
    codes = dict(
        session.execute(
            select(Agreement.id, Agreement.code).where(Agreement.id.in_(agreement_ids))
        ).all()
    )
    orgs = dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(org_ids))
        ).all()
    )
    out = []
    for r in rows:
        versions = (r.details or {}).get("agreement_versions", {})
        labels = tuple(
            f"{codes.get(a, f'#{a}')} v{versions[str(a)]}"
            if str(a) in versions
            else codes.get(a, f"#{a}")
            for a in (r.agreement_ids or [])
        )
        out.append(
            SubjectAccess(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                organisation=orgs.get(r.organisation_id) if r.organisation_id else None,
                roles=tuple(r.roles or []),
                purpose=r.purpose,
                action=r.action,
                decision=r.decision,
                agreements=labels,
                break_glass=r.break_glass,
            )
        )
    return out
