"""Test fixture helper for linkage: writes a small synthetic partnership straight into
organisations / datasets / ingest_batches / source_records (no ingest pipeline needed),
and returns the ground truth.

The people are made to be hard in the ways that matter: twins (same family name, date of
birth and address, different given names), a father and son with the same name, siblings at
one address, nicknames, typos, transposed dates, changed family names, moves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select

from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.records import IngestBatch, SourceRecord

GIVEN_M = [
    "William",
    "James",
    "Oliver",
    "Jack",
    "Harry",
    "Thomas",
    "George",
    "Robert",
    "Michael",
    "Daniel",
    "Samuel",
    "Joseph",
    "Edward",
    "Charles",
    "Henry",
    "Noah",
    "Leo",
    "Arthur",
    "Oscar",
    "Ethan",
    "Lucas",
    "Mason",
    "Logan",
    "Isaac",
    "Finley",
]
GIVEN_F = [
    "Margaret",
    "Elizabeth",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Lily",
    "Freya",
    "Ella",
    "Mia",
    "Evie",
    "Poppy",
    "Jessica",
    "Rebecca",
    "Charlotte",
    "Katherine",
    "Victoria",
    "Hannah",
    "Chloe",
    "Zara",
    "Ruby",
    "Erin",
]
NICK = {
    "William": "Bill",
    "James": "Jim",
    "Robert": "Bob",
    "Michael": "Mike",
    "Daniel": "Dan",
    "Samuel": "Sam",
    "Joseph": "Joe",
    "Edward": "Ted",
    "Charles": "Charlie",
    "Thomas": "Tom",
    "Margaret": "Peggy",
    "Elizabeth": "Beth",
    "Rebecca": "Becky",
    "Katherine": "Kate",
    "Victoria": "Vicky",
    "Jessica": "Jess",
}
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Okafor",
    "Nowak",
    "Begum",
    "Khan",
    "Hughes",
    "Edwards",
    "Hussain",
    "Lewis",
    "Harris",
    "Oyelaran",
    "Kowalczyk",
]
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Mill Road",
    "Victoria Road",
    "Green Lane",
    "Manor Way",
    "Queens Road",
    "Kings Close",
]
DATASETS = [
    ("CSC", "cases", "nhs_number"),
    ("EDU", "pupils", "upn"),
    ("NHS", "patients", "nhs_number"),
    ("EMP", "clients", "ni_number"),
]


def _nhs(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _upn(rng: random.Random) -> str:
    return "A" + "".join(str(rng.randrange(10)) for _ in range(12))


def _ni(rng: random.Random) -> str:
    return (
        "J"
        + rng.choice("ABCEGHJKLMNPRSTWXYZ")
        + "".join(str(rng.randrange(10)) for _ in range(6))
        + rng.choice("ABCD")
    )


@dataclass
class Person:
    key: str
    given: str
    family: str
    dob: dt.date
    sex: str
    postcode: str
    address: str
    ids: dict[str, str] = field(default_factory=dict)
    middle: str | None = None


@dataclass
class Partnership:
    """What was written: records by (org, dataset, local_id) and their true person key."""

    truth: dict[tuple[str, str, str], str] = field(default_factory=dict)
    record_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)

    def truth_csv(self) -> str:
        lines = ["organisation,dataset,local_id,person_key"]
        lines += [f"{o},{d},{loc},{p}" for (o, d, loc), p in sorted(self.truth.items())]
        return "\n".join(lines) + "\n"


def _postcode(rng: random.Random) -> str:
    return (
        f"L{rng.randrange(1, 30)} {rng.randrange(1, 9)}"
        f"{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}"
    )


def make_people(n_households: int, seed: int = 1) -> list[Person]:
    """Households of 1-4 people, with twins and same-named fathers and sons among them."""
    rng = random.Random(seed)
    people: list[Person] = []
    for h in range(n_households):
        family = rng.choice(FAMILY)
        postcode = _postcode(rng)
        address = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}"
        base_year = rng.randrange(1960, 2018)
        kind = rng.random()
        members: list[tuple[str, dt.date, str]] = []
        dob = dt.date(base_year, rng.randrange(1, 13), rng.randrange(1, 29))
        sex = rng.choice(["male", "female"])
        given = rng.choice(GIVEN_M if sex == "male" else GIVEN_F)
        members.append((given, dob, sex))
        if kind < 0.15:  # twins: same dob, address, family; different given names
            sex2 = rng.choice(["male", "female"])
            pool = [g for g in (GIVEN_M if sex2 == "male" else GIVEN_F) if g != given]
            members.append((rng.choice(pool), dob, sex2))
        elif kind < 0.25 and sex == "male":  # father and son of one name
            members.append(
                (
                    given,
                    dt.date(min(base_year + 28, 2020), rng.randrange(1, 13), rng.randrange(1, 29)),
                    "male",
                )
            )
        elif kind < 0.45:  # siblings
            for _ in range(rng.randrange(1, 3)):
                s = rng.choice(["male", "female"])
                members.append(
                    (
                        rng.choice(GIVEN_M if s == "male" else GIVEN_F),
                        dt.date(
                            min(base_year + rng.randrange(1, 8), 2022),
                            rng.randrange(1, 13),
                            rng.randrange(1, 29),
                        ),
                        s,
                    )
                )
        for i, (g, d, s) in enumerate(members):
            p = Person(
                key=f"P{h:05d}_{i}",
                given=g,
                family=family,
                dob=d,
                sex=s,
                postcode=postcode,
                address=address,
                middle=rng.choice([None, None, "Anne", "John", "Marie", "Lee"]),
            )
            p.ids["nhs_number"] = _nhs(rng)
            p.ids["upn"] = _upn(rng)
            p.ids["ni_number"] = _ni(rng)
            people.append(p)
    return people


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.random()
    if op < 0.4:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if op < 0.7:
        return s[:i] + s[i + 1 :]
    return s[:i] + rng.choice("aeiourstn") + s[i + 1 :]


def record_for(
    person: Person, id_field: str, rng: random.Random, error_rate: float
) -> dict[str, Any]:
    given, family, dob = person.given, person.family, person.dob
    postcode, address = person.postcode, person.address
    prev = None
    if rng.random() < error_rate:
        given = NICK.get(given, _typo(rng, given))
    elif rng.random() < error_rate / 2:
        given = _typo(rng, given)
    if rng.random() < error_rate / 2:
        family = _typo(rng, family)
    elif rng.random() < error_rate / 3:
        prev, family = family, rng.choice(FAMILY)  # a new family name, the old one kept
    if rng.random() < error_rate / 3 and dob.day <= 12 and dob.day != dob.month:
        dob = dt.date(dob.year, dob.day, dob.month)
    elif rng.random() < error_rate / 3:
        dob = dob + dt.timedelta(days=rng.choice([-1, 1, 10]))
    if rng.random() < error_rate:
        postcode, address = _postcode(rng), f"{rng.randrange(1, 200)} {rng.choice(STREETS)}"
    ids: dict[str, Any] = {"nhs_number": None, "upn": None, "ni_number": None}
    ids[id_field] = person.ids.get(id_field) if rng.random() > 0.3 else None
    return {
        **ids,
        "given_name": given.upper() if rng.random() < 0.3 else given,
        "middle_names": person.middle,
        "family_name": family,
        "previous_family_names": prev,
        "date_of_birth": dob,
        "sex": person.sex if rng.random() > 0.05 else "unknown",
        "address_line_1": address,
        "postcode": postcode,
    }


def write_partnership(
    engine: Engine,
    people: list[Person],
    *,
    seed: int = 2,
    error_rate: float = 0.15,
    coverage: float = 0.7,
    within_dataset_duplicates: float = 0.05,
) -> Partnership:
    """Insert records for `people` into the store; each person appears in each dataset with
    probability `coverage` (at least once), sometimes twice in one dataset."""
    rng = random.Random(seed)
    out = Partnership(persons={p.key: p for p in people})
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ds_ids: dict[tuple[str, str], tuple[int, int, str]] = {}
        for org, ds, id_field in DATASETS:
            org_id = conn.execute(select(Organisation.id).where(Organisation.code == org)).scalar()
            if org_id is None:
                org_id = conn.execute(
                    insert(Organisation).values(code=org, name=f"{org} partner", created_at=now)
                ).inserted_primary_key[0]
            ds_id = conn.execute(
                insert(Dataset).values(organisation_id=org_id, code=ds, name=ds, created_at=now)
            ).inserted_primary_key[0]
            batch_id = conn.execute(
                insert(IngestBatch).values(
                    dataset_id=ds_id,
                    file_name=f"{ds}.csv",
                    content_hash="0" * 64,
                    snapshot="full",
                    status="done",
                    started_at=now,
                )
            ).inserted_primary_key[0]
            ds_ids[(org, ds)] = (ds_id, batch_id, id_field)
        rows: list[dict[str, Any]] = []
        keys: list[tuple[str, str, str]] = []
        counter = 0
        for person in people:
            chosen = [d for d in DATASETS if rng.random() < coverage] or [rng.choice(DATASETS)]
            for org, ds, id_field in chosen:
                copies = 2 if rng.random() < within_dataset_duplicates else 1
                for _ in range(copies):
                    counter += 1
                    ds_id, batch_id, _ = ds_ids[(org, ds)]
                    local_id = f"{ds[:2].upper()}{counter:07d}"
                    rec = record_for(person, id_field, rng, error_rate)
                    rec.update(
                        dataset_id=ds_id,
                        local_id=local_id,
                        status="active",
                        version=1,
                        content_hash=hashlib.sha256(local_id.encode()).hexdigest(),
                        first_batch_id=batch_id,
                        last_batch_id=batch_id,
                        updated_at=now,
                    )
                    rows.append(rec)
                    keys.append((org, ds, local_id))
                    out.truth[(org, ds, local_id)] = person.key
        for start in range(0, len(rows), 500):
            conn.execute(insert(SourceRecord), rows[start : start + 500])
        ids = conn.execute(select(SourceRecord.id, SourceRecord.local_id)).all()
    by_local = {local: rid for rid, local in ids}
    out.record_ids = {k: by_local[k[2]] for k in keys}
    return out


def add_record(engine: Engine, org: str, ds: str, local_id: str, **fields: Any) -> int:
    """Insert one more record into an existing dataset (for merge/split scenarios)."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ds_id, batch_id = conn.execute(
            select(Dataset.id, IngestBatch.id)
            .join(Organisation, Organisation.id == Dataset.organisation_id)
            .join(IngestBatch, IngestBatch.dataset_id == Dataset.id)
            .where(Organisation.code == org, Dataset.code == ds)
        ).first()  # type: ignore[misc]
        return int(
            conn.execute(
                insert(SourceRecord).values(
                    dataset_id=ds_id,
                    local_id=local_id,
                    status="active",
                    version=1,
                    content_hash="0" * 64,
                    first_batch_id=batch_id,
                    last_batch_id=batch_id,
                    updated_at=now,
                    **fields,
                )
            ).inserted_primary_key[0]
        )


# --- a fixed, hand-set model: integration tests link without training -------------------

_FIXED_MU: dict[str, list[tuple[float, float]]] = {
    # (m, u) of each non-null level, in the order of joinedup.domain.comparisons.
    "given_name": [
        (0.80, 0.01),
        (0.05, 0.002),
        (0.06, 0.003),
        (0.01, 0.001),
        (0.02, 0.002),
        (0.03, 0.01),
        (0.005, 0.001),
        (0.002, 0.0001),
        (0.023, 0.9709),
    ],
    "family_name": [
        (0.85, 0.01),
        (0.05, 0.001),
        (0.05, 0.002),
        (0.01, 0.002),
        (0.02, 0.01),
        (0.002, 0.0001),
        (0.018, 0.9749),
    ],
    "date_of_birth": [
        (0.90, 0.0003),
        (0.02, 0.00003),
        (0.05, 0.002),
        (0.01, 0.03),
        (0.02, 0.96767),
    ],
    "postcode_address": [
        (0.60, 0.0005),
        (0.05, 0.0005),
        (0.05, 0.005),
        (0.05, 0.02),
        (0.25, 0.974),
    ],
    "sex": [(0.97, 0.5), (0.03, 0.5)],
    "nhs_number": [(0.99, 1e-5), (0.01, 0.99999)],
    "upn": [(0.99, 1e-5), (0.01, 0.99999)],
    "uln": [(0.99, 1e-5), (0.01, 0.99999)],
    "ni_number": [(0.99, 1e-5), (0.01, 0.99999)],
}


def fixed_model_settings(prior: float = 1e-4) -> dict[str, Any]:
    """joinedup's comparisons with hand-set m and u: predictable scores for tests."""
    from joinedup.domain.comparisons import splink_settings

    settings = splink_settings(prior)
    for comp in settings["comparisons"]:
        params = iter(_FIXED_MU[comp["output_column_name"]])
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = next(params)
            level["m_probability"], level["u_probability"] = m, u
    settings["sql_dialect"] = "duckdb"
    return settings


def install_model(engine: Engine, settings: dict[str, Any] | None = None) -> int:
    """Store `settings` (default: the fixed model) as the next model version."""
    from sqlalchemy import func

    from joinedup.store.schema.identity import LinkageModel

    with engine.begin() as conn:
        version = (conn.execute(select(func.max(LinkageModel.version))).scalar() or 0) + 1
        conn.execute(
            insert(LinkageModel).values(
                version=version,
                records_used=0,
                settings=settings or fixed_model_settings(),
                trained_at=dt.datetime.now(dt.UTC),
            )
        )
    return int(version)


def write_people(engine: Engine, records: list[dict[str, Any]]) -> dict[str, int]:
    """Insert hand-written records; each has org, ds, local_id plus core fields.
    Returns record ids by local_id."""
    ids = {}
    for rec in records:
        rec = dict(rec)
        org, ds, local_id = rec.pop("org"), rec.pop("ds"), rec.pop("local_id")
        if isinstance(rec.get("date_of_birth"), str):
            rec["date_of_birth"] = dt.date.fromisoformat(rec["date_of_birth"])
        ids[local_id] = add_record(engine, org, ds, local_id, **rec)
    return ids


def ensure_datasets(engine: Engine) -> None:
    """Create the four partner datasets (with one ingest batch each) if missing."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for org, ds, _ in DATASETS:
            org_id = conn.execute(select(Organisation.id).where(Organisation.code == org)).scalar()
            if org_id is None:
                org_id = conn.execute(
                    insert(Organisation).values(code=org, name=f"{org} partner", created_at=now)
                ).inserted_primary_key[0]
            ds_id = conn.execute(
                select(Dataset.id).where(Dataset.organisation_id == org_id, Dataset.code == ds)
            ).scalar()
            if ds_id is None:
                ds_id = conn.execute(
                    insert(Dataset).values(organisation_id=org_id, code=ds, name=ds, created_at=now)
                ).inserted_primary_key[0]
                conn.execute(
                    insert(IngestBatch).values(
                        dataset_id=ds_id,
                        file_name=f"{ds}.csv",
                        content_hash="0" * 64,
                        snapshot="full",
                        status="done",
                        started_at=now,
                    )
                )
