"""Acceptance check: the data-quality report finds the errors `joinedup synth` injected.

    uv run python benchmarks/ingest_quality.py --persons 100000

Generates the synthetic partnership (or reuses `--dir`), loads every extract with its mapping
into a fresh SQLite store (`records.manifest.load_manifest`), then compares, per dataset:
- the injected `missing` rate of date of birth, sex, postcode and the main identifier with
  what the report counts as absent beyond the extract's by-design blanks (1 - completeness);
- the injected `identifier_typo` rate with the invalid rate of the NHS number / UPN (their
  check digits catch every such typo; NI numbers have none);
- the injected `postcode_typo` rate with the invalid-postcode rate (only typos that break the
  postcode's shape can be seen).
Prints one line per dataset and field, in percentage points.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from joinedup.records.manifest import load_manifest
from joinedup.records.quality import dataset_quality
from joinedup.store import create_store_engine, ensure_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="an existing synth folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="joinedup-dq-") as tmp:
        folder = args.dir
        if folder is None:
            from joinedup.synth import generate

            folder = Path(tmp) / "synth"
            generate(persons=args.persons, seed=args.seed, out_dir=folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        engine = create_store_engine(f"sqlite:///{Path(tmp) / 'store.db'}")
        ensure_schema(engine)
        t = time.perf_counter()
        reports = load_manifest(engine, folder)
        print(
            f"loaded {sum(r.rows_loaded for r in reports):,} rows of {len(reports)} extracts "
            f"in {time.perf_counter() - t:.1f} s; quarantined {sum(r.rows_quarantined for r in reports)}"
        )
        injected: Counter[tuple[str, str, str]] = Counter()
        with (folder / "errors.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                injected[(row["dataset"], row["field"], row["error"])] += 1
        print(
            f"{'dataset':<20}{'field':<15}{'check':<26}{'injected':>9}{'reported':>10}{'diff':>8}"
        )
        worst = 0.0
        for item, report in zip(manifest["extracts"], reports, strict=True):
            dq = dataset_quality(engine, item["organisation"], item["dataset"])
            fields = {f["field"]: f for f in dq["fields"]}
            rows = report.rows_loaded
            for field in ("date_of_birth", "sex", "postcode", "nhs_number", "upn", "ni_number"):
                f = fields.get(field)
                miss = injected[(item["dataset"], field, "missing")]
                if f is None or (miss == 0 and field not in ("date_of_birth", "sex", "postcode")):
                    continue
                if field in ("date_of_birth", "sex", "postcode"):
                    want, got = miss / rows, 1 - f["completeness"]
                    worst = max(
                        worst, _line(item["dataset"], field, "missing (1-completeness)", want, got)
                    )
                typo = "identifier_typo" if field in ("nhs_number", "upn") else "postcode_typo"
                if field in ("nhs_number", "upn", "postcode") and f["present"]:
                    bad = sum(p["count"] for p in (f["problems"] or {}).values())
                    want = injected[(item["dataset"], field, typo)] / f["present"]
                    got = bad / f["present"]
                    diff = _line(item["dataset"], field, f"{typo} (1-validity)", want, got)
                    if field != "postcode":
                        worst = max(worst, diff)
        print(f"largest difference (missing, identifier check digits): {100 * worst:.2f} points")
        engine.dispose()


def _line(dataset: str, field: str, check: str, want: float, got: float) -> float:
    print(
        f"{dataset:<20}{field:<15}{check:<26}{100 * want:>8.2f}%{100 * got:>9.2f}%{100 * (got - want):>+7.2f}"
    )
    return abs(got - want)


if __name__ == "__main__":
    main()
