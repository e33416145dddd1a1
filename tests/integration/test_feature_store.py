"""The stored candidate index (`linkage_features`): what a full run writes equals the
features the online path computes, its SQL candidates are exactly the blocked pairs, and
the incremental scorer (stored features, term frequencies from the table; pair by pair in
Python and in bulk through DuckDB) gives Splink's batch probability for every pair; closed
records leave it, registrations join it; the online matcher's index is loaded from it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import Engine, text, update

from joinedup.domain.comparisons import FEATURE_COLUMNS
from joinedup.domain.match_scorer import params_from_settings
from joinedup.identity import feature_store
from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.incremental import _Scorer, link
from joinedup.identity.model import duckdb_connection, load_model
from joinedup.identity.online.index import blocked
from joinedup.identity.online.loader import FeatureBuilder
from joinedup.identity.online.matcher import forget_matchers, matcher_for
from joinedup.identity.record_source import read_linkage_records
from joinedup.identity.register import register
from joinedup.identity.splink_engine import predict
from joinedup.store.schema.records import SourceRecord
from linkage_fixtures import install_model, make_people, write_partnership

LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)


def _stored(engine: Engine) -> dict[int, tuple[object, ...]]:
    with engine.connect() as conn:
        return dict((row[0], row) for row in feature_store.iter_all(conn))


def test_full_run_writes_features_equal_to_the_online_path_and_batch_scores(
    engine: Engine,
) -> None:
    forget_matchers()
    write_partnership(engine, make_people(25, seed=41), seed=42, error_rate=0.3)
    install_model(engine)
    run_link(engine, thresholds=LIMITS)

    records = read_linkage_records(engine)
    stored = _stored(engine)
    builder = FeatureBuilder()
    expected = {
        int(r["id"]): builder.row({**r, "unique_id": int(r["id"])}) for r in records.to_pylist()
    }
    assert len(stored) == records.num_rows > 100
    assert stored == expected

    brute = {
        (a, b)
        for a, b in itertools.combinations(sorted(stored), 2)
        if blocked(stored[a], stored[b])
    }
    with engine.begin() as conn:
        found = feature_store.candidate_pairs(conn, stored)
        pairs = {(min(a, b), max(a, b)) for a, bs in found.items() for b in bs}
        assert pairs == brute and len(brute) > 50
        scorer = _Scorer(conn, params_from_settings(load_model(engine).settings))
        scorer.load(stored)
        alone = {pair: scorer.score(*pair).match_probability for pair in pairs}
        scorer.prefetch(pairs)  # comparison levels in DuckDB, weights in Python
        bulk = {pair: scorer.probability(*pair) for pair in pairs}
        # With a floor, DuckDB drops the pairs below it: exactly those, no more.
        floored = _Scorer(conn, params_from_settings(load_model(engine).settings))
        floored.load(stored)
        floored.prefetch(pairs, at_least=0.7)
        assert set(floored.cache) == {pair for pair in pairs if alone[pair] >= 0.7}
        assert floored.below == {pair for pair in pairs if alone[pair] < 0.7}
        assert 0 < len(floored.cache) < len(pairs)

    con = duckdb_connection()
    build_features(con, records)
    predict(con, FEATURES_TABLE, load_model(engine).settings, threshold=0.0)
    splink = {
        (min(a, b), max(a, b)): float(p)
        for a, b, p in con.execute(
            "SELECT id_l, id_r, match_probability FROM predictions"
        ).fetchall()
    }
    con.close()
    assert set(splink) == pairs
    for pair, probability in splink.items():
        assert alone[pair] == pytest.approx(probability, rel=1e-9, abs=1e-12), pair
        assert bulk[pair] == alone[pair], pair


def test_closed_records_leave_and_registrations_join_the_stored_index(engine: Engine) -> None:
    forget_matchers()
    people = make_people(10, seed=43)
    write_partnership(engine, people, seed=44, error_rate=0.1)
    install_model(engine)
    run_link(engine, thresholds=LIMITS)
    before = _stored(engine)
    closed_id = min(before)
    with engine.begin() as conn:
        conn.execute(
            update(SourceRecord)
            .where(SourceRecord.id == closed_id)
            .values(status="closed", updated_at=dt.datetime.now(dt.UTC))
        )
    person = people[0]
    reg = register(
        engine,
        {
            "organisation": "NHS",
            "dataset": "patients",
            "local_id": "REG-1",
            "given_name": person.given,
            "family_name": person.family,
            "date_of_birth": person.dob.isoformat(),
            "postcode": person.postcode,
        },
    )
    after = _stored(engine)
    assert reg.record_id in after and reg.record_id not in before
    summary = link(engine, thresholds=LIMITS)
    assert summary.__class__.__name__ == "IncrementalSummary"
    after = _stored(engine)
    assert closed_id not in after
    assert set(after) == (set(before) - {closed_id}) | {reg.record_id}


def test_matcher_loads_from_the_stored_features_then_refreshes_changes(engine: Engine) -> None:
    forget_matchers()
    write_partnership(engine, make_people(12, seed=45), seed=46, error_rate=0.2)
    with engine.begin() as conn:  # loaded long ago: nothing for the first refresh to re-read
        conn.execute(
            update(SourceRecord).values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    install_model(engine)
    run_link(engine, thresholds=LIMITS)
    stored = _stored(engine)
    marked = min(stored)
    with engine.begin() as conn:  # a mark only a read of the stored rows can see
        conn.execute(
            text("UPDATE linkage_features SET address_number = 'STORED' WHERE record_id = :r"),
            {"r": marked},
        )
    matcher = matcher_for(engine)
    address_number = FEATURE_COLUMNS.index("address_number")
    assert matcher.index.rows[marked][address_number] == "STORED"
    rows = matcher.index.rows
    assert {r: v for r, v in rows.items() if r != marked} == {
        r: v for r, v in stored.items() if r != marked
    }
    changed = max(stored)
    with engine.begin() as conn:
        conn.execute(
            update(SourceRecord)
            .where(SourceRecord.id == changed)
            .values(date_of_birth=dt.date(1999, 9, 9), updated_at=dt.datetime.now(dt.UTC))
        )
    matcher.refresh(engine)
    dob = FEATURE_COLUMNS.index("dob")
    assert matcher.index.rows[changed][dob] == dt.date(1999, 9, 9)
    assert len(matcher.index) == len(stored)
    forget_matchers()
