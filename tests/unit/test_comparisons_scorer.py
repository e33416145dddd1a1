"""The pure-Python scorer gives Splink's batch scores for the same pairs."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from joinedup.domain.match_features import prepare_record
from joinedup.domain.match_scorer import params_from_settings, score_pair
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.nicknames import nickname_table
from joinedup.identity.record_source import SCHEMA
from joinedup.identity.splink_engine import predict
from linkage_fixtures import fixed_model_settings, make_people, record_for


def _records() -> list[dict[str, Any]]:
    rng = random.Random(5)
    out = []
    for person in make_people(40, seed=9):
        for field in ("nhs_number", "upn", "ni_number"):
            if rng.random() < 0.7:
                rec = record_for(person, field, rng, error_rate=0.3)
                rec["date_of_birth"] = rec["date_of_birth"].isoformat()
                out.append(rec)
    return out


def test_python_scores_equal_splink_scores() -> None:
    records = _records()
    table = {f.name: [] for f in SCHEMA}
    for i, rec in enumerate(records, start=1):
        for f in SCHEMA:
            table[f.name].append(i if f.name == "id" else rec.get(f.name))
    con = duckdb.connect()
    build_features(con, pa.table(table, schema=SCHEMA))
    settings = fixed_model_settings()
    predict(con, FEATURES_TABLE, settings, threshold=0.0)
    splink = con.execute("SELECT id_l, id_r, match_weight FROM predictions").fetchall()
    assert len(splink) > 50

    nick = nickname_table()
    feats = {i: prepare_record({"unique_id": i, **r}, nick) for i, r in enumerate(records, 1)}
    tf: dict[str, dict[str, float]] = {}
    for column in ("given_name", "family_name"):
        values = [f[column] for f in feats.values() if f[column] is not None]
        tf[column] = {v: values.count(v) / len(values) for v in set(values)}
    params = params_from_settings(settings)
    for a, b, weight in splink:
        ours = score_pair(feats[a], feats[b], params, tf)
        assert ours.match_weight == pytest.approx(weight, abs=1e-6), (a, b)
