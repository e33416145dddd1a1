"""The synthetic extracts read back through their mapping files agree with the truth.

A small reader here applies the mapping features of docs/mappings.md that the synthetic
mappings use (column, constant, split_name, extract, split, lookup, date_format) to every
extract. Then: every value equals the true person's value unless errors.csv records an error
for that row and field (and then it equals what errors.csv says was recorded); the error
rates match the configured rates; codes come from the code lists; each partner covers the
plausible part of the population; identifiers validate unless deliberately mistyped.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
import yaml
from stdnum.gb import nhs, upn

from joinedup.synth import EXTRACT_DATE, ErrorRates, generate
from joinedup.synth.identifiers import is_valid_uln
from joinedup.synth.names import NICKNAMES

PERSONS = 5000
RATES = ErrorRates(
    typo=0.1,
    nickname=0.3,
    swapped_names=0.05,
    family_name_change=0.4,
    dob_transposed=0.1,
    dob_typo=0.05,
    missing=0.05,
    old_address=0.5,
    postcode_typo=0.05,
    identifier_typo=0.05,
    duplicate=0.08,
)
DATE_FIELDS = {"date_of_birth", "start_date", "end_date"}
LIST_FIELDS = {"reason_codes", "outcome_codes"}
INVOLVEMENT_TYPES = {
    "referral", "assessment", "child_in_need", "child_protection", "looked_after",
    "early_help", "enrolment", "attendance_concern", "exclusion", "send_support",
    "registration", "episode", "care_package", "safeguarding_enquiry", "programme",
    "tenancy", "homelessness", "other",
}  # fmt: skip
POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.IGNORECASE)
NI_FORMAT = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
CODE = re.compile(r"^[A-Za-z0-9_-]+$")


# --- a minimal reader of mapping files ------------------------------------------------------


def read_rows(path: Path, source: dict[str, Any]) -> list[dict[str, Any]]:
    fmt = source["format"]
    if fmt == "csv":
        with path.open(encoding=source["encoding"], newline="") as handle:
            return list(csv.DictReader(handle, delimiter=source["delimiter"]))
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb[source["sheet"]].iter_rows(values_only=True))
        header = rows[source["header_row"] - 1]
        return [dict(zip(header, r, strict=True)) for r in rows[source["header_row"] :]]
    raise AssertionError(f"unknown format {fmt}")


def split_name(value: str, part: str) -> str | None:
    if "," in value:  # "SURNAME, Forename Middle"
        family, _, rest = value.partition(",")
        given, _, middle = rest.strip().partition(" ")
    else:  # "Forename Middle SURNAME"
        words = value.split()
        family, given, middle = words[-1], words[0] if len(words) > 1 else "", " ".join(words[1:-1])
    return {"family": family.strip(), "given": given, "middle": middle.strip()}[part] or None


def extract(value: str, part: str) -> str | None:
    match = POSTCODE_IN_TEXT.search(value)
    if part == "postcode":
        return f"{match.group(1)} {match.group(2)}".upper() if match else None
    text = value[: match.start()] + value[match.end() :] if match else value
    parts = [p.strip() for p in text.strip(" ,").split(",") if p.strip()]
    index = int(part.rsplit("_", 1)[1]) - 1
    return parts[index] if index < len(parts) else None


def map_field(name: str, spec: dict[str, Any], row: dict[str, Any]) -> Any:
    if "constant" in spec:
        value: Any = spec["constant"]
    else:
        value = row.get(spec["column"])
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if "split_name" in spec:
        value = split_name(value, spec["split_name"])
    if "extract" in spec:
        value = extract(value, spec["extract"])
    if value is None:
        return None
    if "split" in spec:
        value = [v.strip() for v in value.split(spec["split"]) if v.strip()]
    if "lookup" in spec:
        table = spec["lookup"]
        default = spec.get("lookup_default")
        if isinstance(value, list):
            value = [table.get(v, default) for v in value]
        else:
            value = table.get(value, default)
    if name in DATE_FIELDS and isinstance(value, str):
        if "date_format" in spec:
            value = dt.datetime.strptime(value, spec["date_format"]).date()
        else:
            value = dt.date.fromisoformat(value)
    return value


def read_extract(out: Path, item: dict[str, Any]) -> list[dict[str, Any]]:
    mapping = yaml.safe_load((out / item["mapping"]).read_text(encoding="utf-8"))
    assert mapping["format_version"] == 1
    rows = read_rows(out / item["file"], mapping["source"])
    return [
        {name: map_field(name, spec, row) for name, spec in mapping["fields"].items()}
        for row in rows
    ]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("synth")
    manifest = generate(PERSONS, 11, out, rates=RATES)
    with (out / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {
            (r["organisation"], r["dataset"], r["local_id"]): r["person_key"]
            for r in csv.DictReader(handle)
        }
    with (out / "errors.csv").open(encoding="utf-8", newline="") as handle:
        errors = list(csv.DictReader(handle))
    people = {p["person_key"]: p for p in pq.read_table(out / "population.parquet").to_pylist()}
    records = {item["dataset"]: read_extract(out, item) for item in manifest["extracts"]}
    return {
        "out": out,
        "manifest": manifest,
        "truth": truth,
        "errors": errors,
        "people": people,
        "records": records,
    }


def _norm(field: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.upper()
        if field == "postcode" or field in {"nhs_number", "ni_number", "upn", "uln"}:
            value = value.replace(" ", "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


CHECKED = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "address_line_1")


def test_every_value_is_true_or_a_recorded_error(partnership: dict[str, Any]) -> None:
    manifest, truth, people = partnership["manifest"], partnership["truth"], partnership["people"]
    recorded: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    typo_postcode = set()
    for e in partnership["errors"]:
        recorded[(e["dataset"], e["local_id"])][e["field"]] = e["recorded"]  # last one wins
        if e["field"] == "postcode" and e["error"] == "postcode_typo":
            typo_postcode.add((e["dataset"], e["local_id"]))
    compared = Counter()
    for item in manifest["extracts"]:
        org, dataset = item["organisation"], item["dataset"]
        mapping = yaml.safe_load((partnership["out"] / item["mapping"]).read_text(encoding="utf-8"))
        key_identifiers = [
            f for f in ("nhs_number", "upn", "uln", "ni_number") if f in mapping["fields"]
        ]
        for rec in partnership["records"][dataset]:
            person = people[truth[(org, dataset, rec["local_id"])]]
            changes = recorded.get((dataset, rec["local_id"]), {})
            fields = [f for f in CHECKED if f in mapping["fields"]] + key_identifiers
            for field in fields:
                if (
                    field == "postcode"
                    and dataset == "asc_clients"
                    and (dataset, rec["local_id"]) in typo_postcode
                ):
                    continue  # a mistyped postcode inside free text may no longer look like one
                expected = changes.get(field, person[field])
                if field in key_identifiers and field not in changes and rec[field] is None:
                    continue  # partners hold some identifiers for some people only
                assert _norm(field, rec[field]) == _norm(field, expected), (
                    dataset,
                    rec["local_id"],
                    field,
                )
                compared[field] += 1
    assert compared["given_name"] == sum(item["rows"] for item in manifest["extracts"])
    assert compared["nhs_number"] > 0 and compared["upn"] > 0 and compared["ni_number"] > 0


def _tolerance(rate: float, n: int) -> float:
    return 4.5 * math.sqrt(rate * (1 - rate) / n) + 1e-9


def test_error_rates_match_the_configured_rates(partnership: dict[str, Any]) -> None:
    manifest, truth, people = partnership["manifest"], partnership["truth"], partnership["people"]
    assert manifest["rates"] == RATES.to_dict()
    applied: Counter[str] = Counter()
    seen: set[tuple[str, str, str]] = set()
    missing_core = 0
    for e in partnership["errors"]:
        key = (e["dataset"], e["local_id"], e["error"])
        if e["error"] == "missing":
            missing_core += e["field"] in ("date_of_birth", "sex", "postcode")
        elif key not in seen:  # an error can touch two fields (swap, old address)
            seen.add(key)
            applied[e["error"]] += 1
    rows = [people[truth[k]] for k in truth]
    eligible = {
        "typo": len(rows),
        "swapped_names": len(rows),
        "dob_typo": len(rows),
        "postcode_typo": len(rows),
        "nickname": sum(p["given_name"] in NICKNAMES for p in rows),
        "family_name_change": sum(p["previous_family_name"] is not None for p in rows),
        "old_address": sum(p["previous_postcode"] is not None for p in rows),
        "dob_transposed": sum(
            (d := p["date_of_birth"]).day <= 12
            and d.day != d.month
            and dt.date(d.year, d.day, d.month) <= EXTRACT_DATE
            for p in rows
        ),
    }
    for error, n in eligible.items():
        rate = getattr(RATES, error)
        observed = applied[error] / n
        assert abs(observed - rate) <= _tolerance(rate, n), (error, observed, rate, n)
        assert manifest["error_counts"][error] == {"eligible": n, "applied": applied[error]}
    observed = missing_core / (3 * len(rows))
    assert abs(observed - RATES.missing) <= _tolerance(RATES.missing, 3 * len(rows))
    # identifier typos: eligible are the records holding the partner's main identifier
    counts = manifest["error_counts"]["identifier_typo"]
    assert counts["applied"] == applied["identifier_typo"]
    assert abs(counts["applied"] / counts["eligible"] - RATES.identifier_typo) <= _tolerance(
        RATES.identifier_typo, counts["eligible"]
    )
    # duplicates: people with a second record in the same extract
    per_extract: dict[str, Counter[str]] = defaultdict(Counter)
    for (_, dataset, _), key in truth.items():
        per_extract[dataset][key] += 1
    people_in = sum(len(c) for c in per_extract.values())
    doubled = sum(sum(1 for v in c.values() if v == 2) for c in per_extract.values())
    assert all(v <= 2 for c in per_extract.values() for v in c.values())
    assert abs(doubled / people_in - RATES.duplicate) <= _tolerance(RATES.duplicate, people_in)


def test_codes_dates_and_episodes_are_well_formed(partnership: dict[str, Any]) -> None:
    for dataset, records in partnership["records"].items():
        for rec in records:
            assert rec["sex"] in {None, "male", "female", "indeterminate", "unknown"}, dataset
            assert rec["rag"] in {"red", "amber", "green"}, dataset
            assert rec["episode_status"] in {"open", "closed"}, dataset
            assert rec["involvement_type"] in INVOLVEMENT_TYPES, dataset
            assert rec["service"], dataset
            assert rec["lead_practitioner"] and rec["lead_contact"], dataset
            assert rec["note"], dataset
            for field in LIST_FIELDS:
                assert all(CODE.match(c) for c in rec[field] or []), (dataset, rec[field])
            start, end = rec["start_date"], rec["end_date"]
            assert isinstance(start, dt.date) and start < EXTRACT_DATE, dataset
            assert (end is None) == (rec["episode_status"] == "open"), dataset
            assert end is None or start <= end < EXTRACT_DATE, dataset
            if rec["episode_status"] == "closed":
                assert rec["outcome_codes"] or dataset != "csc_cases"
            dob = rec["date_of_birth"]
            assert dob is None or dob <= EXTRACT_DATE


def _known(truth: dict[tuple[str, str, str], str]) -> dict[str, set[str]]:
    """The people each dataset has a record of."""
    known: dict[str, set[str]] = defaultdict(set)
    for (_, dataset, _), key in truth.items():
        known[dataset].add(key)
    return known


def _share(keys: list[str], known: set[str]) -> float:
    return sum(k in known for k in keys) / len(keys)


def test_each_partner_covers_the_plausible_people(partnership: dict[str, Any]) -> None:
    people = partnership["people"]
    known = _known(partnership["truth"])
    ages = {dataset: [people[k]["age"] for k in keys] for dataset, keys in known.items()}
    assert max(ages["csc_cases"]) <= 17
    assert min(ages["pupils"]) >= 4 and max(ages["pupils"]) <= 19
    assert min(ages["asc_clients"]) >= 18
    assert min(ages["participants"]) >= 16 and max(ages["participants"]) <= 67
    assert min(ages["benefit_claims"]) >= 18
    assert min(ages["patients"]) <= 4 and max(ages["patients"]) >= 80
    for dataset in ("gp_registrations", "hospital_patients", "tenancies"):
        assert min(ages[dataset]) == 0 and max(ages[dataset]) >= 90, dataset
    # older people are far more likely to be known to adult social care than younger adults
    assert sum(a >= 65 for a in ages["asc_clients"]) > len(ages["asc_clients"]) / 2

    everyone = list(people)
    by_age = lambda low, high: [k for k, p in people.items() if low <= p["age"] <= high]  # noqa: E731
    # nearly everyone is registered with a GP, the young men and newborns a little less often
    assert 0.95 <= _share(everyone, known["gp_registrations"]) <= 0.99
    assert _share(by_age(36, 100), known["gp_registrations"]) > 0.97
    # most people were seen at the hospital in three years, nearly every old person
    assert 0.65 <= _share(everyone, known["hospital_patients"]) <= 0.8
    assert _share(by_age(80, 100), known["hospital_patients"]) > 0.88
    # health visiting reaches nearly every under-five
    assert _share(by_age(0, 4), known["patients"]) > 0.85
    # about one household in six rents from the housing association
    assert 0.12 <= _share(everyone, known["tenancies"]) <= 0.22
    # people known to a partner: about 2.5 partners per person
    assert 2.45 <= sum(len(keys) for keys in known.values()) / len(people) <= 3.0


def _academic_age(born: dt.date) -> int:
    """Age on 31 August 2024, which decides the school year 2024/25 (Reception at 4)."""
    return 2024 - born.year - int((born.month, born.day) > (8, 31))


def test_every_child_of_school_age_is_on_a_school_roll(partnership: dict[str, Any]) -> None:
    people = partnership["people"]
    pupils = _known(partnership["truth"])["pupils"]
    by_year: dict[int, list[str]] = defaultdict(list)
    for key, person in people.items():
        by_year[_academic_age(person["date_of_birth"])].append(key)
    for year in range(4, 16):  # Reception to Year 11
        assert by_year[year] and _share(by_year[year], pupils) == 1.0, year
    assert 0.6 < _share(by_year[16] + by_year[17], pupils) < 1.0  # shares: test_synth_population
    assert 0.0 < _share(by_year[18], pupils) < 0.3
    assert not any(k in pupils for y, keys in by_year.items() if y < 4 or y > 18 for k in keys)


def _raw_rows(partnership: dict[str, Any], dataset: str) -> tuple[str, list[dict[str, Any]]]:
    item = next(i for i in partnership["manifest"]["extracts"] if i["dataset"] == dataset)
    out = partnership["out"]
    mapping = yaml.safe_load((out / item["mapping"]).read_text(encoding="utf-8"))
    return item["organisation"], read_rows(out / item["file"], mapping["source"])


def test_benefit_claims_cover_claimants_and_partners(partnership: dict[str, Any]) -> None:
    people, truth = partnership["people"], partnership["truth"]
    org, rows = _raw_rows(partnership, "benefit_claims")
    person = {
        r["PERSON_REF"]: people[truth[(org, "benefit_claims", r["PERSON_REF"])]] for r in rows
    }
    adults = [k for k, p in people.items() if p["age"] >= 18]
    claimed = {p["person_key"] for p in person.values()}
    assert 0.15 <= _share(adults, claimed) <= 0.2
    claims: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        claims[r["CLAIM_NO"]].append(r)
    with_partner = 0
    for number, members in claims.items():
        parties = Counter(r["PARTY"] for r in members)
        assert parties["CLAIMANT"] <= 1 and parties["PARTNER"] <= 1, number
        if any(r["STATUS"] != "CANCELLED" for r in members):
            assert parties["CLAIMANT"] == 1, number  # a live claim has its claimant
        with_partner += parties["PARTNER"] == 1
        # one claim: one household, one benefit, one period and one status
        assert len({person[r["PERSON_REF"]]["household_key"] for r in members}) == 1, number
        assert len({(r["BENEFIT"], r["CLAIM_START"], r["STATUS"]) for r in members}) == 1
    assert with_partner > 20
    # the NI number is needed for a claim: nearly every row holds it (or lost it to an error)
    lost = {
        e["local_id"]
        for e in partnership["errors"]
        if e["dataset"] == "benefit_claims" and e["field"] == "ni_number"
    }
    held = sum(bool(r["NINO"]) or r["PERSON_REF"] in lost for r in rows)
    assert held / len(rows) > 0.93


def test_housing_lists_whole_households(partnership: dict[str, Any]) -> None:
    people, truth = partnership["people"], partnership["truth"]
    org, rows = _raw_rows(partnership, "tenancies")
    households: dict[str, list[str]] = defaultdict(list)
    for key, p in people.items():
        households[p["household_key"]].append(key)
    person = {r["tenantRef"]: people[truth[(org, "tenancies", r["tenantRef"])]] for r in rows}
    on_file = {p["household_key"] for p in person.values()}
    known = {p["person_key"] for p in person.values()}
    for household in on_file:  # everyone in a tenant's household is on file
        assert set(households[household]) <= known, household
    heads: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        p = person[r["tenantRef"]]
        if r["householdRole"] in ("Lead tenant", "Applicant"):
            heads[p["household_key"]].add(p["person_key"])
        if r["householdRole"] == "Joint tenant":
            assert p["age"] >= 18
    assert all(len(heads[h]) == 1 for h in on_file)  # one lead tenant or applicant each
    roles = Counter(r["householdRole"] for r in rows)
    assert roles["Household member"] > roles["Joint tenant"] > 0 and roles["Applicant"] > 0
    tenancy_households: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        tenancy_households[r["tenancyRef"]].add(person[r["tenantRef"]]["household_key"])
    assert all(len(h) == 1 for h in tenancy_households.values())


def test_gp_registrations_hold_nhs_numbers_and_one_practice_per_household(
    partnership: dict[str, Any],
) -> None:
    people, truth = partnership["people"], partnership["truth"]
    org, rows = _raw_rows(partnership, "gp_registrations")
    lost = {
        e["local_id"]
        for e in partnership["errors"]
        if e["dataset"] == "gp_registrations" and e["field"] == "nhs_number"
    }
    held = sum(bool(r["NHS No"]) or r["Patient No"] in lost for r in rows)
    assert held / len(rows) > 0.99
    practice: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        key = truth[(org, "gp_registrations", r["Patient No"])]
        practice[people[key]["household_key"]].add(r["Practice Code"])
    assert all(len(codes) == 1 for codes in practice.values())
    assert len({c for codes in practice.values() for c in codes}) > 40
    assert {r["Registration Status"] for r in rows} == {"Registered", "Deducted"}


def test_identifiers_in_extracts_validate_unless_mistyped(partnership: dict[str, Any]) -> None:
    mistyped = {
        (e["dataset"], e["local_id"], e["field"])
        for e in partnership["errors"]
        if e["error"] == "identifier_typo"
    }
    checks = {
        "nhs_number": lambda v: nhs.is_valid(v) and v.replace(" ", "").startswith("999"),
        "upn": upn.is_valid,
        "uln": is_valid_uln,
        "ni_number": lambda v: bool(NI_FORMAT.match(v.replace(" ", ""))),
    }
    valid = Counter()
    for dataset, records in partnership["records"].items():
        for rec in records:
            for field, check in checks.items():
                value = rec.get(field)
                if value is None:
                    continue
                ok = check(value)
                if (dataset, rec["local_id"], field) in mistyped:
                    # check digits catch every single-digit slip and swap; NI numbers have none
                    assert not ok or field == "ni_number", (dataset, field, value)
                else:
                    assert ok, (dataset, field, value)
                valid[field] += ok
    assert all(valid[f] > 50 for f in checks), valid
    assert len(mistyped) > 0


def test_truth_covers_every_row_and_the_manifest_every_extract(partnership: dict[str, Any]) -> None:
    out, manifest, truth = partnership["out"], partnership["manifest"], partnership["truth"]
    assert len(manifest["extracts"]) == 9
    assert {item["file"].rsplit(".", 1)[1] for item in manifest["extracts"]} == {
        "csv",
        "tsv",
        "parquet",
        "jsonl",
        "xlsx",
    }
    for item in manifest["extracts"]:
        assert set(item) >= {
            "organisation",
            "organisation_name",
            "dataset",
            "file",
            "mapping",
            "rows",
        }
        local_ids = [r["local_id"] for r in partnership["records"][item["dataset"]]]
        assert len(local_ids) == item["rows"] == len(set(local_ids))
        in_truth = {k[2] for k in truth if k[:2] == (item["organisation"], item["dataset"])}
        assert in_truth == set(local_ids)
    assert len(truth) == sum(item["rows"] for item in manifest["extracts"])
    with (out / "truth.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == "organisation,dataset,local_id,person_key"
    written = {p.name for p in out.iterdir()}
    listed = {item["file"] for item in manifest["extracts"]} | {
        item["mapping"] for item in manifest["extracts"]
    }
    assert written == listed | set(manifest["files"].values()) | {"manifest.json"}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
