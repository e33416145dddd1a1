"""Acute hospital: the patients the hospital trust saw in the last three years (quoted CSV).

Most people: babies born there, children and adults seen in A&E, outpatients or admitted,
and nearly all older people. One row per patient with the latest encounter: its type (A&E,
outpatient, inpatient, day case), specialty, dates with times, priority (triage colour in
A&E, referral priority otherwise: the RAG rating), consultant and ICD-10 diagnosis codes.
The patient administration system exports every field in quotes, upper-case column names,
dates as SQL timestamps (`1980-03-07 00:00:00`) and the hospital number as the local id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from joinedup.synth.agencies.common import (
    Agency,
    Context,
    Table,
    code_lists,
    compose_notes,
    episode_dates,
    format_dates,
    held,
    make_staff,
    pick,
    practices,
    random_ints,
    sex_codes,
    sex_lookup,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import Population
from joinedup.synth.writers import write_csv

SEX = {"male": "Male", "female": "Female", "indeterminate": "Indeterminate", "unknown": "Not Known"}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
NHS_NUMBER_HELD = 0.97  # some A&E attenders are seen before their NHS number is traced
# encounter code, share, chance still open, length in days (low, high exclusive), diagnoses,
# discharge methods
ENCOUNTERS = (
    ("AE", 0.35, 0.003, 0, 2, ("S610", "S934", "R074", "J069", "R104", "S525", "T140", "S099", "R55X"),
     ("ADMITTED", "DISCH-GP", "DISCH-NFU", "LEFT-UNSEEN", "REFER-OP")),
    ("OP", 0.4, 0.45, 30, 700, ("M170", "H251", "I10X", "E119", "K219", "L400", "N400", "H401", "M545"),
     ("DISCH-GP", "DNA", "DISCH-NFU", "REFER-IP")),
    ("IP", 0.15, 0.04, 1, 30, ("J189", "I214", "N390", "I639", "K359", "S720", "I500", "J441", "A099"),
     ("DISCH-HOME", "DISCH-CARE", "TRANSFER", "SELF-DISCH")),
    ("DC", 0.1, 0.02, 0, 1, ("H251", "K573", "N210", "Z511", "K635", "D126"),
     ("DISCH-HOME", "DISCH-GP")),
)  # fmt: skip
# age band upper bound -> specialties (outpatients, inpatients and day cases) and shares
SPECIALTIES: tuple[tuple[int, tuple[tuple[str, float], ...]], ...] = (
    (17, (("Paediatrics", 0.45), ("Trauma and Orthopaedics", 0.15), ("ENT", 0.15),
          ("Ophthalmology", 0.1), ("Paediatric Surgery", 0.15))),
    (64, (("General Medicine", 0.15), ("General Surgery", 0.15), ("Trauma and Orthopaedics", 0.15),
          ("Obstetrics and Gynaecology", 0.12), ("Cardiology", 0.08), ("Dermatology", 0.08),
          ("Ophthalmology", 0.07), ("Gastroenterology", 0.12), ("ENT", 0.08))),
    (200, (("Elderly Care", 0.2), ("Cardiology", 0.15), ("Ophthalmology", 0.15),
           ("Trauma and Orthopaedics", 0.15), ("General Medicine", 0.15), ("Urology", 0.1),
           ("Respiratory Medicine", 0.1))),
)  # fmt: skip
TRIAGE = ("Red", "Orange", "Yellow", "Green", "Blue")
REFERRAL_PRIORITY = ("2WW", "Urgent", "Routine")
PRIORITY_RAG = {
    "Red": "red", "Orange": "amber", "Yellow": "amber", "Green": "green", "Blue": "green",
    "2WW": "red", "Urgent": "amber", "Routine": "green",
}  # fmt: skip
NOTES = (
    "Seen by {who}; {plan}.",
    "{result}. {plan}.",
    "Patient {state}; {plan}.",
)
NOTE_SLOTS = {
    "who": ("the registrar", "the consultant", "the nurse practitioner", "the on-call team"),
    "plan": ("discharged to GP care", "follow-up clinic in 6 weeks", "listed for surgery", "bloods and X-ray requested", "letter to GP"),
    "result": ("Observations stable", "X-ray normal", "Bloods awaited", "Scan booked"),
    "state": ("comfortable", "mobilising", "awaiting transport", "accompanied by family"),
}  # fmt: skip
TIMES = np.array([f"{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60)], dtype=object)


class Hospital(Agency):
    organisation = "FEN-FGH"
    organisation_name = "Fenmoor General Hospital NHS Foundation Trust"
    kind = "health"
    dataset = "hospital_patients"
    dataset_name = "Hospital patients (last three years)"
    file_name = "hospital_patients.csv"
    key_identifier = "nhs_number"
    needs_nhs_number = True

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        a = pop.age
        p = np.select(
            [a < 1, a <= 4, a <= 17, a <= 64, a <= 79], [0.95, 0.65, 0.55, 0.7, 0.85], 0.94
        )
        # maternity: women of child-bearing age are seen more often
        p = np.where((pop.sex == "female") & (a >= 18) & (a <= 45), p + 0.12, p)
        return np.flatnonzero(rng.random(len(pop)) < p)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 1_000_000, 1_000_000 + max(8_000_000, 4 * n))
        return keys, np.array([f"F{k}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        nhs = ctx.pop.nhs_number
        assert nhs is not None
        rec.identifiers["nhs_number"] = held(nhs[rec.person], rng, NHS_NUMBER_HELD)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        pop = ctx.pop
        age = pop.age[rec.person]
        code = pick(rng, [e[0] for e in ENCOUNTERS], n, [e[1] for e in ENCOUNTERS])
        start = np.empty(n, dtype="datetime64[D]")
        end = np.empty(n, dtype="datetime64[D]")
        is_open = np.zeros(n, dtype=bool)
        diagnoses = np.empty(n, dtype=object)
        discharge = np.empty(n, dtype=object)
        dob = pop.date_of_birth[rec.person]
        for c, _, p_open, low, high, codes, methods in ENCOUNTERS:
            m = code == c
            k = int(m.sum())
            start[m], end[m], is_open[m] = episode_dates(
                rng, dob[m], 3, p_open, rec.duplicate[m], low, high
            )
            diagnoses[m] = code_lists(rng, k, codes, 2)
            discharge[m] = pick(rng, methods, k)
        specialty = np.empty(n, dtype=object)
        low_age = -1
        for high_age, options in SPECIALTIES:
            band = (age > low_age) & (age <= high_age)
            specialty[band] = pick(
                rng, [o[0] for o in options], int(band.sum()), [o[1] for o in options]
            )
            low_age = high_age
        specialty[code == "AE"] = "Emergency Department"
        male = pop.sex[rec.person] == "male"
        specialty[male & (specialty == "Obstetrics and Gynaecology")] = "Urology"
        priority = np.where(
            code == "AE",
            pick(rng, TRIAGE, n, (0.03, 0.12, 0.35, 0.4, 0.1)),
            pick(rng, REFERRAL_PRIORITY, n, (0.08, 0.22, 0.7)),
        ).astype(object)
        staff = make_staff(
            rng, ctx.pools, staff_count(n, 400, 20, 400), "fenmoorhospital.nhs.example", 600
        )
        consultant = staff.assign(rng, n)
        titles = pick(rng, ("Dr", "Dr", "Dr", "Mr", "Ms"), len(staff.names))
        consultant_names = np.array(
            [f"{t} {s}" for t, s in zip(titles.tolist(), staff.names.tolist(), strict=True)],
            dtype=object,
        )
        # times of day: the end is later than the start on the same day
        start_minute = rng.integers(0, 24 * 60 - 30, size=n)
        same_day = end == start
        end_minute = np.where(
            same_day,
            start_minute + 1 + (rng.random(n) * (24 * 60 - 1 - start_minute)).astype(np.int64),
            rng.integers(0, 24 * 60, size=n),
        )
        gp = practices(ctx.geo)
        return {
            "HOSPITAL_NUMBER": rec.local_id,
            "NHS_NUMBER": rec.identifiers["nhs_number"],
            "SURNAME": rec.family_name,
            "FORENAME": rec.given_name,
            "OTHER_FORENAMES": rec.middle_names,
            "DATE_OF_BIRTH": _timestamps(rec.date_of_birth, np.zeros(n, dtype=np.int64)),
            "SEX": sex_codes(rec.sex, SEX),
            "ADDRESS_1": rec.address_line_1,
            "ADDRESS_2": rec.locality,
            "ADDRESS_3": rec.post_town,
            "POSTCODE": rec.postcode,
            "REGISTERED_GP": gp.codes[gp.of(ctx, rec.person)],
            "LAST_ENCOUNTER": code,
            "SPECIALTY": specialty,
            "START_DATETIME": _timestamps(start, start_minute),
            "END_DATETIME": _timestamps(end, end_minute),
            "ENCOUNTER_STATUS": np.where(is_open, "OPEN", "CLOSED").astype(object),
            "PRIORITY": priority,
            "CONSULTANT": consultant_names[consultant],
            "SPECIALTY_PHONE": staff.phones[consultant],
            "DIAGNOSIS_CODES": diagnoses,
            "DISCHARGE_METHOD": np.where(is_open, "", discharge).astype(object),
            "COMMENTS": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": ",", "encoding": "utf-8", "header_row": 1},
            "fields": {
                "local_id": {"column": "HOSPITAL_NUMBER"},
                "nhs_number": {"column": "NHS_NUMBER"},
                "given_name": {"column": "FORENAME"},
                "middle_names": {"column": "OTHER_FORENAMES"},
                "family_name": {"column": "SURNAME"},
                "date_of_birth": {"column": "DATE_OF_BIRTH", **dates},
                "sex": {"column": "SEX", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "address_line_1": {"column": "ADDRESS_1"},
                "address_line_2": {"column": "ADDRESS_2"},
                "address_line_3": {"column": "ADDRESS_3"},
                "postcode": {"column": "POSTCODE"},
                "service": {"column": "SPECIALTY"},
                "involvement_type": {"constant": "episode"},
                "start_date": {"column": "START_DATETIME", **dates},
                "end_date": {"column": "END_DATETIME", **dates},
                "episode_status": {
                    "column": "ENCOUNTER_STATUS",
                    "lookup": {"OPEN": "open", "CLOSED": "closed"},
                },
                "rag": {"column": "PRIORITY", "lookup": PRIORITY_RAG},
                "lead_practitioner": {"column": "CONSULTANT"},
                "lead_contact": {"column": "SPECIALTY_PHONE"},
                "reason_codes": {"column": "DIAGNOSIS_CODES", "split": ";"},
                "outcome_codes": {"column": "DISCHARGE_METHOD", "split": ";"},
                "note": {"column": "COMMENTS"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(
            table, path, delimiter=",", encoding="utf-8", lineterminator="\r\n", quote_all=True
        )


def _timestamps(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DD HH:MM:SS` (SQL timestamps); NaT gives ""."""
    dates = format_dates(days, "%Y-%m-%d")
    return np.array(
        [
            f"{d} {t}" if d else ""
            for d, t in zip(dates.tolist(), TIMES[minutes].tolist(), strict=True)
        ],
        dtype=object,
    )
