"""Online match benchmark: single-record match latency with many persons in the index,
next to Splink's own single-record scoring (`predict_between`) on the same records.

    uv run python benchmarks/online_match.py --persons 1000000
    uv run python benchmarks/online_match.py --persons 50000 --queries 500

Steps: synthetic partnership (joinedup.synth core records, about 2.6 records a person);
hold out `--queries` records (records of known persons, with the generator's errors);
train joinedup's model with Splink on a sample; build the online candidate index over the
other records (features by `domain.match_features`, as the batch); time `match()` for each
held-out record (p50, p99, max), in process; then time Splink 5's
`linker.inference.predict_between(all records, one record)` for `--splink-queries` of the
same records (term-frequency tables registered once, outside the timing) and compare the
best probability each gives.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from typing import Any

import numpy as np
import pyarrow as pa

from joinedup.identity.clustering import Thresholds
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.model import duckdb_connection
from joinedup.identity.online.matcher import OnlineMatcher
from joinedup.identity.record_source import LINKAGE_COLUMNS, SCHEMA
from joinedup.identity.splink_engine import TrainingOptions, train
from joinedup.synth.partnership import core_records


def _records(persons: int, seed: int) -> pa.Table:
    tables = []
    next_id = 1
    for extract in core_records(persons, seed):
        t = extract.records
        n = t.num_rows
        cols: dict[str, Any] = {"id": pa.array(range(next_id, next_id + n), pa.int64())}
        for c in LINKAGE_COLUMNS:
            if c in t.column_names:
                col = t.column(c)
                cols[c] = col.cast(pa.string()) if col.type != pa.string() else col
            else:
                cols[c] = pa.nulls(n, pa.string())
        tables.append(pa.table(cols, schema=SCHEMA))
        next_id += n
    return pa.concat_tables(tables)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--splink-queries", type=int, default=20)
    parser.add_argument("--train-sample", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t0 = time.monotonic()
    table = _records(args.persons, args.seed)
    print(
        f"records: {table.num_rows:,} for {args.persons:,} persons "
        f"({time.monotonic() - t0:.1f}s to generate)"
    )
    rng = random.Random(args.seed)
    query_idx = set(rng.sample(range(table.num_rows), args.queries))
    mask = np.array([i not in query_idx for i in range(table.num_rows)])
    indexed = table.filter(pa.array(mask))
    queries = table.filter(pa.array(~mask)).to_pylist()

    t0 = time.monotonic()
    con = duckdb_connection()
    sample = indexed.take(
        pa.array(
            sorted(rng.sample(range(indexed.num_rows), min(args.train_sample, indexed.num_rows)))
        )
    )
    build_features(con, sample)
    settings, _ = train(con, FEATURES_TABLE, TrainingOptions(u_max_pairs=2e6, em_max_pairs=1e6))
    con.close()
    print(f"model trained on {sample.num_rows:,} records in {time.monotonic() - t0:.1f}s")

    t0 = time.monotonic()
    matcher = OnlineMatcher(settings, Thresholds())
    builder = matcher.builder
    for batch in indexed.to_batches(max_chunksize=100_000):
        for rec in batch.to_pylist():
            rid = rec.pop("id")
            matcher.index.add(rid, builder.row(rec))
    gc.collect()
    print(
        f"index: {len(matcher.index):,} records built in {time.monotonic() - t0:.1f}s, "
        f"peak RSS {_rss_mb():,.0f} MB"
    )

    latencies = []
    cpu = []
    best_online: dict[int, float] = {}
    candidates = []
    for q in queries:
        rec = {k: v for k, v in q.items() if k != "id"}
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = matcher.match(rec)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        candidates.append(len(result.candidates))
        best_online[q["id"]] = result.candidates[0].match_probability if result.candidates else 0.0
    lat = np.array(latencies)
    print(
        f"online match ({len(queries):,} single records, in process): "
        f"p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms, "
        f"max {lat.max():.2f} ms; mean candidates {np.mean(candidates):.1f}"
    )
    # CPU time of the matching thread: the wall-clock tail on a shared machine is mostly
    # waiting for a core.
    print(
        f"online match CPU time: p50 {np.percentile(cpu, 50):.2f} ms, "
        f"p99 {np.percentile(cpu, 99):.2f} ms"
    )

    # Splink's own single-record scoring on the same records and model.
    from splink import DuckDBAPI, Linker

    con = duckdb_connection()
    build_features(con, indexed)
    con.execute(f"CREATE OR REPLACE TABLE existing AS SELECT * FROM {FEATURES_TABLE}")
    db_api = DuckDBAPI(connection=con)
    existing = db_api.register("existing")
    linker = Linker(existing, settings, log_level=None)
    t0 = time.monotonic()
    for column in ("given_name", "family_name"):
        linker.table_management.compute_tf_table(column)
    print(f"splink tf tables: {time.monotonic() - t0:.1f}s (once)")
    splink_ms = []
    diffs = []
    for q in queries[: args.splink_queries]:
        one = pa.table({k: [v] for k, v in q.items()}, schema=SCHEMA)
        build_features(con, one)
        con.execute(f"CREATE OR REPLACE TABLE query_one AS SELECT * FROM {FEATURES_TABLE}")
        right = db_api.register("query_one")
        start = time.perf_counter()
        df = linker.inference.predict_between(existing, right, warning_mode="never")
        found = con.execute(f"SELECT max(match_probability) FROM {df.physical_name}").fetchall()[0]
        splink_ms.append((time.perf_counter() - start) * 1000)
        best = float(found[0]) if found and found[0] is not None else 0.0
        diffs.append(abs(best - best_online[q["id"]]))
    sl = np.array(splink_ms)
    print(
        f"splink predict_between ({len(sl)} single records vs {indexed.num_rows:,}): "
        f"p50 {np.percentile(sl, 50):.0f} ms, p99 {np.percentile(sl, 99):.0f} ms"
    )
    print(f"best-candidate probability, online vs splink: max |difference| {max(diffs):.2e}")
    print(f"peak RSS {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
