"""Training and batch linking end to end on a synthetic partnership, on both backends."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, select

from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.evaluation import evaluate
from joinedup.identity.export import COLUMNS, export_links
from joinedup.identity.model import load_model, train_model
from joinedup.identity.splink_engine import TrainingOptions
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.identity import LinkRun, ReviewItem
from linkage_fixtures import install_model, make_people, write_partnership

FAST = TrainingOptions(u_max_pairs=2e5, em_max_pairs=2e5)
LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)


def test_train_run_evaluate_and_export(engine: Engine, tmp_path: Path) -> None:
    partnership = write_partnership(engine, make_people(90, seed=7), seed=8, error_rate=0.1)
    truth = tmp_path / "truth.csv"
    truth.write_text(partnership.truth_csv())

    summary = train_model(engine, FAST)
    model = load_model(engine)
    assert model.version == summary.version == 1
    assert summary.records_used == len(partnership.truth)
    report = (model.report_html or b"").decode()
    # The charts' scripts are inlined: the report works without network access.
    assert "vega" in report and "cdn.jsdelivr" not in report
    weights = {(r["comparison"], r["level"]): r["weight"] for r in summary.levels}
    assert weights[("date_of_birth", "exact")] > 5
    assert weights[("nhs_number", "different")] < -5  # a different valid identifier

    run = run_link(engine, thresholds=LIMITS)
    assert run.records == len(partnership.truth)
    result = evaluate(engine, truth)
    assert result.precision >= 0.95
    assert result.recall_with_review >= 0.9
    with engine.connect() as conn:
        assert (
            conn.execute(select(LinkRun.status).where(LinkRun.id == run.run_id)).scalar() == "done"
        )

    out = tmp_path / "links.csv"
    assert export_links(engine, out) == len(partnership.truth)
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert {(r[0], r[1], r[2]) for r in rows[1:]} == set(partnership.truth)
    assert all(0 < float(r[4]) <= 1 for r in rows[1:])


def _partition(engine: Engine) -> set[frozenset[str]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.local_id, l.person_id FROM person_links l "
            "JOIN source_records s ON s.id = l.source_record_id"
        ).all()
    groups: dict[int, set[str]] = {}
    for local_id, person in rows:
        groups.setdefault(person, set()).add(local_id)
    return {frozenset(g) for g in groups.values()}


def _review_pairs(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as conn:
        items = conn.execute(
            select(ReviewItem.kind, ReviewItem.record_id_l, ReviewItem.record_id_r)
        ).all()
        local = dict(conn.exec_driver_sql("SELECT id, local_id FROM source_records").all())
    return {(k, local[a], local[b]) for k, a, b in items}


def test_sqlite_and_postgresql_give_the_same_persons(pg_url: str, tmp_path: Path) -> None:
    sqlite = create_store_engine(f"sqlite:///{tmp_path / 'same.db'}")
    ensure_schema(sqlite)
    pg = create_store_engine(pg_url)
    try:
        for eng in (sqlite, pg):
            write_partnership(eng, make_people(60, seed=11), seed=12, error_rate=0.2)
            install_model(eng)
            run_link(eng, thresholds=LIMITS)
        assert _partition(sqlite) == _partition(pg)
        assert _review_pairs(sqlite) == _review_pairs(pg)
        assert len(_partition(sqlite)) > 50
    finally:
        sqlite.dispose()
        pg.dispose()
