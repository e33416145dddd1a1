"""Housing: a housing association's tenants and homeless applicants (Excel, title rows).

Lead and joint tenants (the adults of a couple) of the households renting from the housing
association, and the heads of some other households who applied as homeless. The workbook
has two title rows above the header (header_row 3), dates as text like `03-Feb-2001`, the
property's UPRN and the tenancy's type, dates, arrears RAG and housing officer.
"""

from __future__ import annotations

import datetime as dt
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
    random_ints,
    sex_codes,
    sex_lookup,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import EXTRACT_DATE, HOUSEHOLD_TYPES, Population
from joinedup.synth.writers import write_xlsx

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
DATE_FORMAT = "%d-%b-%Y"
SHEET = "Tenants"
# share of each household type renting from the housing association (HOUSEHOLD_TYPES order)
TENANT_P = (0.18, 0.10, 0.12, 0.40, 0.10, 0.10)
HOMELESS_P = 0.01
TENANCY_TYPES = (
    ("Secure", "tenancy", 0.55),
    ("Assured", "tenancy", 0.25),
    ("Starter", "tenancy", 0.1),
    ("Temporary accommodation", "homelessness", 0.1),
)
VULNERABILITY = ("V-DA", "V-MH", "V-PD", "V-LD", "V-SUB", "V-YP", "V-OLD")
END_REASONS = ("TRANSFER", "EVICTION", "DECEASED", "MOVED-OUT", "ABANDONED", "RTB")
NOTES = (
    "Tenancy visit: {state}. {action}.",
    "Arrears of £{amount}; {action}.",
    "{state}; repairs reported ({repair}).",
)
HOMELESS_NOTES = (
    "Homeless duty accepted; {action}.",
    "Placed in temporary accommodation; {action}.",
    "Applicant staying with {host}; housing register band {band}.",
)
NOTE_SLOTS = {
    "state": ("property in good order", "signs of overcrowding", "tenant not at home", "damp reported", "garden overgrown"),
    "action": ("payment plan agreed", "referral to tenancy sustainment", "follow-up visit booked", "no action", "warning letter sent"),
    "amount": ("85", "240", "610", "1,150"),
    "repair": ("boiler", "window", "leak under sink", "front door"),
    "band": ("A", "B", "C"),
    "host": ("friends", "family", "a partner", "no fixed abode"),
}  # fmt: skip


class Housing(Agency):
    organisation = "FEN-HOMES"
    organisation_name = "Fenmoor Homes"
    kind = "housing"
    dataset = "tenancies"
    dataset_name = "Tenants and homeless applicants"
    file_name = "tenancies.xlsx"
    key_identifier = "ni_number"

    def __init__(self) -> None:
        self._applicant = np.zeros(0, dtype=bool)

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        n_households = int(pop.household.max()) + 1 if len(pop) else 0
        first = np.r_[0, np.flatnonzero(np.diff(pop.household)) + 1]
        htype = np.array([HOUSEHOLD_TYPES.index(t) for t in pop.household_type[first].tolist()])
        r = rng.random(n_households)
        tenant_household = r < np.asarray(TENANT_P)[htype]
        homeless_household = ~tenant_household & (rng.random(n_households) < HOMELESS_P)
        adult = pop.age >= 18
        lead_or_joint = np.isin(pop.role, ["adult", "partner"]) & adult
        tenants = lead_or_joint & tenant_household[pop.household]
        applicants = (pop.role == "adult") & adult & homeless_household[pop.household]
        self._applicant = applicants
        return np.flatnonzero(tenants | applicants)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 10_000, 10_000 + max(990_000, 10 * n))
        return keys, np.array([f"T{k:07d}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        ni = ctx.pop.ni_number
        assert ni is not None
        rec.identifiers["ni_number"] = held(ni[rec.person], rng, 0.7)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        pop = ctx.pop
        applicant = self._applicant[rec.person]
        tenancy = pick(rng, [t[0] for t in TENANCY_TYPES], n, [t[2] for t in TENANCY_TYPES])
        tenancy[applicant] = "Homeless application"
        adult_from = pop.date_of_birth[rec.person] + np.timedelta64(18 * 365, "D")
        long = episode_dates(rng, adult_from, 15, 0.92, rec.duplicate, 180, 3000)
        short = episode_dates(rng, adult_from, 1, 0.6, rec.duplicate, 14, 200)
        homeless = applicant | (tenancy == "Temporary accommodation")
        start = np.where(homeless, short[0], long[0])
        end = np.where(homeless, short[1], long[1])
        is_open = np.where(homeless, short[2], long[2])
        staff = make_staff(rng, ctx.pools, staff_count(n, 120), "fenmoorhomes.example", 800)
        officer = staff.assign(rng, n)
        true_sex = pop.sex[rec.person]
        title = np.where(
            true_sex == "male", "Mr", pick(rng, ("Mrs", "Ms", "Miss"), n, (0.5, 0.35, 0.15))
        ).astype(object)
        return {
            "Tenant Ref": rec.local_id,
            "Title": title,
            "Forename": rec.given_name,
            "Surname": rec.family_name,
            "Date of Birth": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Gender": sex_codes(rec.sex, SEX),
            "NI Number": rec.identifiers["ni_number"],
            "UPRN": rec.uprn,
            "Property Address 1": rec.address_line_1,
            "Property Address 2": rec.locality,
            "Postcode": rec.postcode,
            "Tenancy Type": tenancy,
            "Tenancy Start": format_dates(start, DATE_FORMAT),
            "Tenancy End": format_dates(end, DATE_FORMAT),
            "Status": np.where(is_open, "Current", "Former").astype(object),
            "Arrears": pick(rng, ("R", "A", "G"), n, (0.1, 0.2, 0.7)),
            "Housing Officer": staff.names[officer],
            "Officer Email": staff.emails[officer],
            "Vulnerability Codes": code_lists(rng, n, VULNERABILITY, 2, p_none=0.6),
            "End Reason": np.where(is_open, "", pick(rng, END_REASONS, n)).astype(object),
            "Notes": np.where(
                homeless,
                compose_notes(rng, n, HOMELESS_NOTES, NOTE_SLOTS),
                compose_notes(rng, n, NOTES, NOTE_SLOTS),
            ).astype(object),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        types = {t[0]: t[1] for t in TENANCY_TYPES}
        types["Homeless application"] = "homelessness"
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "xlsx", "sheet": SHEET, "header_row": 3},
            "fields": {
                "local_id": {"column": "Tenant Ref"},
                "given_name": {"column": "Forename"},
                "family_name": {"column": "Surname"},
                "date_of_birth": {"column": "Date of Birth", **dates},
                "sex": {"column": "Gender", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "ni_number": {"column": "NI Number"},
                "uprn": {"column": "UPRN"},
                "address_line_1": {"column": "Property Address 1"},
                "address_line_2": {"column": "Property Address 2"},
                "postcode": {"column": "Postcode"},
                "service": {"constant": "Housing"},
                "involvement_type": {
                    "column": "Tenancy Type",
                    "lookup": types,
                    "lookup_default": "other",
                },
                "start_date": {"column": "Tenancy Start", **dates},
                "end_date": {"column": "Tenancy End", **dates},
                "episode_status": {
                    "column": "Status",
                    "lookup": {"Current": "open", "Former": "closed"},
                },
                "rag": {"column": "Arrears", "lookup": {"R": "red", "A": "amber", "G": "green"}},
                "lead_practitioner": {"column": "Housing Officer"},
                "lead_contact": {"column": "Officer Email"},
                "reason_codes": {"column": "Vulnerability Codes", "split": ";"},
                "outcome_codes": {"column": "End Reason", "split": ";"},
                "note": {"column": "Notes"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        fixed = dt.datetime.combine(EXTRACT_DATE, dt.time(18, 0))
        write_xlsx(
            table,
            path,
            sheet=SHEET,
            title_rows=(
                ("Fenmoor Homes – tenancy extract",),
                (f"Extract date: {EXTRACT_DATE:%d/%m/%Y}",),
            ),
            fixed_time=fixed,
        )
