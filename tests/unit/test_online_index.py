"""The online candidate index finds exactly Splink's blocked pairs, and the online matcher
scores them exactly as Splink's batch prediction does."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from joinedup.domain.match_features import prepare_record
from joinedup.identity.clustering import Thresholds
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.nicknames import nickname_table
from joinedup.identity.online.index import RULES, CandidateIndex, parse_rule, to_row
from joinedup.identity.online.loader import FeatureBuilder
from joinedup.identity.online.matcher import OnlineMatcher
from joinedup.identity.record_source import SCHEMA
from joinedup.identity.splink_engine import predict
from linkage_fixtures import fixed_model_settings, make_people, record_for


def _records(n: int = 50, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for person in make_people(n, seed=seed + 4):
        for field in ("nhs_number", "upn", "ni_number"):
            if rng.random() < 0.7:
                rec = record_for(person, field, rng, error_rate=0.3)
                rec["date_of_birth"] = rec["date_of_birth"].isoformat()
                out.append(rec)
    return out


def _splink_pairs(records: list[dict[str, Any]]) -> dict[tuple[int, int], float]:
    table: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}
    for i, rec in enumerate(records, start=1):
        for f in SCHEMA:
            table[f.name].append(i if f.name == "id" else rec.get(f.name))
    con = duckdb.connect()
    build_features(con, pa.table(table, schema=SCHEMA))
    predict(con, FEATURES_TABLE, fixed_model_settings(), threshold=0.0)
    rows = con.execute("SELECT id_l, id_r, match_probability FROM predictions").fetchall()
    return {(min(a, b), max(a, b)): float(p) for a, b, p in rows}


def _matcher(records: list[dict[str, Any]]) -> OnlineMatcher:
    matcher = OnlineMatcher(fixed_model_settings(), Thresholds())
    for i, rec in enumerate(records, start=1):
        matcher.add_record(i, rec, person_id=i)
    return matcher


def test_candidates_and_scores_equal_splink_batch() -> None:
    records = _records()
    splink = _splink_pairs(records)
    assert len(splink) > 80
    matcher = _matcher(records)
    online: dict[tuple[int, int], float] = {}
    for i in range(1, len(records) + 1):
        for j in matcher.index.candidates(matcher.index.rows[i], exclude=i):
            online[(min(i, j), max(i, j))] = matcher.score_records(i, j).match_probability
    assert set(online) == set(splink)
    for pair, probability in splink.items():
        assert online[pair] == pytest.approx(probability, rel=1e-9, abs=1e-12), pair


def test_match_returns_the_person_with_the_batch_probability() -> None:
    records = _records(30, seed=11)
    splink = _splink_pairs(records)
    matcher = _matcher(records)
    (a, b), p = max(splink.items(), key=lambda kv: kv[1])
    result = matcher.match(records[a - 1])
    found = {c.record_id: c for c in result.candidates}
    # The record itself is indexed (the best candidate, its own person); its partner is
    # the pair Splink scored.
    assert found[a].match_probability > 0.99
    assert found[b].match_probability == pytest.approx(p, rel=1e-9)
    names = [c["comparison"] for c in found[b].contributions]
    assert names[:3] == ["given_name", "family_name", "date_of_birth"]
    assert sum(c["weight"] for c in found[b].contributions) + matcher.params.prior_weight == (
        pytest.approx(found[b].match_weight)
    )


def test_feature_builder_equals_prepare_record() -> None:
    nick = nickname_table()
    builder = FeatureBuilder(nick)
    for i, rec in enumerate(_records(20, seed=3)):
        rec = {"unique_id": i, **rec}
        assert builder.features(rec) == prepare_record(rec, nick)
        assert builder.row(rec) == to_row(prepare_record(rec, nick))


def test_index_remove_and_readd_keeps_counts() -> None:
    records = _records(10, seed=2)
    index = CandidateIndex()
    nick = nickname_table()
    for i, rec in enumerate(records, start=1):
        index.add(i, prepare_record(rec, nick))
    before = {k: dict(v) for k, v in index.tf_counts.items()}
    row = index.rows[1]
    index.remove(1)
    assert 1 not in index and all(1 not in ids for b in index.buckets for ids in b.values())
    index.add(1, row)
    assert {k: {x: n for x, n in v.items() if n} for k, v in index.tf_counts.items()} == {
        k: {x: n for x, n in v.items() if n} for k, v in before.items()
    }
    assert to_row(prepare_record(records[0], nick))[1:] == index.rows[1][1:]


def test_rules_parse_as_equalities() -> None:
    assert parse_rule("l.dob = r.dob AND l.family_ph = r.family_ph") == ("dob", "family_ph")
    assert all(RULES)
    with pytest.raises(ValueError):
        parse_rule("l.dob = r.family_ph")
