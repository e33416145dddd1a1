"""Primary care: the GP practices' registered patients (CSV, one "Forename SURNAME" column).

Nearly everyone is registered with a GP (fewer young men and newborns); a household is
registered at one of the three practices of its ward. One row per registration: practice,
usual GP, registration date, the population-health risk tier (the RAG rating) and the
disease registers the patient is on (QOF codes). A duplicate registration is the older one,
deducted. The NHS number is nearly always held. The patient's name is one column, given and
middle names then the family name in capitals, as the clinical system prints it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from joinedup.synth.agencies.common import (
    EXTRACT_DAY,
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
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import Population
from joinedup.synth.writers import write_csv

SEX = {"male": "Male", "female": "Female", "indeterminate": "Indeterminate", "unknown": "Unknown"}
DATE_FORMAT = "%d-%b-%Y"
NHS_NUMBER_HELD = 0.995  # temporary residents and new registrations not yet traced have none
GPS_PER_PRACTICE = 6
# risk tier (population health management) -> RAG; shares by age band
TIERS = ("Very High", "High", "Moderate", "Low")
TIER_RAG = {"Very High": "red", "High": "amber", "Moderate": "green", "Low": "green"}
TIER_P = {17: (0.01, 0.03, 0.16, 0.8), 64: (0.02, 0.06, 0.22, 0.7), 79: (0.06, 0.16, 0.38, 0.4)}
TIER_P_OLDEST = (0.15, 0.3, 0.35, 0.2)
# QOF disease registers by age band: codes, share on none
REGISTERS = {
    17: (("AST", "EP", "LD", "DM"), 0.88),
    64: (("HYP", "DM", "AST", "DEP", "OB", "MH", "LD", "CKD", "EP"), 0.6),
    200: (("HYP", "DM", "AF", "CHD", "COPD", "CKD", "DEM", "HF", "CAN", "STIA", "OST"), 0.2),
}
DEDUCTIONS = ("OTH-PRAC", "FP69", "EMB", "ADMIN")
NOTES = (
    "New patient health check {check}.",
    "{review} review {done}; next due in {months} months.",
    "Telephone consultation; {plan}.",
    "Prescription reviewed; {plan}.",
)
NOTE_SLOTS = {
    "check": ("completed", "booked", "declined", "not attended"),
    "review": ("Medication", "Asthma", "Diabetes", "Blood pressure", "Annual"),
    "done": ("completed", "booked", "overdue"),
    "months": ("3", "6", "12"),
    "plan": ("no change", "bloods requested", "referred to community services", "follow up in 2 weeks", "self-care advice given"),
}  # fmt: skip


class PrimaryCare(Agency):
    organisation = "FEN-PCN"
    organisation_name = "Fenmoor Primary Care Network"
    kind = "health"
    dataset = "gp_registrations"
    dataset_name = "GP registered patients"
    file_name = "gp_registrations.csv"
    key_identifier = "nhs_number"
    needs_nhs_number = True

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        a = pop.age
        young_adult = (a >= 18) & (a <= 34)
        p = np.select(
            [a < 1, young_adult & (pop.sex == "male"), young_adult], [0.93, 0.92, 0.96], 0.985
        )
        return np.flatnonzero(rng.random(len(pop)) < p)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 1_000_000, 1_000_000 + max(9_000_000, 4 * n))
        return keys, np.array([str(k) for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        nhs = ctx.pop.nhs_number
        assert nhs is not None
        rec.identifiers["nhs_number"] = held(nhs[rec.person], rng, NHS_NUMBER_HELD)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        pop = ctx.pop
        age = pop.age[rec.person]
        gp = practices(ctx.geo)
        practice = gp.of(ctx, rec.person)
        # registered soon after birth, after moving here, or some time in the last 30 years
        dob = pop.date_of_birth[rec.person]
        moved_on = pop.moved_on[rec.person]
        after_move = ~np.isnat(moved_on) & (rng.random(n) < 0.7)
        earliest = np.where(after_move, moved_on, dob + np.timedelta64(14, "D"))
        earliest = np.minimum(earliest, EXTRACT_DAY - np.timedelta64(1, "D"))
        start, end, is_open = episode_dates(rng, earliest, 30, 0.995, rec.duplicate, 30, 5000)
        staff = make_staff(
            rng, ctx.pools, len(gp.codes) * GPS_PER_PRACTICE, "fenmoor-pcn.nhs.example", 900
        )
        usual_gp = practice * GPS_PER_PRACTICE + rng.integers(0, GPS_PER_PRACTICE, size=n)
        tier = np.empty(n, dtype=object)
        registers = np.empty(n, dtype=object)
        low = -1
        for high, shares in (*TIER_P.items(), (200, TIER_P_OLDEST)):
            band = (age > low) & (age <= high)
            tier[band] = pick(rng, TIERS, int(band.sum()), shares)
            low = high
        low = -1
        for high, (codes, p_none) in REGISTERS.items():
            band = (age > low) & (age <= high)
            registers[band] = code_lists(rng, int(band.sum()), codes, 3, p_none=p_none, sep=", ")
            low = high
        name = [
            f"{g} {m + ' ' if m else ''}{f.upper()}"
            for g, m, f in zip(
                rec.given_name.tolist(),
                rec.middle_names.tolist(),
                rec.family_name.tolist(),
                strict=True,
            )
        ]
        return {
            "Practice Code": gp.codes[practice],
            "Practice": gp.names[practice],
            "Patient No": rec.local_id,
            "NHS No": rec.identifiers["nhs_number"],
            "Patient Name": np.array(name, dtype=object),
            "Date of Birth": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Sex": sex_codes(rec.sex, SEX),
            "House/Street": rec.address_line_1,
            "Locality": rec.locality,
            "Town": rec.post_town,
            "Postcode": rec.postcode,
            "Registered": format_dates(start, DATE_FORMAT),
            "Deducted": format_dates(end, DATE_FORMAT),
            "Registration Status": np.where(is_open, "Registered", "Deducted").astype(object),
            "Usual GP": np.array([f"Dr {s}" for s in staff.names[usual_gp].tolist()], dtype=object),
            "Practice Phone": gp.phones[practice],
            "Risk Tier": tier,
            "Registers": registers,
            "Deduction Reason": np.where(is_open, "", pick(rng, DEDUCTIONS, n)).astype(object),
            "Notes": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": ",", "encoding": "utf-8", "header_row": 1},
            "fields": {
                "local_id": {"column": "Patient No"},
                "nhs_number": {"column": "NHS No"},
                "given_name": {"column": "Patient Name", "split_name": "given"},
                "middle_names": {"column": "Patient Name", "split_name": "middle"},
                "family_name": {"column": "Patient Name", "split_name": "family"},
                "date_of_birth": {"column": "Date of Birth", **dates},
                "sex": {"column": "Sex", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "address_line_1": {"column": "House/Street"},
                "address_line_2": {"column": "Locality"},
                "address_line_3": {"column": "Town"},
                "postcode": {"column": "Postcode"},
                "service": {"column": "Practice"},
                "involvement_type": {"constant": "registration"},
                "start_date": {"column": "Registered", **dates},
                "end_date": {"column": "Deducted", **dates},
                "episode_status": {
                    "column": "Registration Status",
                    "lookup": {"Registered": "open", "Deducted": "closed"},
                },
                "rag": {"column": "Risk Tier", "lookup": TIER_RAG},
                "lead_practitioner": {"column": "Usual GP"},
                "lead_contact": {"column": "Practice Phone"},
                "reason_codes": {"column": "Registers", "split": ","},
                "outcome_codes": {"column": "Deduction Reason", "split": ";"},
                "note": {"column": "Notes"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(table, path, delimiter=",", encoding="utf-8", lineterminator="\n")
