"""The synthetic partnership in memory: the population, who each partner knows, their records.

`build_partnership` makes the people and decides which partner knows whom;
`partner_records` makes one partner's records (duplicates, the identifiers it holds, the
errors). `generate()` renders and writes them; `core_records()` hands them over as Arrow
tables in the core record format, for benchmarks and tests that want the records without
the files. Every stage draws from its own random stream (seeded by the seed and the stage's
name), so both give the same records for the same persons, seed and rates.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from joinedup.errors import InvalidInput
from joinedup.synth.agencies import Agency, Context, all_agencies
from joinedup.synth.corrupt import ErrorLog, Records, apply_errors, make_records
from joinedup.synth.geography import Geography, load_geography
from joinedup.synth.identifiers import nhs_numbers, ni_numbers, uln_numbers, upn_numbers
from joinedup.synth.names import NamePools, load_name_pools
from joinedup.synth.population import Population, build_population
from joinedup.synth.rates import ErrorRates

MAX_PERSONS = 20_000_000
# person fields of the core record format that core_records() fills (when the partner's
# mapping carries them), then the identifiers
CORE_PERSON_FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "postcode",
    "uprn",
)
IDENTIFIER_FIELDS = ("nhs_number", "upn", "uln", "ni_number")


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """The random stream of one stage of one run."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode("utf-8"))])


def check_arguments(persons: object, seed: object) -> None:
    """InvalidInput unless persons is 1..MAX_PERSONS and seed a whole number of 0 or more."""
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise InvalidInput(
            f"The number of persons must be a whole number of 1 or more, not {persons!r}."
        )
    if persons > MAX_PERSONS:
        raise InvalidInput(f"At most {MAX_PERSONS:,} persons can be generated, not {persons:,}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput(f"The seed must be a whole number of 0 or more, not {seed!r}.")


@dataclass
class Partnership:
    """The true people, the locality, and which people each partner knows."""

    seed: int
    pop: Population
    geo: Geography
    pools: NamePools
    agencies: list[Agency]
    selections: list[np.ndarray]  # per agency: indices of the people it knows

    @property
    def context(self) -> Context:
        return Context(pop=self.pop, geo=self.geo, pools=self.pools)


def build_partnership(persons: int, seed: int) -> Partnership:
    """The population, each partner's selection of it, and everyone's identifiers."""
    check_arguments(persons, seed)
    geo = load_geography()
    pools = load_name_pools()
    pop = build_population(persons, stage_rng(seed, "population"), geo, pools)
    agencies = all_agencies()
    selections = [a.select(pop, stage_rng(seed, f"select:{a.dataset}")) for a in agencies]
    assign_identifiers(pop, agencies, selections, stage_rng(seed, "identifiers"))
    return Partnership(seed, pop, geo, pools, agencies, selections)


def partner_records(
    partnership: Partnership, index: int, rates: ErrorRates
) -> tuple[Records, ErrorLog, np.random.Generator]:
    """One partner's records with their errors, the log of the errors, and the stream the
    partner goes on drawing from when it renders its extract."""
    p = partnership
    agency = p.agencies[index]
    rng = stage_rng(p.seed, f"extract:{agency.dataset}")
    log = ErrorLog()
    rec = make_records(
        p.selections[index], p.pop, p.geo, rates.duplicate, rng, agency.local_ids, log
    )
    agency.hold_identifiers(rec, p.context, rng)
    apply_errors(rec, p.pop, p.geo, rates, rng, log, agency.key_identifier)
    return rec, log, rng


def assign_identifiers(
    pop: Population, agencies: list[Agency], selections: list[np.ndarray], rng: np.random.Generator
) -> None:
    """Give people the identifiers their age implies.

    NHS numbers: everyone (from the 999 test range, then 998, ...; see identifiers.py).
    People known to a partner that records NHS numbers get theirs first, so that only runs
    beyond the ranges' ~9 million numbers leave anyone a partner needs without one.
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


@dataclass(frozen=True)
class CoreExtract:
    """One partner's records in the core record format, without the partner's layout.

    `records` has one row per record (the rows of the partner's extract, in the same order):
    `local_id`, `person_key` (the truth), then the person fields and identifiers as the
    partner recorded them, errors included. A field the partner's mapping does not carry is
    null throughout; blanks are null. Presentation is not applied: names are not in
    capitals, NHS and NI numbers have no spaces, the free-text address of adult social care
    is in its parts (line 2 the locality, line 3 the post town).
    """

    organisation: str
    organisation_name: str
    organisation_kind: str
    dataset: str
    dataset_name: str
    file_name: str
    records: pa.Table


def core_records(
    persons: int, seed: int, *, rates: ErrorRates | None = None
) -> Iterator[CoreExtract]:
    """Every partner's records for a run, one partner at a time (the same records the files
    of `generate(persons, seed, ..., rates=rates)` hold)."""
    rates = rates or ErrorRates()
    partnership = build_partnership(persons, seed)
    for index, agency in enumerate(partnership.agencies):
        rec, _, _ = partner_records(partnership, index, rates)
        yield CoreExtract(
            organisation=agency.organisation,
            organisation_name=agency.organisation_name,
            organisation_kind=agency.kind,
            dataset=agency.dataset,
            dataset_name=agency.dataset_name,
            file_name=agency.file_name,
            records=core_table(agency, rec, partnership.pop),
        )


def core_table(agency: Agency, rec: Records, pop: Population) -> pa.Table:
    """The records as an Arrow table of core fields (see CoreExtract)."""
    mapped = set(agency.mapping()["fields"])
    n = len(rec)
    values = {
        "given_name": rec.given_name,
        "middle_names": rec.middle_names,
        "family_name": rec.family_name,
        "sex": rec.sex,
        "address_line_1": rec.address_line_1,
        "address_line_2": rec.locality,
        "address_line_3": rec.post_town,
        "postcode": rec.postcode,
        "uprn": rec.uprn,
    }
    columns: dict[str, pa.Array] = {
        "local_id": _text(rec.local_id),
        "person_key": _text(pop.person_key[rec.person]),
    }
    for name in CORE_PERSON_FIELDS:
        if name == "date_of_birth":
            dob = rec.date_of_birth if name in mapped else np.full(n, np.datetime64("NaT"))
            columns[name] = pa.array(
                np.asarray(dob, dtype="datetime64[D]"), type=pa.date32(), from_pandas=True
            )
        elif name in mapped:
            columns[name] = _text(values[name])
        else:
            columns[name] = pa.nulls(n, type=pa.string())
    for name in IDENTIFIER_FIELDS:
        held = rec.identifiers.get(name)
        columns[name] = pa.nulls(n, pa.string()) if held is None else _text(held)
    return pa.table(columns)


def _text(values: np.ndarray) -> pa.Array:
    return pa.array([None if v == "" else v for v in values.tolist()], type=pa.string())
