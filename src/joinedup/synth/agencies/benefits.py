"""Revenues and benefits: the council's Housing Benefit and Council Tax Reduction claims (TSV).

Claims come from households: most often lone parents and pensioners living alone, seldom
working couples; sharers claim on their own. A row for the claimant and one for a partner on
the claim, who share the claim number, benefit, dates, status and circumstances. The
benefits system exports a tab-separated file in capitals with fixed upper-case column names,
dates as `yyyymmdd` and the NI number (required for a claim, so nearly always held). A
duplicate record is the person's older, cancelled claim.
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
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import HOUSEHOLD_TYPES, Population
from joinedup.synth.writers import write_csv

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
DATE_FORMAT = "%Y%m%d"
PENSION_AGE = 66
# share of households claiming, by household type (HOUSEHOLD_TYPES order), working age and
# pension age (the head's age); sharers claim one by one
CLAIM_P_WORKING = (0.22, 0.08, 0.14, 0.62, 0.0, 0.16)
CLAIM_P_PENSION = (0.38, 0.18, 0.14, 0.62, 0.0, 0.16)
SHARER_CLAIM_P = 0.12
NI_HELD = {"CLAIMANT": 0.98, "PARTNER": 0.94}
HARDSHIP = ("H", "M", "L")
CIRCUMSTANCES_WORKING = ("UC", "ESA", "JSA", "DP", "CARER", "NDD", "SPD", "LP", "SE")
CIRCUMSTANCES_PENSION = ("PC", "DP", "CARER", "NDD", "SPD", "WAR")
END_REASONS = ("CHG-CIRC", "MOVED", "NOT-ENTITLED", "NO-INFO", "TO-UC", "DECEASED-PTNR")
NOTES = (
    "Change of circumstances reported: {change}. Claim {action}.",
    "Evidence of {evidence} received; {action}.",
    "{visit}. Discretionary housing payment {dhp}.",
)
NOTE_SLOTS = {
    "change": ("new job", "partner moved in", "partner moved out", "rent increase", "child left home", "hours reduced"),
    "action": ("reassessed", "suspended pending evidence", "no change to award", "overpayment raised"),
    "evidence": ("income", "rent", "savings", "identity", "childcare costs"),
    "visit": ("Visiting officer called", "Claimant phoned", "Landlord contacted the council"),
    "dhp": ("not requested", "awarded for 13 weeks", "refused", "under review"),
}  # fmt: skip


class RevenuesBenefits(Agency):
    organisation = "FEN-RB"
    organisation_name = "Fenmoor Council Revenues and Benefits"
    kind = "council"
    dataset = "benefit_claims"
    dataset_name = "Housing Benefit and Council Tax Reduction claims"
    file_name = "benefit_claims.tsv"
    key_identifier = "ni_number"

    def __init__(self) -> None:
        self._claimant_of = np.zeros(0, dtype=np.int64)  # per person: the claim's claimant

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        n = len(pop)
        n_households = int(pop.household.max()) + 1
        first = np.r_[0, np.flatnonzero(np.diff(pop.household)) + 1]  # each household's head
        htype = np.array([HOUSEHOLD_TYPES.index(t) for t in pop.household_type[first].tolist()])
        p = np.where(
            pop.age[first] >= PENSION_AGE,
            np.asarray(CLAIM_P_PENSION)[htype],
            np.asarray(CLAIM_P_WORKING)[htype],
        )
        claims = rng.random(n_households) < p
        adult = pop.age >= 18
        on_household_claim = adult & np.isin(pop.role, ["adult", "partner"]) & claims[pop.household]
        sharer_claims = adult & (pop.role == "sharer") & (rng.random(n) < SHARER_CLAIM_P)
        claimant_of = np.full(n, -1, dtype=np.int64)
        claimant_of[on_household_claim] = first[pop.household[on_household_claim]]
        claimant_of[sharer_claims] = np.flatnonzero(sharer_claims)
        self._claimant_of = claimant_of
        return np.flatnonzero(claimant_of >= 0)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 10_000_000, 10_000_000 + max(80_000_000, 10 * n))
        return keys, np.array([str(k) for k in keys.tolist()], dtype=object)

    def _party(self, persons: np.ndarray) -> np.ndarray:
        return np.where(self._claimant_of[persons] == persons, "CLAIMANT", "PARTNER").astype(object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        ni = ctx.pop.ni_number
        assert ni is not None
        claimant = self._party(rec.person) == "CLAIMANT"
        share = np.where(claimant, NI_HELD["CLAIMANT"], NI_HELD["PARTNER"])
        values = ni[rec.person].copy()
        values[rng.random(len(rec)) >= share] = ""
        rec.identifiers["ni_number"] = values

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        pop = ctx.pop
        claimant = self._claimant_of[rec.person]
        # claim-level values are drawn once per claim and shared by its rows
        claim, row_claim = np.unique(claimant, return_inverse=True)
        k = len(claim)
        numbers = random_ints(rng, 2 * k, 1_000_000, 1_000_000 + max(8_000_000, 8 * k))
        numbers_text = np.array([str(v) for v in numbers.tolist()], dtype=object)
        pension = pop.age[claim] >= PENSION_AGE
        benefit = np.where(
            pension,
            pick(rng, ("HB+CTR", "CTR"), k, (0.5, 0.5)),
            pick(rng, ("CTR", "HB+CTR", "HB"), k, (0.72, 0.25, 0.03)),
        ).astype(object)
        adult_from = pop.date_of_birth[claim] + np.timedelta64(18 * 365, "D")
        moved_on = pop.moved_on[claim]
        earliest = np.where(np.isnat(moved_on), adult_from, np.maximum(adult_from, moved_on))
        no_duplicates = np.zeros(k, dtype=bool)
        start, end, is_open = episode_dates(rng, earliest, 10, 0.92, no_duplicates, 60, 2000)
        suspended = is_open & (rng.random(k) < 0.05)
        circumstances = np.where(
            pension,
            code_lists(
                rng, k, CIRCUMSTANCES_PENSION, 2, p_none=0.4, sep=",", first=np.full(k, "PEN")
            ),
            code_lists(
                rng, k, CIRCUMSTANCES_WORKING, 2, p_none=0.2, sep=",", first=np.full(k, "WA")
            ),
        ).astype(object)
        hardship = pick(rng, HARDSHIP, k, (0.15, 0.35, 0.5))
        staff = make_staff(
            rng, ctx.pools, staff_count(k, 400, 6, 60), "fenmoor-council.example", 400
        )
        assessor = staff.assign(rng, k)
        end_reason = np.where(is_open, "", pick(rng, END_REASONS, k)).astype(object)

        # a duplicate record is the person's earlier claim, cancelled before this one began
        dup = rec.duplicate
        old_end = start[row_claim] - np.timedelta64(1, "D")
        length = rng.integers(90, 1500, size=k).astype("timedelta64[D]")[row_claim]
        old_start = np.minimum(np.maximum(earliest[row_claim], old_end - length), old_end)
        row_start = np.where(dup, old_start, start[row_claim])
        row_end = np.where(dup, old_end, end[row_claim])
        row_open = is_open[row_claim] & ~dup
        status = np.where(
            row_open, np.where(suspended[row_claim], "SUSPENDED", "LIVE"), "CANCELLED"
        ).astype(object)
        reason = np.where(
            dup, pick(rng, ("MOVED", "CHG-CIRC", "NO-INFO"), k)[row_claim], end_reason[row_claim]
        ).astype(object)
        party = self._party(rec.person)
        true_sex = pop.sex[rec.person]
        title = np.where(
            true_sex == "male", "MR", pick(rng, ("MRS", "MS", "MISS"), n, (0.5, 0.35, 0.15))
        ).astype(object)
        return {
            "CLAIM_NO": np.where(dup, numbers_text[k:][row_claim], numbers_text[:k][row_claim]),
            "PERSON_REF": rec.local_id,
            "PARTY": party,
            "TITLE": title,
            "FORENAME": _upper(rec.given_name),
            "OTHER_NAMES": _upper(rec.middle_names),
            "SURNAME": _upper(rec.family_name),
            "DOB": format_dates(rec.date_of_birth, DATE_FORMAT),
            "SEX": sex_codes(rec.sex, SEX),
            "NINO": rec.identifiers["ni_number"],
            "ADDR1": _upper(rec.address_line_1),
            "ADDR2": _upper(rec.locality),
            "ADDR3": _upper(rec.post_town),
            "POSTCODE": rec.postcode,
            "UPRN": rec.uprn,
            "BENEFIT": benefit[row_claim],
            "CLAIM_START": format_dates(row_start, DATE_FORMAT),
            "CLAIM_END": format_dates(row_end, DATE_FORMAT),
            "STATUS": status,
            "HARDSHIP": hardship[row_claim],
            "ASSESSOR": staff.names[assessor][row_claim],
            "TEAM_PHONE": staff.phones[assessor][row_claim],
            "CIRCUMSTANCES": circumstances[row_claim],
            "END_REASON": reason,
            "NOTES": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": "\t", "encoding": "utf-8", "header_row": 1},
            "fields": {
                "local_id": {"column": "PERSON_REF"},
                "given_name": {"column": "FORENAME"},
                "middle_names": {"column": "OTHER_NAMES"},
                "family_name": {"column": "SURNAME"},
                "date_of_birth": {"column": "DOB", **dates},
                "sex": {"column": "SEX", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "ni_number": {"column": "NINO"},
                "address_line_1": {"column": "ADDR1"},
                "address_line_2": {"column": "ADDR2"},
                "address_line_3": {"column": "ADDR3"},
                "postcode": {"column": "POSTCODE"},
                "uprn": {"column": "UPRN"},
                "service": {"constant": "Housing Benefit and Council Tax Reduction"},
                "involvement_type": {"constant": "other"},
                "start_date": {"column": "CLAIM_START", **dates},
                "end_date": {"column": "CLAIM_END", **dates},
                "episode_status": {
                    "column": "STATUS",
                    "lookup": {"LIVE": "open", "SUSPENDED": "open", "CANCELLED": "closed"},
                },
                "rag": {"column": "HARDSHIP", "lookup": {"H": "red", "M": "amber", "L": "green"}},
                "lead_practitioner": {"column": "ASSESSOR"},
                "lead_contact": {"column": "TEAM_PHONE"},
                "reason_codes": {"column": "CIRCUMSTANCES", "split": ","},
                "outcome_codes": {"column": "END_REASON", "split": ","},
                "note": {"column": "NOTES"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(table, path, delimiter="\t", encoding="utf-8", lineterminator="\n")


def _upper(values: np.ndarray) -> np.ndarray:
    return np.array([v.upper() for v in values.tolist()], dtype=object)
