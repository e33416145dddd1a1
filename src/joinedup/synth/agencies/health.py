"""Health: the community health trust's caseload (Parquet, typed dates, NHS number).

People of every age: nearly every under-five (health visiting is universal), many
school-age children (school nursing) and many older people (district nursing, memory clinic). One row per patient with their current or latest episode: the
service, referral and discharge dates, priority (the RAG rating), clinician, referral reason
and discharge outcome. Postcodes are stored without their space, as the trust's system does.
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
from joinedup.synth.writers import write_parquet

# NHS Data Dictionary "person stated gender code"
SEX = {"male": "1", "female": "2", "indeterminate": "9", "unknown": "0"}

# age band upper bound -> (service, share, referral reason codes)
SERVICES: tuple[tuple[int, tuple[tuple[str, float, tuple[str, ...]], ...]], ...] = (
    (4, (
        ("Health Visiting", 0.7, ("HV-NEW", "HV-FEED", "HV-DEV", "HV-PND")),
        ("Speech and Language Therapy", 0.15, ("SLT-DELAY", "SLT-FEED")),
        ("Community Paediatrics", 0.15, ("PAED-DEV", "PAED-ASD", "PAED-GROW")),
    )),
    (17, (
        ("School Nursing", 0.4, ("SN-HEALTH", "SN-ENURESIS", "SN-WEIGHT")),
        ("CAMHS", 0.25, ("MH-ANX", "MH-DEP", "MH-SH", "MH-EAT")),
        ("Community Paediatrics", 0.2, ("PAED-ADHD", "PAED-ASD", "PAED-DEV")),
        ("Speech and Language Therapy", 0.15, ("SLT-DELAY", "SLT-STAMMER")),
    )),
    (64, (
        ("Community Mental Health", 0.3, ("MH-ANX", "MH-DEP", "MH-PSY", "MH-BIP")),
        ("Physiotherapy", 0.3, ("MSK-BACK", "MSK-KNEE", "MSK-SHOULDER")),
        ("Sexual Health", 0.15, ("SH-CONTRA", "SH-STI")),
        ("Podiatry", 0.1, ("POD-DIAB", "POD-NAIL")),
        ("Talking Therapies", 0.15, ("MH-ANX", "MH-DEP", "MH-PTSD")),
    )),
    (200, (
        ("District Nursing", 0.35, ("DN-WOUND", "DN-CATH", "DN-PALL", "DN-INJ")),
        ("Memory Clinic", 0.15, ("MEM-DEM", "MEM-MCI")),
        ("Falls Prevention", 0.15, ("FALLS", "FALLS-FRAX")),
        ("Podiatry", 0.15, ("POD-DIAB", "POD-NAIL")),
        ("Physiotherapy", 0.2, ("MSK-HIP", "MSK-KNEE", "MSK-BACK")),
    )),
)  # fmt: skip
OUTCOMES = ("DIS-GP", "DIS-SELF", "DNA", "TRANS", "COMPLETE")
NOTES = (
    "Seen in {place}. {finding}. {plan}.",
    "Telephone review. {finding}. {plan}.",
    "{finding}; {plan}. Carer present.",
    "Did not attend; {plan}.",
)
NOTE_SLOTS = {
    "place": ("clinic", "the home", "school", "the health centre"),
    "finding": ("Progress as expected", "Symptoms improving", "Needs reviewed", "Weight stable", "Some deterioration noted"),
    "plan": ("review in 4 weeks", "discharge planned", "refer to GP", "continue current plan", "letter to family"),
}  # fmt: skip


class Health(Agency):
    organisation = "FEN-NHS"
    organisation_name = "Fenmoor Community Health NHS Trust"
    kind = "health"
    dataset = "patients"
    dataset_name = "Community health caseload"
    file_name = "patients.parquet"
    key_identifier = "nhs_number"
    needs_nhs_number = True

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        a = pop.age
        # health visiting is universal for the under-fives; school nursing (height and weight
        # checks, immunisations) reaches many school-age children
        p = np.select([a <= 4, a <= 17, a <= 64, a <= 79], [0.9, 0.35, 0.18, 0.35], 0.6)
        return np.flatnonzero(rng.random(len(pop)) < p)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 1_000_000, 1_000_000 + max(8_000_000, 4 * n))
        return keys, np.array([f"RFN{k}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        nhs = ctx.pop.nhs_number
        assert nhs is not None
        rec.identifiers["nhs_number"] = held(nhs[rec.person], rng, 1.0)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        true_dob = ctx.pop.date_of_birth[rec.person]
        age = ctx.pop.age[rec.person]
        service = np.empty(n, dtype=object)
        reason = np.empty(n, dtype=object)
        low = -1
        for high, options in SERVICES:
            band = (age > low) & (age <= high)
            low = high
            chosen = pick(rng, [o[0] for o in options], int(band.sum()), [o[1] for o in options])
            service[band] = chosen
            band_reason = np.empty(len(chosen), dtype=object)
            for name, _, codes in options:
                m = chosen == name
                band_reason[m] = code_lists(rng, int(m.sum()), codes, 2)
            reason[band] = band_reason
        start, end, is_open = episode_dates(rng, true_dob, 2, 0.45, rec.duplicate)
        staff = make_staff(rng, ctx.pools, staff_count(n, 80), "fenmoorhealth.nhs.example", 500)
        clinician = staff.assign(rng, n)
        gp = practices(ctx.geo)
        practice = gp.codes[gp.of(ctx, rec.person)]
        return {
            "patient_id": rec.local_id,
            "nhs_number": rec.identifiers["nhs_number"],
            "forename": rec.given_name,
            "middle_names": rec.middle_names,
            "surname": rec.family_name,
            "date_of_birth": rec.date_of_birth,
            "gender_code": sex_codes(rec.sex, SEX),
            "address_line_1": rec.address_line_1,
            "address_line_2": rec.locality,
            "address_line_3": rec.post_town,
            "postcode": np.array([p.replace(" ", "") for p in rec.postcode.tolist()], dtype=object),
            "gp_practice_code": practice,
            "service": service,
            "referral_date": start,
            "discharge_date": end,
            "episode_status": np.where(is_open, "Active", "Discharged").astype(object),
            "priority": pick(rng, ("Urgent", "Soon", "Routine"), n, (0.1, 0.3, 0.6)),
            "clinician": staff.names[clinician],
            "clinician_phone": staff.phones[clinician],
            "referral_reason": reason,
            "discharge_outcome": np.where(is_open, "", pick(rng, OUTCOMES, n)).astype(object),
            "clinical_note": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "parquet"},
            "fields": {
                "local_id": {"column": "patient_id"},
                "nhs_number": {"column": "nhs_number"},
                "given_name": {"column": "forename"},
                "middle_names": {"column": "middle_names"},
                "family_name": {"column": "surname"},
                "date_of_birth": {"column": "date_of_birth"},
                "sex": {
                    "column": "gender_code",
                    "lookup": sex_lookup(SEX),
                    "lookup_default": "unknown",
                },
                "address_line_1": {"column": "address_line_1"},
                "address_line_2": {"column": "address_line_2"},
                "address_line_3": {"column": "address_line_3"},
                "postcode": {"column": "postcode"},
                "service": {"column": "service"},
                "involvement_type": {"constant": "episode"},
                "start_date": {"column": "referral_date"},
                "end_date": {"column": "discharge_date"},
                "episode_status": {
                    "column": "episode_status",
                    "lookup": {"Active": "open", "Discharged": "closed"},
                },
                "rag": {
                    "column": "priority",
                    "lookup": {"Urgent": "red", "Soon": "amber", "Routine": "green"},
                },
                "lead_practitioner": {"column": "clinician"},
                "lead_contact": {"column": "clinician_phone"},
                "reason_codes": {"column": "referral_reason", "split": ";"},
                "outcome_codes": {"column": "discharge_outcome", "split": ";"},
                "note": {"column": "clinical_note"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_parquet(
            table, path, date_columns=("date_of_birth", "referral_date", "discharge_date")
        )
