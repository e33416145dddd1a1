"""`generate()`: build a synthetic partnership and write every file of it into one folder.

Files written (see docs/synthetic-data.md): one extract and one mapping per partner,
`truth.csv` (which person each record is about), `errors.csv` (every error injected),
`population.parquet` (the true people), `geography.csv` (the locality) and `manifest.json`
(what was written, with the settings and the error counts). The same persons, seed and rates
always give byte-identical files. Each stage draws from its own random stream (seeded by the
seed and the stage's name), so changing one partner does not change the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from joinedup.errors import InvalidInput
from joinedup.synth.agencies import Agency
from joinedup.synth.corrupt import apply_errors, make_records
from joinedup.synth.geography import Geography, geography_csv_text
from joinedup.synth.partnership import (
    MAX_PERSONS,
    assign_identifiers,
    build_partnership,
    check_arguments,
    partner_records,
    stage_rng,
)
from joinedup.synth.population import EXTRACT_DATE, Population
from joinedup.synth.rates import ErrorRates
from joinedup.synth.writers import CHUNK_ROWS, csv_text

FORMAT_VERSION = 1
PROGRESS_TOTAL = 100  # `progress` increments add up to this
TRUTH_FILE = "truth.csv"
ERRORS_FILE = "errors.csv"
POPULATION_FILE = "population.parquet"
GEOGRAPHY_FILE = "geography.csv"
MANIFEST_FILE = "manifest.json"
TRUTH_COLUMNS = ("organisation", "dataset", "local_id", "person_key")
ERROR_COLUMNS = (
    "organisation",
    "dataset",
    "local_id",
    "person_key",
    "field",
    "error",
    "original",
    "recorded",
)

# The stages' building blocks under the names benchmarks/linkage.py imports them by (it builds
# the records in memory); new code should use joinedup.synth.core_records() instead.
_rng = stage_rng
_assign_identifiers = assign_identifiers
__all__ = [
    "MAX_PERSONS",
    "PROGRESS_TOTAL",
    "apply_errors",
    "generate",
    "make_records",
]


class _Progress:
    """Reports whole-number increments that add up to PROGRESS_TOTAL."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.done = 0.0
        self.reported = 0

    def advance(self, amount: float) -> None:
        self.done = min(float(PROGRESS_TOTAL), self.done + amount)
        step = int(self.done) - self.reported
        if step > 0 and self.callback is not None:
            self.callback(step)
        self.reported += max(step, 0)

    def finish(self) -> None:
        self.advance(PROGRESS_TOTAL - self.done)


def generate(
    persons: int,
    seed: int,
    out_dir: Path,
    *,
    rates: ErrorRates | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write a synthetic partnership of `persons` people into `out_dir`; return the manifest.

    `progress`, when given, is called with increments of work done that add up to
    PROGRESS_TOTAL (100).
    """
    check_arguments(persons, seed)
    rates = rates or ErrorRates()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"Cannot create the output folder {out_dir}: {exc.strerror}.") from None
    tick = _Progress(progress)

    partnership = build_partnership(persons, seed)
    pop, geo = partnership.pop, partnership.geo
    tick.advance(25)

    ctx = partnership.context
    total_selected = max(1, sum(len(s) for s in partnership.selections))
    extracts: list[dict[str, Any]] = []
    totals: dict[str, dict[str, int]] = {}
    # truth and errors are written as each extract is made, so no run holds them all
    with (
        (out_dir / TRUTH_FILE).open("w", encoding="utf-8", newline="") as truth_handle,
        (out_dir / ERRORS_FILE).open("w", encoding="utf-8", newline="") as errors_handle,
    ):
        truth_handle.write(csv_text([TRUTH_COLUMNS], ",", "\n"))
        errors_handle.write(csv_text([ERROR_COLUMNS], ",", "\n"))
        for index, agency in enumerate(partnership.agencies):
            chosen = partnership.selections[index]
            rec, log, rng = partner_records(partnership, index, rates)
            table = agency.render(rec, ctx, rng)
            agency.write(table, out_dir / agency.file_name)
            del table
            (out_dir / agency.mapping_name).write_text(_mapping_yaml(agency), encoding="utf-8")

            person_keys = pop.person_key[rec.person]
            _write_truth_rows(
                truth_handle, agency.organisation, agency.dataset, rec.local_id, person_keys
            )
            for rows, field, error, before, after in log.chunks():
                m = len(rows)
                columns = [
                    [agency.organisation] * m,
                    [agency.dataset] * m,
                    rec.local_id[rows].tolist(),
                    person_keys[rows].tolist(),
                    [field] * m,
                    [error] * m,
                    before,
                    after,
                ]
                errors_handle.write(csv_text(columns, ",", "\n", by_column=True))
            for name, counts in log.counts.items():
                total = totals.setdefault(name, {"eligible": 0, "applied": 0})
                total["eligible"] += counts["eligible"]
                total["applied"] += counts["applied"]
            extracts.append(
                {
                    "organisation": agency.organisation,
                    "organisation_name": agency.organisation_name,
                    "organisation_kind": agency.kind,
                    "dataset": agency.dataset,
                    "dataset_name": agency.dataset_name,
                    "file": agency.file_name,
                    "mapping": agency.mapping_name,
                    "rows": len(rec),
                    "persons": len(chosen),
                    "errors": {k: dict(v) for k, v in sorted(log.counts.items())},
                }
            )
            tick.advance(65 * len(chosen) / total_selected)

    _write_population(out_dir / POPULATION_FILE, pop, geo)
    (out_dir / GEOGRAPHY_FILE).write_text(geography_csv_text(), encoding="utf-8")
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "persons": persons,
        "seed": seed,
        "extract_date": EXTRACT_DATE.isoformat(),
        "rates": rates.to_dict(),
        "extracts": extracts,
        "files": {
            "truth": TRUTH_FILE,
            "errors": ERRORS_FILE,
            "population": POPULATION_FILE,
            "geography": GEOGRAPHY_FILE,
        },
        "error_counts": {k: totals[k] for k in sorted(totals)},
    }
    (out_dir / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tick.finish()
    return manifest


def _write_truth_rows(
    handle: IO[str], organisation: str, dataset: str, local_ids: np.ndarray, keys: np.ndarray
) -> None:
    for start in range(0, len(local_ids), CHUNK_ROWS):
        ids = local_ids[start : start + CHUNK_ROWS].tolist()
        m = len(ids)
        columns = [
            [organisation] * m,
            [dataset] * m,
            ids,
            keys[start : start + CHUNK_ROWS].tolist(),
        ]
        handle.write(csv_text(columns, ",", "\n", by_column=True))


def _mapping_yaml(agency: Agency) -> str:
    header = (
        f"# Mapping of {agency.organisation_name}'s extract ({agency.file_name}) onto the core\n"
        "# record format; see docs/mappings.md. Written by `joinedup synth`.\n"
    )
    body = yaml.safe_dump(agency.mapping(), sort_keys=False, allow_unicode=True, width=100)
    return header + body


def _write_truth(path: Path, parts: list[tuple[str, str, np.ndarray, np.ndarray]]) -> None:
    """truth.csv from (organisation, dataset, local ids, person keys) per extract."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(csv_text([TRUTH_COLUMNS], ",", "\n"))
        for org, dataset, local_ids, keys in parts:
            _write_truth_rows(handle, org, dataset, local_ids, keys)


def _write_population(path: Path, pop: Population, geo: Geography) -> None:
    def text(values: np.ndarray) -> pa.Array:
        return pa.array([None if v == "" else v for v in values.tolist()], type=pa.string())

    addr = pop.addresses
    pc = addr.postcode_idx[pop.address]
    moved = pop.previous_address >= 0
    prev = np.where(moved, pop.previous_address, 0)
    prev_line = np.where(moved, addr.line_1[prev], "").astype(object)
    prev_pc = np.where(moved, geo.postcode[addr.postcode_idx[prev]], "").astype(object)
    assert pop.nhs_number is not None and pop.upn is not None
    assert pop.uln is not None and pop.ni_number is not None
    table = pa.table(
        {
            "person_key": text(pop.person_key),
            "household_key": pa.array(
                [f"H{h + 1:07d}" for h in pop.household.tolist()], type=pa.string()
            ),
            "household_type": text(pop.household_type),
            "role": text(pop.role),
            "origin": text(pop.origin),
            "given_name": text(pop.given_name),
            "middle_names": text(pop.middle_names),
            "family_name": text(pop.family_name),
            "previous_family_name": text(pop.previous_family_name),
            "sex": text(pop.sex),
            "date_of_birth": pa.array(pop.date_of_birth, type=pa.date32()),
            "age": pa.array(pop.age, type=pa.int16()),
            "address_line_1": text(addr.line_1[pop.address]),
            "locality": text(geo.locality[pc]),
            "post_town": text(geo.post_town[pc]),
            "postcode": text(geo.postcode[pc]),
            "uprn": text(addr.uprn[pop.address]),
            "ward_code": text(geo.ward_code[pc]),
            "district_code": text(geo.district_code[pc]),
            "previous_address_line_1": text(prev_line),
            "previous_postcode": text(prev_pc),
            "moved_on": pa.array(pop.moved_on, type=pa.date32(), from_pandas=True),
            "nhs_number": text(pop.nhs_number),
            "upn": text(pop.upn),
            "uln": text(pop.uln),
            "ni_number": text(pop.ni_number),
        }
    )
    pq.write_table(table, path, compression="zstd")
