"""Adult social care: the council's client list (pipe-delimited, cp1252, free-text address).

Adults, mostly older people; one row per client with the current or latest service (home
care, reablement, residential care, safeguarding enquiry, assessment ...), risk level, care
manager and primary support reason. The address is one free-text field with the postcode
somewhere inside it, written the way people type addresses (some in capitals).
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
    random_ints,
    sex_codes,
    sex_lookup,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import Population
from joinedup.synth.writers import write_csv

SEX = {"male": "Male", "female": "Female", "indeterminate": "Indeterminate", "unknown": "Not Known"}
DATE_FORMAT = "%d.%m.%Y"
ENCODING = "cp1252"
# service type, core involvement type, share, chance still open
SERVICES = (
    ("Home care", "care_package", 0.25, 0.7),
    ("Reablement", "care_package", 0.12, 0.2),
    ("Day opportunities", "care_package", 0.06, 0.7),
    ("Residential care", "care_package", 0.08, 0.85),
    ("Nursing care", "care_package", 0.05, 0.85),
    ("Direct payment", "care_package", 0.08, 0.8),
    ("Carer support", "other", 0.06, 0.5),
    ("Safeguarding enquiry", "safeguarding_enquiry", 0.1, 0.3),
    ("Care Act assessment", "assessment", 0.2, 0.35),
)
SUPPORT_REASONS = ("PS-ACCESS", "PS-PERSONAL", "SENSORY", "MEM-COG", "LD", "MH", "SOCIAL")
OUTCOMES = ("LT-SUPPORT", "NFA", "REABLED", "DECEASED", "MOVED-AWAY", "FAMILY")
NOTES = (
    "Care package reviewed – {change}. Daughter informed.",
    "Direct payment of £{amount} per week agreed; {change}.",
    "Visit by care manager: {finding}. {change}.",
    "{finding}; safeguarding concern {sg}.",
)
NOTE_SLOTS = {
    "change": ("no change", "two extra calls a day", "respite arranged", "equipment ordered", "move to residential care discussed"),
    "amount": ("120", "180", "240", "310", "95"),
    "finding": ("client well and settled", "falls risk increased", "carer under strain", "memory worse", "home clean and warm"),
    "sg": ("closed – no further action", "open", "referred to police"),
}  # fmt: skip


class AdultSocialCare(Agency):
    organisation = "FEN-ASC"
    organisation_name = "Fenmoor Council Adult Social Care"
    kind = "council"
    dataset = "asc_clients"
    dataset_name = "Adult social care clients"
    file_name = "asc_clients.csv"
    key_identifier = "nhs_number"
    needs_nhs_number = True

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        a = pop.age
        p = np.select([a < 18, a <= 64, a <= 79], [0.0, 0.008, 0.04], 0.18)
        return np.flatnonzero(rng.random(len(pop)) < p)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 10_000, 10_000 + max(990_000, 10 * n))
        return keys, np.array([str(k) for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        nhs = ctx.pop.nhs_number
        assert nhs is not None
        rec.identifiers["nhs_number"] = held(nhs[rec.person], rng, 0.85)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        age = ctx.pop.age[rec.person]
        info = {s[0]: s for s in SERVICES}
        service = pick(rng, [s[0] for s in SERVICES], n, [s[2] for s in SERVICES])
        p_open = np.array([info[s][3] for s in service.tolist()])
        start, end, is_open = episode_dates(
            rng, ctx.pop.date_of_birth[rec.person], 4, p_open, rec.duplicate
        )
        team = np.where(
            age >= 65,
            "Older People's Team",
            pick(
                rng,
                ("Learning Disability Team", "Mental Health Team", "Physical Disability Team"),
                n,
            ),
        ).astype(object)
        team[service == "Safeguarding enquiry"] = "Safeguarding Adults Team"
        staff = make_staff(rng, ctx.pools, staff_count(n, 30), "fenmoor-council.example", 200)
        manager = staff.assign(rng, n)
        true_sex = ctx.pop.sex[rec.person]
        title = np.where(
            true_sex == "male",
            pick(rng, ("Mr", "Mr", "Mr", "Dr"), n),
            pick(rng, ("Mrs", "Ms", "Miss", "Mrs"), n),
        ).astype(object)
        return {
            "Client No": rec.local_id,
            "Title": title,
            "First Name": rec.given_name,
            "Surname": rec.family_name,
            "D.O.B": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Sex": sex_codes(rec.sex, SEX),
            "NHS Number": rec.identifiers["nhs_number"],
            "Address": free_text_addresses(rec, rng),
            "Team": team,
            "Service Type": service,
            "Start": format_dates(start, DATE_FORMAT),
            "End": format_dates(end, DATE_FORMAT),
            "Status": np.where(is_open, "Active", "Ended").astype(object),
            "Risk": pick(rng, ("High", "Medium", "Low"), n, (0.2, 0.45, 0.35)),
            "Care Manager": staff.names[manager],
            "Team Phone": staff.phones[manager],
            "Primary Support Reason": code_lists(rng, n, SUPPORT_REASONS, 2),
            "Outcome": np.where(is_open, "", pick(rng, OUTCOMES, n)).astype(object),
            "Notes": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": "|", "encoding": ENCODING, "header_row": 1},
            "fields": {
                "local_id": {"column": "Client No"},
                "given_name": {"column": "First Name"},
                "family_name": {"column": "Surname"},
                "date_of_birth": {"column": "D.O.B", **dates},
                "sex": {"column": "Sex", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "nhs_number": {"column": "NHS Number"},
                "postcode": {"column": "Address", "extract": "postcode"},
                "address_line_1": {"column": "Address", "extract": "address_line_1"},
                "address_line_2": {"column": "Address", "extract": "address_line_2"},
                "address_line_3": {"column": "Address", "extract": "address_line_3"},
                "service": {"column": "Team"},
                "involvement_type": {
                    "column": "Service Type",
                    "lookup": {s[0]: s[1] for s in SERVICES},
                    "lookup_default": "other",
                },
                "start_date": {"column": "Start", **dates},
                "end_date": {"column": "End", **dates},
                "episode_status": {
                    "column": "Status",
                    "lookup": {"Active": "open", "Ended": "closed"},
                },
                "rag": {
                    "column": "Risk",
                    "lookup": {"High": "red", "Medium": "amber", "Low": "green"},
                },
                "lead_practitioner": {"column": "Care Manager"},
                "lead_contact": {"column": "Team Phone"},
                "reason_codes": {"column": "Primary Support Reason", "split": ";"},
                "outcome_codes": {"column": "Outcome", "split": ";"},
                "note": {"column": "Notes"},
                "identifier:ASC_CLIENT": {"column": "Client No"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(table, path, delimiter="|", encoding=ENCODING, lineterminator="\r\n")


def free_text_addresses(rec: Records, rng: np.random.Generator) -> np.ndarray:
    """'12 Mill Lane, Abbey, Fenmoor FE1 5BR' and its variants, one string per record."""
    style = rng.random(len(rec))
    upper = rng.random(len(rec)) < 0.2
    out = []
    for line1, loc, town, pc, s, up in zip(
        rec.address_line_1.tolist(),
        rec.locality.tolist(),
        rec.post_town.tolist(),
        rec.postcode.tolist(),
        style.tolist(),
        upper.tolist(),
        strict=True,
    ):
        if s < 0.5:
            text = f"{line1}, {loc}, {town}, {pc}"
        elif s < 0.8:
            text = f"{line1}, {loc}, {town} {pc}"
        else:
            text = f"{line1}, {town}, {pc}"
        text = text.rstrip(", ")
        out.append(text.upper() if up else text)
    return np.array(out, dtype=object)
