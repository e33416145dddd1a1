"""`generate()`: build a synthetic partnership and write every file of it into one folder.

Files written (see docs/synthetic-data.md): one extract and one mapping per partner,
`truth.csv` (which person each record is about), `errors.csv` (every error injected),
`population.parquet` (the true people), `geography.csv` (the locality) and `manifest.json`
(what was written, with the settings and the error counts). The same persons, seed and rates
always give byte-identical files. Each stage draws from its own random stream (seeded by the
seed and the stage's name), so changing one partner does not change the others.
"""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from joinedup.errors import InvalidInput
from joinedup.synth.agencies import Agency, Context, all_agencies
from joinedup.synth.corrupt import ErrorLog, apply_errors, make_records
from joinedup.synth.geography import Geography, geography_csv_text, load_geography
from joinedup.synth.identifiers import nhs_numbers, ni_numbers, uln_numbers, upn_numbers
from joinedup.synth.names import load_name_pools
from joinedup.synth.population import EXTRACT_DATE, Population, build_population
from joinedup.synth.rates import ErrorRates

FORMAT_VERSION = 1
PROGRESS_TOTAL = 100  # `progress` increments add up to this
MAX_PERSONS = 20_000_000
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


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stage.encode("utf-8"))])


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
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise InvalidInput(
            f"The number of persons must be a whole number of 1 or more, not {persons!r}."
        )
    if persons > MAX_PERSONS:
        raise InvalidInput(f"At most {MAX_PERSONS:,} persons can be generated, not {persons:,}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput(f"The seed must be a whole number of 0 or more, not {seed!r}.")
    rates = rates or ErrorRates()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"Cannot create the output folder {out_dir}: {exc.strerror}.") from None
    tick = _Progress(progress)

    geo = load_geography()
    pools = load_name_pools()
    pop = build_population(persons, _rng(seed, "population"), geo, pools)
    tick.advance(15)

    agencies = all_agencies()
    selections = [a.select(pop, _rng(seed, f"select:{a.dataset}")) for a in agencies]
    _assign_identifiers(pop, agencies, selections, _rng(seed, "identifiers"))
    tick.advance(10)

    ctx = Context(pop=pop, geo=geo, pools=pools)
    total_selected = max(1, sum(len(s) for s in selections))
    truth_parts: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    error_rows: list[tuple[str, ...]] = []
    extracts: list[dict[str, Any]] = []
    totals: dict[str, dict[str, int]] = {}
    for agency, chosen in zip(agencies, selections, strict=True):
        rng = _rng(seed, f"extract:{agency.dataset}")
        log = ErrorLog()
        rec = make_records(chosen, pop, geo, rates.duplicate, rng, agency.local_ids, log)
        agency.hold_identifiers(rec, ctx, rng)
        apply_errors(rec, pop, geo, rates, rng, log, agency.key_identifier)
        table = agency.render(rec, ctx, rng)
        agency.write(table, out_dir / agency.file_name)
        (out_dir / agency.mapping_name).write_text(_mapping_yaml(agency), encoding="utf-8")

        person_keys = pop.person_key[rec.person]
        truth_parts.append((agency.organisation, agency.dataset, rec.local_id, person_keys))
        local_ids = rec.local_id.tolist()
        keys = person_keys.tolist()
        for row, field, error, before, after in log.entries():
            error_rows.append(
                (
                    agency.organisation,
                    agency.dataset,
                    local_ids[row],
                    keys[row],
                    field,
                    error,
                    before,
                    after,
                )
            )
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

    _write_truth(out_dir / TRUTH_FILE, truth_parts)
    _write_errors(out_dir / ERRORS_FILE, error_rows)
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


def _mapping_yaml(agency: Agency) -> str:
    header = (
        f"# Mapping of {agency.organisation_name}'s extract ({agency.file_name}) onto the core\n"
        "# record format; see docs/mappings.md. Written by `joinedup synth`.\n"
    )
    body = yaml.safe_dump(agency.mapping(), sort_keys=False, allow_unicode=True, width=100)
    return header + body


def _assign_identifiers(
    pop: Population, agencies: list[Agency], selections: list[np.ndarray], rng: np.random.Generator
) -> None:
    """Give people the identifiers their age implies.

    NHS numbers: the 999 test range holds only ~909,000 valid numbers, so people known to a
    partner that records NHS numbers get theirs first; in very large runs the rest may have
    none.
    """
    n = len(pop)
    need = np.zeros(n, dtype=bool)
    for agency, chosen in zip(agencies, selections, strict=True):
        if agency.needs_nhs_number:
            need[chosen] = True
    order = rng.permutation(n)
    order = np.concatenate([order[need[order]], order[~need[order]]])
    numbers = nhs_numbers(rng, n)
    nhs = np.full(n, "", dtype=object)
    nhs[order[: len(numbers)]] = numbers
    pop.nhs_number = nhs

    dob_year = pop.date_of_birth.astype("datetime64[Y]").astype(np.int64) + 1970
    school = (pop.age >= 4) & (pop.age <= 19)
    upn = np.full(n, "", dtype=object)
    upn[school] = upn_numbers(dob_year[school] + 5, rng)
    pop.upn = upn

    # ULNs were first issued in 2008 to learners aged 14 and over
    uln_holder = (pop.age >= 14) & (pop.date_of_birth >= np.datetime64("1992-09-01"))
    uln = np.full(n, "", dtype=object)
    uln[uln_holder] = uln_numbers(rng, int(uln_holder.sum()))
    pop.uln = uln

    adult = pop.age >= 16
    ni = np.full(n, "", dtype=object)
    ni[adult] = ni_numbers(rng, int(adult.sum()))
    pop.ni_number = ni


def _write_truth(path: Path, parts: list[tuple[str, str, np.ndarray, np.ndarray]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for org, dataset, local_ids, keys in parts:
            writer.writerows(
                (org, dataset, lid, key)
                for lid, key in zip(local_ids.tolist(), keys.tolist(), strict=True)
            )


def _write_errors(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ERROR_COLUMNS)
        writer.writerows(rows)


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
