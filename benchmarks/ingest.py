"""Ingest speed: a generated core-format CSV loaded with validation, against DuckDB read_csv.

    uv run python benchmarks/ingest.py                 # 1,000,000 rows, SQLite
    uv run python benchmarks/ingest.py --rows 200000 --database-url postgresql://...

Writes a realistic core-format extract (no mapping needed: ISO dates, `;` lists), then, in
the same run: a plain DuckDB `read_csv` of the file into a DuckDB table (the reference, the
fastest of three reads), a first ingest into an empty store (every row new), and a re-ingest
of the same file (every row unchanged). Prints rows/s and the ratio to DuckDB. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from joinedup.records.ingest import ingest_file
from joinedup.records.organisations import add_organisation
from joinedup.store import create_store_engine, ensure_schema

GIVEN = [
    "Oliver",
    "Amelia",
    "Jack",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Lily",
    "Mohammed",
    "Zofia",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Patel",
    "Khan",
    "O'Brien",
    "Nowak",
]
STREETS = ["High Street", "Church Lane", "Mill Road", "Station Road", "Abbey Lane"]
COLUMNS = [
    "local_id", "given_name", "middle_names", "family_name", "date_of_birth", "sex",
    "address_line_1", "address_line_2", "postcode", "nhs_number", "upn", "service",
    "involvement_type", "start_date", "end_date", "episode_status", "rag",
    "lead_practitioner", "lead_contact", "reason_codes", "note",
]  # fmt: skip


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum((10 - i) * d for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def write_extract(path: Path, rows: int, seed: int = 1) -> None:
    """A children's-services-like extract: every person field a partner typically sends, 1% of
    NHS numbers with a wrong check digit, some blanks, lists and free-text notes."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for i in range(rows):
            nhs = nhs_number(rng)
            if rng.random() < 0.01:
                nhs = nhs[:-1] + str((int(nhs[-1]) + 1) % 10)
            closed = rng.random() < 0.3
            w.writerow(
                [
                    f"C{i:08d}",
                    rng.choice(GIVEN),
                    rng.choice(GIVEN) if rng.random() < 0.4 else "",
                    rng.choice(FAMILY),
                    f"{rng.randint(1940, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(["male", "female"]),
                    f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
                    "Fenmoor",
                    f"FE{rng.randint(1, 22)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
                    nhs if rng.random() < 0.9 else "",
                    "",
                    "Children in Care Team",
                    rng.choice(["referral", "assessment", "child_in_need", "looked_after"]),
                    f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "2025-01-31" if closed else "",
                    "closed" if closed else "open",
                    rng.choice(["red", "amber", "green"]),
                    "Ann Pickering",
                    "ann.pickering@council.example",
                    ";".join(rng.sample(["N1", "N2", "N5", "8F", "19B"], rng.randint(0, 3))),
                    "Child seen alone. Family engaging with support.",
                ]
            )


def duckdb_read(path: Path, workdir: Path) -> tuple[float, float]:
    target = workdir / "reference.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")
    t, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - cpu
    con.close()
    return elapsed, cpu


def _load() -> str:
    # Other work on the machine slows every figure down, the reference's included.
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the CSV at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="joinedup-bench-") as tmp:
        workdir = Path(tmp)
        path = args.keep or workdir / "extract.csv"
        if not path.exists():
            t = time.perf_counter()
            write_extract(path, args.rows)
            print(
                f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
            )
        # CPU seconds (all threads) are printed too: on a shared machine the wall-clock
        # figures swing with other load, the CPU ones much less.
        print(f"{os.cpu_count()} CPUs; {_load()}")
        # The reference is read three times and the fastest counts: right after the file is
        # written (its pages still being flushed) DuckDB is slower, which would flatter the
        # ratios.
        ref, ref_cpu = min(duckdb_read(path, workdir) for _ in range(3))
        print(
            f"DuckDB read_csv into a table, fastest of 3: {ref:.2f} s "
            f"({args.rows / ref:,.0f} rows/s), CPU {ref_cpu:.1f} s"
        )
        url = args.database_url or f"sqlite:///{workdir / 'store.db'}"
        engine = create_store_engine(url)
        ensure_schema(engine)
        add_organisation(engine, "BENCH", "Benchmark council", exist_ok=True)
        dataset = f"extract_{os.getpid()}"
        for label in ("first load (all new)", "re-ingest (all unchanged)"):
            t, cpu = time.perf_counter(), time.process_time()
            report = ingest_file(engine, "BENCH", dataset, path, snapshot="full", actor="bench")
            elapsed = time.perf_counter() - t
            cpu = time.process_time() - cpu
            assert report.rows_in == args.rows == report.rows_loaded, report
            print(
                f"ingest, {label}: {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s, "
                f"{elapsed / ref:.1f}x DuckDB; CPU {cpu:.1f} s, {cpu / ref_cpu:.1f}x DuckDB's "
                f"(status {report.status}, "
                f"{report.rows_new:,} new, {report.rows_unchanged:,} unchanged)"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB; store {engine.dialect.name}; {_load()}")
        engine.dispose()


if __name__ == "__main__":
    main()
