"""Incremental linking benchmark: add records to a linked store, run `joinedup link run` (now
incremental) in a fresh process, and compare with a full re-run.

    uv run python benchmarks/incremental.py --persons 100000 --add 10000
    uv run python benchmarks/incremental.py --persons 1000000 --add 10000

Steps: load the synthetic partnership into a fresh SQLite store (as benchmarks/linkage.py),
hold `--add` random records back (closed), train, `joinedup link run` (the first run: full,
it also writes the stored candidate index); then reopen the held records (new since the
run) and time `joinedup link run` again, a fresh process as a user runs it, start-up and
every read included (wall and CPU seconds, peak RSS, the run's own split); then
`joinedup link run --full` and report the share of records whose person is the same after
the incremental run as after the full re-run (the full run keeps numbers stable, so person
ids compare directly), over all records and over the added ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, bindparam, text

sys.path.insert(0, str(Path(__file__).parent))

from linkage import CPU_SECONDS, _cli, _json_from, load_synth_directly

from joinedup.identity.model import train_model
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
    parser.add_argument("--workdir", type=Path, help="where to keep the store (default: temp)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        url = f"sqlite:///{tmp}/store.db"
        env = {**os.environ, "JOINEDUP_DATABASE_URL": url}
        engine = create_store_engine(url)
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

        seconds, peak, out = _cli(["link", "run", "--json"], env)
        first = _json_from(out)
        print(
            f"first `joinedup link run` ({first['kind']}) on {first['records']:,} records: "
            f"{seconds:.1f}s wall, {CPU_SECONDS['link run']:.1f}s CPU, peak {peak:.2f} GiB; "
            f"timings {first['timings']}"
        )

        set_status("active")
        time.sleep(0.01)
        seconds, peak, out = _cli(["link", "run", "--json"], env)
        inc = _json_from(out)
        print(
            f"`joinedup link run` ({inc['kind']}), fresh process: {inc['records_changed']:,} new "
            f"records, region {inc['region_records']:,} records, {inc['pairs_scored']:,} pairs "
            f"scored, {inc['links_changed']:,} links written, persons created "
            f"{inc['persons_created']:,}, merged {inc['persons_merged']:,}, split "
            f"{inc['persons_split']:,}"
        )
        print(
            f"  end to end {seconds:.1f}s wall, {CPU_SECONDS['link run']:.1f}s CPU, peak "
            f"{peak:.2f} GiB (peak of any child so far); inside the run {inc['seconds']:.1f}s: "
            f"{inc['timings']}; the rest is process start-up and imports"
        )
        after_incremental = _links(engine)

        seconds, _, out = _cli(["link", "run", "--full", "--json"], env)
        full = _json_from(out)
        print(
            f"`joinedup link run --full` on {full['records']:,} records: {seconds:.1f}s wall, "
            f"{CPU_SECONDS['link run']:.1f}s CPU; timings {full['timings']}"
        )
        after_full = _links(engine)
        same = sum(1 for r, p in after_full.items() if after_incremental.get(r) == p)
        new_same = sum(1 for r in held if after_incremental.get(r) == after_full.get(r))
        print(
            f"same person as the full re-run: {same / len(after_full):.4%} of all records "
            f"({len(after_full) - same:,} differ), {new_same / len(held):.4%} of the added records"
        )
        print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
