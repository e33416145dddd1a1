"""Employment support: a provider's participant list (JSON Lines, ISO dates, NI number, ULN).

Working-age adults (16-66), more often young adults and lone parents; one row per
participant with their programme, adviser, barriers to work and job outcomes. Young adults
who had a ULN at school are recorded with it; NI numbers are written with or without spaces.
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
    email_part,
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
from joinedup.synth.writers import write_jsonl

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
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
    file_name = "participants.jsonl"
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
        spaced = (rng.random(n) < 0.4).tolist()
        ni = [
            f"{v[:2]} {v[2:4]} {v[4:6]} {v[6:8]} {v[8:]}" if s and len(v) == 9 else v
            for v, s in zip(rec.identifiers["ni_number"].tolist(), spaced, strict=True)
        ]
        return {
            "participant_ref": rec.local_id,
            "first_name": rec.given_name,
            "last_name": rec.family_name,
            "dob": format_dates(rec.date_of_birth, "%Y-%m-%d"),
            "gender": sex_codes(rec.sex, SEX),
            "ni_number": np.array(ni, dtype=object),
            "uln": rec.identifiers["uln"],
            "email": np.array(email, dtype=object),
            "address_line_1": rec.address_line_1,
            "town": rec.post_town,
            "postcode": rec.postcode,
            "programme": pick(rng, PROGRAMMES, n, (0.35, 0.2, 0.2, 0.1, 0.15)),
            "start_date": format_dates(start, "%Y-%m-%d"),
            "end_date": format_dates(end, "%Y-%m-%d"),
            "status": np.where(is_open, "on_programme", closed_status).astype(object),
            "progress_rag": pick(rng, ("RED", "AMBER", "GREEN"), n, (0.2, 0.4, 0.4)),
            "adviser": staff.names[adviser],
            "adviser_email": staff.emails[adviser],
            "barriers": code_lists(rng, n, BARRIERS, 3),
            "outcomes": np.where(is_open, "", pick(rng, OUTCOMES, n)).astype(object),
            "notes": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "jsonl"},
            "fields": {
                "local_id": {"column": "participant_ref"},
                "given_name": {"column": "first_name"},
                "family_name": {"column": "last_name"},
                "date_of_birth": {"column": "dob"},
                "sex": {"column": "gender", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "ni_number": {"column": "ni_number"},
                "uln": {"column": "uln"},
                "email": {"column": "email"},
                "address_line_1": {"column": "address_line_1"},
                "address_line_2": {"column": "town"},
                "postcode": {"column": "postcode"},
                "service": {"column": "programme"},
                "involvement_type": {"constant": "programme"},
                "start_date": {"column": "start_date"},
                "end_date": {"column": "end_date"},
                "episode_status": {
                    "column": "status",
                    "lookup": {
                        "on_programme": "open",
                        "completed": "closed",
                        "early_leaver": "closed",
                    },
                },
                "rag": {
                    "column": "progress_rag",
                    "lookup": {"RED": "red", "AMBER": "amber", "GREEN": "green"},
                },
                "lead_practitioner": {"column": "adviser"},
                "lead_contact": {"column": "adviser_email"},
                "reason_codes": {"column": "barriers", "split": ";"},
                "outcome_codes": {"column": "outcomes", "split": ";"},
                "note": {"column": "notes"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_jsonl(table, path)
