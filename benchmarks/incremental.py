"""Incremental linking benchmark: add records to a linked store, link only them, and compare
with a full re-run.

    uv run python benchmarks/incremental.py --persons 1000000 --add 10000
    uv run python benchmarks/incremental.py --persons 100000 --add 10000

Steps: load the synthetic partnership into a fresh SQLite store (as benchmarks/linkage.py),
hold `--add` random records back (closed), train, run a full link; then reopen the held
records (new since the run), time the online index load and `run_incremental`; then run a
full link again and report the share of records whose person is the same after the
incremental run as after the full re-run (the full run keeps numbers stable, so person ids
compare directly).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, bindparam, text

sys.path.insert(0, str(Path(__file__).parent))

from linkage import load_synth_directly

from joinedup.identity.batch_link import run_link
from joinedup.identity.incremental import run_incremental
from joinedup.identity.model import train_model
from joinedup.identity.online.matcher import matcher_for
from joinedup.identity.splink_engine import TrainingOptions
from joinedup.store import create_store_engine, ensure_schema


def _links(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source_record_id, person_id FROM person_links")).all()
    return {int(r): int(p) for r, p in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--add", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_store_engine(f"sqlite:///{tmp}/store.db")
        ensure_schema(engine)
        t0 = time.monotonic()
        n = load_synth_directly(engine, args.persons, args.seed, Path(tmp) / "truth.csv")
        print(f"loaded {n:,} records for {args.persons:,} persons in {time.monotonic() - t0:.0f}s")
        with engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM source_records"))]
        held = sorted(random.Random(args.seed).sample(ids, args.add))
        stmt = text("UPDATE source_records SET status = :s, updated_at = :t WHERE id IN :ids")
        stmt = stmt.bindparams(bindparam("ids", expanding=True))

        def set_status(status: str) -> None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            with engine.begin() as conn:
                for i in range(0, len(held), 5000):
                    conn.execute(stmt, {"s": status, "t": stamp, "ids": held[i : i + 5000]})

        set_status("closed")
        t0 = time.monotonic()
        train_model(engine, TrainingOptions(u_max_pairs=2e6, em_max_pairs=1e6))
        print(f"trained in {time.monotonic() - t0:.0f}s")
        t0 = time.monotonic()
        first = run_link(engine)
        print(f"full run on {first.records:,} records: {first.seconds:.0f}s")
        t0 = time.monotonic()
        matcher = matcher_for(engine)
        print(
            f"online index of {len(matcher.index):,} records loaded in "
            f"{time.monotonic() - t0:.0f}s (once per process)"
        )

        set_status("active")
        t0 = time.monotonic()
        inc = run_incremental(engine, matcher=matcher)
        spent = time.monotonic() - t0
        print(
            f"incremental: {inc.records_changed:,} new records, region {inc.region_records:,} "
            f"records, {inc.pairs_scored:,} pairs scored, {inc.links_changed:,} links written, "
            f"persons created {inc.persons_created:,}, merged {inc.persons_merged:,}, split "
            f"{inc.persons_split:,}: {spent:.1f}s ({inc.timings})"
        )
        after_incremental = _links(engine)
        full = run_link(engine)
        print(f"full re-run on {full.records:,} records: {full.seconds:.0f}s")
        after_full = _links(engine)
        same = sum(1 for r, p in after_full.items() if after_incremental.get(r) == p)
        new_same = sum(1 for r in held if after_incremental.get(r) == after_full.get(r))
        print(
            f"same person as the full re-run: {same / len(after_full):.4%} of all records, "
            f"{new_same / len(held):.4%} of the added records"
        )


if __name__ == "__main__":
    main()
