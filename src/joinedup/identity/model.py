"""The linkage model as a versioned artefact: train it on the store's records, keep it,
find it again.

`train_model` reads every active source record, builds the feature table, trains joinedup's
Splink model (prior from deterministic rules, u by random sampling, m by EM) and stores the
Splink settings JSON with an HTML report as the next version in `linkage_models`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy import Engine, func, select

from joinedup.errors import InvalidInput, NotFound
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.record_source import read_linkage_records
from joinedup.identity.splink_engine import TrainingOptions, train
from joinedup.store.schema.identity import LinkageModel
from joinedup.store.uow import transaction

MIN_RECORDS = 20
Progress = Callable[[str], None]


@dataclass
class ModelSummary:
    """What `joinedup link train` reports."""

    version: int
    records_used: int
    prior: float
    seconds: float
    levels: list[dict[str, Any]]
    timings: dict[str, float]


def duckdb_connection(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    # DuckDB draws progress bars on stdout otherwise, into `--json` output.
    con.execute("SET enable_progress_bar = false")
    return con


def summarise_levels(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Per level m, u and match weight, for reports and the CLI."""
    import math

    rows = []
    for comp in settings["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append(
                {
                    "comparison": comp["output_column_name"],
                    "level": level.get("label_for_charts", ""),
                    "m": m,
                    "u": u,
                    "weight": math.log2(m / u) if m and u else None,
                }
            )
    return rows


def train_model(
    engine: Engine,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> ModelSummary:
    """Train on the current records and store the model as the next version."""
    started = time.monotonic()
    timings: dict[str, float] = {}
    say = progress or (lambda _msg: None)
    say("reading records")
    records = read_linkage_records(engine)
    timings["read"] = round(time.monotonic() - started, 2)
    if records.num_rows < MIN_RECORDS:
        raise InvalidInput(
            f"Only {records.num_rows} active source records: training needs at least "
            f"{MIN_RECORDS}.",
            hint="Load partner extracts first (joinedup ingest ...).",
        )
    con = duckdb_connection()
    try:
        say("building features")
        t0 = time.monotonic()
        n = build_features(con, records)
        del records
        timings["features"] = round(time.monotonic() - t0, 2)
        say("training (prior, u sampling, EM)")
        settings, report = train(con, FEATURES_TABLE, options or TrainingOptions(), timings)
    finally:
        con.close()
    with transaction(engine) as session:
        latest = session.execute(select(func.max(LinkageModel.version))).scalar() or 0
        model = LinkageModel(
            version=latest + 1,
            records_used=n,
            settings=settings,
            report_html=report.encode("utf-8"),
        )
        session.add(model)
    return ModelSummary(
        version=latest + 1,
        records_used=n,
        prior=float(settings["probability_two_random_records_match"]),
        seconds=time.monotonic() - started,
        levels=summarise_levels(settings),
        timings=timings,
    )


def load_model(engine: Engine, version: int | None = None) -> LinkageModel:
    """The model of `version`, or the latest one."""
    with transaction(engine) as session:
        query = select(LinkageModel)
        if version is None:
            query = query.order_by(LinkageModel.version.desc()).limit(1)
        else:
            query = query.where(LinkageModel.version == version)
        model = session.execute(query).scalar_one_or_none()
        if model is None:
            raise NotFound(
                "No trained linkage model" + (f" of version {version}" if version else ""),
                hint="Train one first: joinedup link train",
            )
        session.expunge(model)
        return model
