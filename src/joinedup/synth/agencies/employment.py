"""Employment support: a provider's participant report (Excel, title rows, NI number, ULN).

Working-age adults (16-66), more often young adults and lone parents; one row per
participant with their programme, adviser, barriers to work and job outcomes. Young adults
who had a ULN at school are recorded with it; NI numbers are written with or without spaces.
The provider's case management system exports a workbook with two title rows above the
header (header_row 3) and dates as text like `03-Feb-2001`.
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
    email_part,
    episode_dates,
    format_dates,
    held,
    make_staff,
    pick,
    random_ints,
    sex_codes,
    sex_lookup,
    spaced_ni_numbers,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import EXTRACT_DATE, Population
from joinedup.synth.writers import write_xlsx

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
DATE_FORMAT = "%d-%b-%Y"
SHEET = "Participants"
STATUS = {"on_programme": "On programme", "completed": "Completed", "early_leaver": "Early leaver"}
PROGRAMMES = (
    "Restart Scheme",
    "Connect to Work",
    "Youth Guarantee",
    "Skills Bootcamp",
    "Fenmoor Works",
)
BARRIERS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11", "B12")
OUTCOMES = ("JOB-FT", "JOB-PT", "SELF-EMP", "QUAL-L2", "QUAL-L3", "VOL", "NONE")
NOTES = (
    "Action plan agreed: {action}. Next appointment in {weeks} weeks.",
    "Participant {progress}; {action}.",
    "{progress}. Referred to {referral}.",
)
NOTE_SLOTS = {
    "action": ("CV updated", "three applications a week", "interview practice", "IT skills course", "travel training"),
    "weeks": ("1", "2", "4"),
    "progress": ("attended all sessions", "missed last appointment", "started work trial", "lacks confidence", "childcare arranged"),
    "referral": ("debt advice", "mental health support", "ESOL classes", "a work placement", "the food bank"),
}  # fmt: skip


class Employment(Agency):
    organisation = "WORKWISE"
    organisation_name = "Workwise Employment Support"
    kind = "employment"
    dataset = "participants"
    dataset_name = "Employment support participants"
    file_name = "participants.xlsx"
    key_identifier = "ni_number"

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        a = pop.age
        lone = (pop.household_type == "lone_parent") & (pop.role == "adult")
        p = np.where(lone, 0.08, np.where((a >= 18) & (a <= 24), 0.07, 0.03))
        return np.flatnonzero((a >= 16) & (a <= 66) & (rng.random(len(pop)) < p))

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 100_000, 100_000 + max(900_000, 10 * n))
        return keys, np.array([f"WW-{k}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        ni, uln = ctx.pop.ni_number, ctx.pop.uln
        assert ni is not None and uln is not None
        rec.identifiers["ni_number"] = held(ni[rec.person], rng, 0.95)
        rec.identifiers["uln"] = held(uln[rec.person], rng, 0.6)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        pop = ctx.pop
        start, end, is_open = episode_dates(
            rng, pop.date_of_birth[rec.person], 2, 0.5, rec.duplicate
        )
        closed_status = pick(rng, ("completed", "early_leaver"), n, (0.6, 0.4))
        staff = make_staff(rng, ctx.pools, staff_count(n, 60), "workwise.example", 700)
        adviser = staff.assign(rng, n)
        # e-mail addresses come from the person's real name, whatever the record says
        nn = rng.integers(1, 99, size=n).tolist()
        has_email = (rng.random(n) < 0.7).tolist()
        email = [
            f"{email_part(g)}.{email_part(f)}{k}@mail.example" if e else ""
            for g, f, k, e in zip(
                pop.given_name[rec.person].tolist(),
                pop.family_name[rec.person].tolist(),
                nn,
                has_email,
                strict=True,
            )
        ]
        ni = spaced_ni_numbers(rec.identifiers["ni_number"], rng, 0.4)
        status = np.where(is_open, "on_programme", closed_status).astype(object)
        return {
            "Participant Ref": rec.local_id,
            "First Name": rec.given_name,
            "Last Name": rec.family_name,
            "Date of Birth": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Gender": sex_codes(rec.sex, SEX),
            "NI Number": ni,
            "ULN": rec.identifiers["uln"],
            "Email": np.array(email, dtype=object),
            "Address": rec.address_line_1,
            "Town": rec.post_town,
            "Postcode": rec.postcode,
            "Programme": pick(rng, PROGRAMMES, n, (0.35, 0.2, 0.2, 0.1, 0.15)),
            "Start Date": format_dates(start, DATE_FORMAT),
            "End Date": format_dates(end, DATE_FORMAT),
            "Status": np.array([STATUS[v] for v in status.tolist()], dtype=object),
            "Progress": pick(rng, ("RED", "AMBER", "GREEN"), n, (0.2, 0.4, 0.4)),
            "Adviser": staff.names[adviser],
            "Adviser Email": staff.emails[adviser],
            "Barriers": code_lists(rng, n, BARRIERS, 3),
            "Outcomes": np.where(is_open, "", pick(rng, OUTCOMES, n)).astype(object),
            "Notes": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "xlsx", "sheet": SHEET, "header_row": 3},
            "fields": {
                "local_id": {"column": "Participant Ref"},
                "given_name": {"column": "First Name"},
                "family_name": {"column": "Last Name"},
                "date_of_birth": {"column": "Date of Birth", **dates},
                "sex": {"column": "Gender", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "ni_number": {"column": "NI Number"},
                "uln": {"column": "ULN"},
                "email": {"column": "Email"},
                "address_line_1": {"column": "Address"},
                "address_line_2": {"column": "Town"},
                "postcode": {"column": "Postcode"},
                "service": {"column": "Programme"},
                "involvement_type": {"constant": "programme"},
                "start_date": {"column": "Start Date", **dates},
                "end_date": {"column": "End Date", **dates},
                "episode_status": {
                    "column": "Status",
                    "lookup": {
                        "On programme": "open",
                        "Completed": "closed",
                        "Early leaver": "closed",
                    },
                },
                "rag": {
                    "column": "Progress",
                    "lookup": {"RED": "red", "AMBER": "amber", "GREEN": "green"},
                },
                "lead_practitioner": {"column": "Adviser"},
                "lead_contact": {"column": "Adviser Email"},
                "reason_codes": {"column": "Barriers", "split": ";"},
                "outcome_codes": {"column": "Outcomes", "split": ";"},
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
                ("Workwise Employment Support – participant report",),
                (f"Run date: {EXTRACT_DATE:%d/%m/%Y}",),
            ),
            fixed_time=fixed,
        )
