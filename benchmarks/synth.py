"""Synthetic partnership benchmark: seconds and peak memory of `generate()` per size.

    uv run python benchmarks/synth.py                      # 100,000 and 1,000,000 persons
    uv run python benchmarks/synth.py --sizes 10000 100000 --seed 2

Each size runs in a fresh Python process (so its peak RSS is its own) writing into a
temporary folder that is removed afterwards. Prints one line per size and a table at the end:
wall-clock and CPU seconds (on a busy machine the two differ), peak RSS, extract rows.
The target (issue 2): 1,000,000 persons in under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(persons: int, seed: int, out: Path) -> None:
    """Run one generation and print its figures as JSON (runs in the child process)."""
    from joinedup.synth import generate

    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    manifest = generate(persons, seed, out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    peak_kib = usage.ru_maxrss
    size = sum(p.stat().st_size for p in out.iterdir())
    rows = sum(item["rows"] for item in manifest["extracts"])
    print(
        json.dumps(
            {
                "persons": persons,
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu, 1),
                "peak_rss_mib": round(peak_kib / 1024),
                "rows": rows,
                "rows_per_person": round(rows / persons, 2),
                "output_mib": round(size / 2**20, 1),
                "extracts": {item["dataset"]: item["rows"] for item in manifest["extracts"]},
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.seed, args.out)
        return 0

    results = []
    for persons in args.sizes:
        with tempfile.TemporaryDirectory(prefix="joinedup-synth-") as tmp:
            command = [
                sys.executable,
                __file__,
                "--child",
                str(persons),
                "--seed",
                str(args.seed),
                "--out",
                tmp,
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(json.dumps(result), flush=True)

    print()
    print(
        f"{'persons':>10} {'seconds':>8} {'CPU s':>6} {'peak RSS MiB':>13} {'rows':>10} "
        f"{'per person':>10} {'output MiB':>11}"
    )
    for r in results:
        print(
            f"{r['persons']:>10,} {r['seconds']:>8} {r['cpu_seconds']:>6} {r['peak_rss_mib']:>13,} "
            f"{r['rows']:>10,} {r['rows_per_person']:>10} {r['output_mib']:>11}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
