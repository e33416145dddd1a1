"""Fills the candidate index from the store and keeps it current.

Features come from `match_features` (the functions the batch link runs per distinct value),
memoised per distinct value here too, so loading a million records costs one call per
distinct name, postcode and address line rather than one per record.

Keeping current across processes: the index remembers when its last read started.
`refresh` re-reads the records, links and person changes stamped at or after that mark
minus `OVERLAP` (a transaction that committed late with an earlier timestamp is still
caught; applying a row twice is harmless). The first load takes the stored features of the
last link run (`linkage_features`) and then the records changed since that run started.
Every process holds its own index, built on start and refreshed before each registration
(under the registration lock) and at most every `max_age` seconds for matches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, text

from joinedup.domain import match_features as mf
from joinedup.domain.nicknames import NicknameTable
from joinedup.identity import feature_store
from joinedup.identity.bulk import timestamp
from joinedup.identity.nicknames import nickname_table
from joinedup.identity.online.index import CandidateIndex, FeatureRow
from joinedup.identity.record_source import LINKAGE_COLUMNS, read_linkage_records

OVERLAP = dt.timedelta(seconds=120)
_SELECT = "SELECT id, status, updated_at, " + ", ".join(LINKAGE_COLUMNS) + " FROM source_records"


class FeatureBuilder:
    """`prepare_record` with each per-field function memoised on its raw value."""

    def __init__(self, nicknames: NicknameTable | None = None) -> None:
        nick = nicknames or nickname_table()
        self.given = lru_cache(maxsize=200_000)(lambda v: mf.given_features(v, nick))
        self.middle = lru_cache(maxsize=100_000)(mf.middle_features)
        self.family = lru_cache(maxsize=200_000)(mf.family_features)
        self.previous = lru_cache(maxsize=50_000)(mf.previous_names)
        self.postcode = lru_cache(maxsize=400_000)(mf.postcode_features)
        self.address = lru_cache(maxsize=400_000)(mf.address_features)
        self.dob = lru_cache(maxsize=50_000)(mf.dob_features)
        self.nick = nick

        def given_t(raw: str | None) -> tuple[Any, ...]:
            g = self.given(raw)
            formal = tuple(g["given_formal"]) if g["given_formal"] is not None else None
            return (g["given_name"], formal, g["given_key"], g["given_ph"])

        def family_t(raw: str | None, previous: str | None) -> tuple[Any, ...]:
            f = self.family(raw)
            every = mf.family_all(list(f["family_parts"]), self.previous(previous))
            return (f["family_name"], f["family_ph"], tuple(every))

        def dob_t(raw: str | dt.date | None) -> tuple[Any, ...]:
            value = dt.date.fromisoformat(raw) if isinstance(raw, str) else raw
            d = mf.dob_features(value)
            return (d["dob"], d["dob_str"], d["dob_y"], d["dob_m"], d["dob_d"])

        def postcode_t(raw: str | None) -> tuple[Any, ...]:
            p = self.postcode(raw)
            return (p["postcode"], p["postcode_sector"], p["postcode_district"])

        def address_t(raw: str | None) -> tuple[Any, ...]:
            a = self.address(raw)
            return (a["address"], a["address_number"])

        self.given_t = lru_cache(maxsize=200_000)(given_t)
        self.family_t = lru_cache(maxsize=400_000)(family_t)
        self.dob_t = lru_cache(maxsize=100_000)(dob_t)
        self.postcode_t = lru_cache(maxsize=400_000)(postcode_t)
        self.address_t = lru_cache(maxsize=1_000_000)(address_t)
        self.sex_t = lru_cache(maxsize=64)(mf.sex_feature)
        self.names_ph_t = lru_cache(maxsize=400_000)(mf.names_ph)

    def row(self, record: Mapping[str, Any]) -> FeatureRow:
        """The feature tuple (`FEATURE_COLUMNS` order) of one record, equal to
        `to_row(prepare_record(record))` (tested), built from memoised parts so repeated
        values are shared objects (memory) and computed once (speed)."""
        given = self.given_t(record.get("given_name"))
        family = self.family_t(record.get("family_name"), record.get("previous_family_names"))
        dob = record.get("date_of_birth")
        if isinstance(dob, str):
            dob = dob[:10]
        return (
            record.get("unique_id", record.get("id", 0)),
            *given,
            self.middle(record.get("middle_names"))["middle_first"],
            *family,
            *self.dob_t(dob),
            self.sex_t(record.get("sex")),
            *self.postcode_t(record.get("postcode")),
            *self.address_t(record.get("address_line_1")),
            self.names_ph_t(given[3], family[1]),
            *(mf.identifier_feature(record.get(name)) for name in mf.IDENTIFIER_FIELDS),
        )

    def features(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The same dict as `match_features.prepare_record(record)` (tested)."""
        out: dict[str, Any] = {"unique_id": record.get("unique_id", 0)}
        out.update(self.given(record.get("given_name")))
        out.update(self.middle(record.get("middle_names")))
        family = self.family(record.get("family_name"))
        out.update(family)
        out["family_all"] = mf.family_all(
            out.pop("family_parts"), self.previous(record.get("previous_family_names"))
        )
        out["names_ph"] = mf.names_ph(out["given_ph"], out["family_ph"])
        dob = record.get("date_of_birth")
        if isinstance(dob, str):
            dob = dt.date.fromisoformat(dob[:10])
        out.update(self.dob(dob))
        out["sex"] = mf.sex_feature(record.get("sex"))
        out.update(self.postcode(record.get("postcode")))
        out.update(self.address(record.get("address_line_1")))
        for name in mf.IDENTIFIER_FIELDS:
            out[name] = mf.identifier_feature(record.get(name))
        return out


@dataclass
class StoreState:
    """What the index mirrors besides features: record -> person, person -> number."""

    person_of: dict[int, int] = field(default_factory=dict)
    number_of: dict[int, str] = field(default_factory=dict)
    status_of: dict[int, str] = field(default_factory=dict)
    records_mark: dt.datetime | None = None
    links_mark: dt.datetime | None = None
    persons_mark: dt.datetime | None = None
    max_person_id: int = 0


def _as_utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value  # type: ignore[no-any-return]


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
        text(sql), params
    )
    yield from result


def _stored_index_mark(conn: Connection) -> dt.datetime | None:
    """When the stored features (`linkage_features`) were last brought up to date: the
    start of the last finished link run; None when there are none to start from."""
    if conn.execute(text("SELECT 1 FROM linkage_features LIMIT 1")).first() is None:
        return None
    started = conn.execute(
        text("SELECT max(started_at) FROM link_runs WHERE status = 'done'")
    ).scalar()
    return _as_utc(started)


def _first_load(
    engine: Engine, index: CandidateIndex, builder: FeatureBuilder
) -> tuple[int, dt.datetime | None]:
    """Fill the index: from the stored features when a link run wrote them, else from
    every active record. Returns the rows applied and the time from which changed records
    must still be read (the last run's start for stored features)."""
    applied = 0
    with engine.connect() as conn:
        stored_mark = _stored_index_mark(conn)
        if stored_mark is not None:
            intern = index.intern_table
            for row in feature_store.iter_all(conn):
                index.add(row[0], tuple(v if v is None else intern.setdefault(v, v) for v in row))
                applied += 1
            return applied, stored_mark
    for batch in read_linkage_records(engine).to_batches(max_chunksize=50_000):
        for record in batch.to_pylist():
            index.add(int(record["id"]), builder.row(record))
            applied += 1
    return applied, None


def load(engine: Engine, index: CandidateIndex, state: StoreState, builder: FeatureBuilder) -> int:
    """Read everything (or, with marks set, what changed since); returns rows applied.

    A mark is the time a read started: the next refresh reads the rows stamped at or after
    it minus `OVERLAP`, each query a range on an indexed timestamp
    (`source_records.updated_at`, `person_links.linked_at`, `person_history.at`), so a
    refresh with nothing new in the last two minutes reads nothing."""
    started = dt.datetime.now(dt.UTC)
    first = state.records_mark is None
    since_records: dt.datetime | None
    if first:
        applied, stored_mark = _first_load(engine, index, builder)
        since_records = stored_mark - OVERLAP if stored_mark else None
    else:
        applied = 0
        since_records = state.records_mark - OVERLAP if state.records_mark else None
    since_links = None if first or not state.links_mark else state.links_mark - OVERLAP
    since_persons = None if first or not state.persons_mark else state.persons_mark - OVERLAP
    with engine.connect() as conn:
        if since_records is not None:
            bind_records = timestamp(conn, since_records)
            records_sql = _SELECT + " WHERE updated_at >= :since"
            for row in _rows(conn, records_sql, {"since": bind_records}):
                record = row._mapping
                record_id = int(record["id"])
                if record["status"] != "active":
                    index.remove(record_id)
                    state.person_of.pop(record_id, None)
                    continue
                index.add(record_id, builder.row(record))
                applied += 1
        if since_persons is None:
            persons_sql, params = "SELECT id, person_number, status FROM persons", {}
        else:
            # Every change of a person (created, merged, split, retired, confirmed) writes
            # its history.
            persons_sql = (
                "SELECT id, person_number, status FROM persons WHERE id IN "
                "(SELECT person_id FROM person_history WHERE at >= :since)"
            )
            params = {"since": timestamp(conn, since_persons)}
        for pid, number, status in conn.execute(text(persons_sql), params):
            state.number_of[int(pid)] = str(number)
            state.status_of[int(pid)] = str(status)
            state.max_person_id = max(state.max_person_id, int(pid))
        links_sql = "SELECT source_record_id, person_id FROM person_links" + (
            " WHERE linked_at >= :since" if since_links else ""
        )
        bind_links = timestamp(conn, since_links) if since_links else None
        for record_id, person_id in _rows(conn, links_sql, {"since": bind_links}):
            state.person_of[int(record_id)] = int(person_id)
    state.records_mark = state.links_mark = state.persons_mark = started
    return applied
