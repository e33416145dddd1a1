"""Housing: a housing association's tenancies and homeless applications (JSON Lines, camelCase).

Everyone in the households renting from the housing association (about one household in
six): the lead tenant, a joint tenant (partner or sharer) and the other household members
(children, a grandparent), who share the tenancy's reference, type, dates, arrears RAG and
housing officer; and the members of some other households who applied as homeless. The
housing system's API writes one JSON object per line with camelCase keys, ISO dates, nulls
for blanks, the property's UPRN and NI numbers with or without spaces. A duplicate record is
the person's former tenancy.
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
    make_staff,
    pick,
    random_ints,
    sex_codes,
    sex_lookup,
    spaced_ni_numbers,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import HOUSEHOLD_TYPES, Population
from joinedup.synth.writers import write_jsonl

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
DATE_FORMAT = "%Y-%m-%d"
# share of each household type renting from the housing association (HOUSEHOLD_TYPES order)
TENANT_P = (0.18, 0.10, 0.12, 0.40, 0.10, 0.10)
HOMELESS_P = 0.01
LEAD, JOINT, MEMBER, APPLICANT = "Lead tenant", "Joint tenant", "Household member", "Applicant"
NI_HELD = {LEAD: 0.7, JOINT: 0.7, APPLICANT: 0.7, MEMBER: 0.3}
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
    dataset_name = "Tenancies and homeless applications"
    file_name = "tenancies.jsonl"
    key_identifier = "ni_number"

    def __init__(self) -> None:
        self._role = np.zeros(0, dtype=object)  # per person: role on the tenancy, "" if none

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        n_households = int(pop.household.max()) + 1
        first = np.r_[0, np.flatnonzero(np.diff(pop.household)) + 1]  # each household's head
        htype = np.array([HOUSEHOLD_TYPES.index(t) for t in pop.household_type[first].tolist()])
        tenant_household = rng.random(n_households) < np.asarray(TENANT_P)[htype]
        homeless_household = ~tenant_household & (rng.random(n_households) < HOMELESS_P)
        head = np.zeros(len(pop), dtype=bool)
        head[first] = True
        joint = ~head & (pop.age >= 18) & np.isin(pop.role, ["partner", "sharer"])
        tenants = tenant_household[pop.household]
        role = np.full(len(pop), "", dtype=object)
        role[tenants] = MEMBER
        role[tenants & joint] = JOINT
        role[tenants & head] = LEAD
        homeless = homeless_household[pop.household]
        role[homeless] = MEMBER
        role[homeless & head] = APPLICANT
        self._role = role
        return np.flatnonzero(role != "")

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 10_000, 10_000 + max(990_000, 10 * n))
        return keys, np.array([f"T{k:07d}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        ni = ctx.pop.ni_number
        assert ni is not None
        share = np.array([NI_HELD[r] for r in self._role[rec.person].tolist()])
        values = ni[rec.person].copy()
        values[rng.random(len(rec)) >= share] = ""
        rec.identifiers["ni_number"] = values

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        pop = ctx.pop
        role = self._role[rec.person]
        # tenancy-level values are drawn once per household and shared by its members
        household, row_household = np.unique(pop.household[rec.person], return_inverse=True)
        k = len(household)
        first = np.searchsorted(pop.household, household)  # the head of each household
        applicant = self._role[first] == APPLICANT
        refs = random_ints(rng, 2 * k, 100_000, 100_000 + max(900_000, 20 * k))
        refs_text = np.array([f"TEN{r}" for r in refs.tolist()], dtype=object)
        tenancy = pick(rng, [t[0] for t in TENANCY_TYPES], k, [t[2] for t in TENANCY_TYPES])
        tenancy[applicant] = "Homeless application"
        adult_from = pop.date_of_birth[first] + np.timedelta64(18 * 365, "D")
        no_duplicates = np.zeros(k, dtype=bool)
        long = episode_dates(rng, adult_from, 15, 0.92, no_duplicates, 180, 3000)
        short = episode_dates(rng, adult_from, 1, 0.6, no_duplicates, 14, 200)
        homeless = applicant | (tenancy == "Temporary accommodation")
        start = np.where(homeless, short[0], long[0])
        end = np.where(homeless, short[1], long[1])
        is_open = np.where(homeless, short[2], long[2])
        staff = make_staff(rng, ctx.pools, staff_count(k, 120), "fenmoorhomes.example", 800)
        officer = staff.assign(rng, k)
        arrears = pick(rng, ("R", "A", "G"), k, (0.1, 0.2, 0.7))
        vulnerability = code_lists(rng, k, VULNERABILITY, 2, p_none=0.6)
        end_reason = np.where(is_open, "", pick(rng, END_REASONS, k)).astype(object)
        notes = np.where(
            homeless,
            compose_notes(rng, k, HOMELESS_NOTES, NOTE_SLOTS),
            compose_notes(rng, k, NOTES, NOTE_SLOTS),
        ).astype(object)

        # a duplicate record is the person's former tenancy, ended before this one began
        dup = rec.duplicate
        old_end = start[row_household] - np.timedelta64(1, "D")
        length = rng.integers(180, 3000, size=k).astype("timedelta64[D]")[row_household]
        old_start = np.minimum(np.maximum(adult_from[row_household], old_end - length), old_end)
        row_open = is_open[row_household] & ~dup
        kind = tenancy[row_household].astype(object)
        kind[dup & (kind == "Homeless application")] = "Temporary accommodation"
        return {
            "tenantRef": rec.local_id,
            "tenancyRef": np.where(dup, refs_text[k:][row_household], refs_text[:k][row_household]),
            "householdRole": role,
            "forename": rec.given_name,
            "surname": rec.family_name,
            "dateOfBirth": format_dates(rec.date_of_birth, DATE_FORMAT),
            "gender": sex_codes(rec.sex, SEX),
            "niNumber": spaced_ni_numbers(rec.identifiers["ni_number"], rng, 0.3),
            "uprn": rec.uprn,
            "addressLine1": rec.address_line_1,
            "addressLine2": rec.locality,
            "postcode": rec.postcode,
            "tenancyType": kind,
            "tenancyStart": format_dates(
                np.where(dup, old_start, start[row_household]), DATE_FORMAT
            ),
            "tenancyEnd": format_dates(np.where(dup, old_end, end[row_household]), DATE_FORMAT),
            "status": np.where(row_open, "Current", "Former").astype(object),
            "arrearsRag": arrears[row_household],
            "housingOfficer": staff.names[officer][row_household],
            "officerEmail": staff.emails[officer][row_household],
            "vulnerabilityCodes": vulnerability[row_household],
            "endReason": np.where(
                dup,
                pick(rng, ("TRANSFER", "MOVED-OUT"), k)[row_household],
                end_reason[row_household],
            ).astype(object),
            "notes": notes[row_household],
        }

    def mapping(self) -> dict[str, Any]:
        types = {t[0]: t[1] for t in TENANCY_TYPES}
        types["Homeless application"] = "homelessness"
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "jsonl"},
            "fields": {
                "local_id": {"column": "tenantRef"},
                "given_name": {"column": "forename"},
                "family_name": {"column": "surname"},
                "date_of_birth": {"column": "dateOfBirth"},
                "sex": {"column": "gender", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "ni_number": {"column": "niNumber"},
                "uprn": {"column": "uprn"},
                "address_line_1": {"column": "addressLine1"},
                "address_line_2": {"column": "addressLine2"},
                "postcode": {"column": "postcode"},
                "service": {"constant": "Housing"},
                "involvement_type": {
                    "column": "tenancyType",
                    "lookup": types,
                    "lookup_default": "other",
                },
                "start_date": {"column": "tenancyStart"},
                "end_date": {"column": "tenancyEnd"},
                "episode_status": {
                    "column": "status",
                    "lookup": {"Current": "open", "Former": "closed"},
                },
                "rag": {"column": "arrearsRag", "lookup": {"R": "red", "A": "amber", "G": "green"}},
                "lead_practitioner": {"column": "housingOfficer"},
                "lead_contact": {"column": "officerEmail"},
                "reason_codes": {"column": "vulnerabilityCodes", "split": ";"},
                "outcome_codes": {"column": "endReason", "split": ";"},
                "note": {"column": "notes"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_jsonl(table, path)
