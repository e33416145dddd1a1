"""Children's social care: the council's case list (CSV, its own column names, dd/mm/yyyy).

Children aged 0-17, more often from lone-parent households; one row per child's case with
the current or latest involvement (referral, assessment, child in need, child protection,
looked after, early help), the allocated social worker, need code and assessment factors.
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

SEX = {"male": "M", "female": "F", "indeterminate": "I", "unknown": "U"}
DATE_FORMAT = "%d/%m/%Y"

# code, core involvement type, team, share, chance the case is still open
INVOLVEMENTS = (
    ("REF", "referral", "Front Door (MASH)", 0.15, 0.3),
    ("ASS", "assessment", "Assessment Team", 0.2, 0.4),
    ("CIN", "child_in_need", "Children in Need Team", 0.25, 0.6),
    ("CP", "child_protection", "Child Protection Team", 0.12, 0.7),
    ("LAC", "looked_after", "Children in Care Team", 0.08, 0.8),
    ("EH", "early_help", "Early Help Hub", 0.2, 0.5),
)
RAG_P = {
    "REF": (0.15, 0.35, 0.5),
    "ASS": (0.2, 0.4, 0.4),
    "CIN": (0.2, 0.5, 0.3),
    "CP": (0.6, 0.3, 0.1),
    "LAC": (0.4, 0.4, 0.2),
    "EH": (0.05, 0.35, 0.6),
}
NEED_CODES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
NEED_P = (0.5, 0.1, 0.05, 0.1, 0.12, 0.03, 0.01, 0.04, 0.05)
FACTORS = (
    "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C",
    "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A",
    "14A", "15A", "16A", "17A", "18B", "18C", "19A", "19B", "19C", "20", "21", "22A", "23A",
    "24A",
)  # fmt: skip
CLOSURE = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8")
NOTES = (
    "Referral from {source} regarding {concern}. {engagement}.",
    "Home visit completed; {concern} discussed with {carer}. {engagement}.",
    "Strategy discussion held with {source}. Concern: {concern}.",
    "{carer} reports {concern}. Plan reviewed; next visit in {weeks} weeks.",
    "Child seen alone. {engagement}. Liaison with {source} agreed.",
)
NOTE_SLOTS = {
    "source": ("school", "police", "health visitor", "GP", "neighbour", "A&E", "housing"),
    "concern": (
        "neglect",
        "domestic abuse in the home",
        "missed health appointments",
        "poor school attendance",
        "parental mental health",
        "substance misuse",
        "injury with no clear explanation",
        "overcrowding",
    ),
    "engagement": (
        "Family engaging well",
        "Mother engaging, father not present",
        "Family reluctant to engage",
        "Parents did not attend the meeting",
        "Grandparent providing support",
    ),
    "carer": ("mother", "father", "grandmother", "foster carer", "stepfather", "aunt"),
    "weeks": ("2", "4", "6"),
}


class ChildrensSocialCare(Agency):
    organisation = "FEN-CSC"
    organisation_name = "Fenmoor Council Children's Services"
    kind = "council"
    dataset = "csc_cases"
    dataset_name = "Children's social care case list"
    file_name = "csc_cases.csv"
    key_identifier = "nhs_number"
    needs_nhs_number = True

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        p = np.where(pop.household_type == "lone_parent", 0.11, 0.05)
        return np.flatnonzero((pop.age <= 17) & (rng.random(len(pop)) < p))

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 100_000, 100_000 + max(900_000, 10 * n))
        return keys, np.array([str(k) for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        nhs = ctx.pop.nhs_number
        upn = ctx.pop.upn
        assert nhs is not None and upn is not None
        rec.identifiers["nhs_number"] = held(nhs[rec.person], rng, 0.6)
        rec.identifiers["upn"] = held(upn[rec.person], rng, 0.75)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        codes = [c[0] for c in INVOLVEMENTS]
        code = pick(rng, codes, n, [c[3] for c in INVOLVEMENTS])
        info = {c[0]: c for c in INVOLVEMENTS}
        p_open = np.array([info[c][4] for c in code.tolist()])
        start, end, is_open = episode_dates(
            rng, ctx.pop.date_of_birth[rec.person], 3, p_open, rec.duplicate
        )
        rag = np.empty(n, dtype=object)
        for c in codes:
            m = code == c
            rag[m] = pick(rng, ("R", "A", "G"), int(m.sum()), RAG_P[c])
        staff = make_staff(rng, ctx.pools, staff_count(n, 15), "fenmoor-council.example", 100)
        worker = staff.assign(rng, n)
        need = pick(rng, NEED_CODES, n, NEED_P)
        factors = code_lists(rng, n, FACTORS, 3, p_none=0.35, first=need)
        closure = np.where(is_open, "", pick(rng, CLOSURE, n)).astype(object)
        nhs = rec.identifiers["nhs_number"]
        nhs_spaced = np.array(
            [f"{v[:3]} {v[3:6]} {v[6:]}" if len(v) == 10 else v for v in nhs.tolist()],
            dtype=object,
        )
        return {
            "Case Ref": rec.local_id,
            "Forename": rec.given_name,
            "Middle Name": rec.middle_names,
            "Surname": rec.family_name,
            "DOB": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Gender": sex_codes(rec.sex, SEX),
            "NHS No": nhs_spaced,
            "UPN": rec.identifiers["upn"],
            "Address Line 1": rec.address_line_1,
            "Address Line 2": rec.locality,
            "Post Code": rec.postcode,
            "Team": np.array([info[c][2] for c in code.tolist()], dtype=object),
            "Involvement": code,
            "Start Date": format_dates(start, DATE_FORMAT),
            "End Date": format_dates(end, DATE_FORMAT),
            "Case Status": np.where(is_open, "Open", "Closed").astype(object),
            "RAG": rag,
            "Allocated Worker": staff.names[worker],
            "Worker Email": staff.emails[worker],
            "Factors": factors,
            "Closure Reason": closure,
            "Case Note": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": ",", "encoding": "utf-8", "header_row": 1},
            "fields": {
                "local_id": {"column": "Case Ref"},
                "given_name": {"column": "Forename"},
                "middle_names": {"column": "Middle Name"},
                "family_name": {"column": "Surname"},
                "date_of_birth": {"column": "DOB", **dates},
                "sex": {"column": "Gender", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "nhs_number": {"column": "NHS No"},
                "upn": {"column": "UPN"},
                "address_line_1": {"column": "Address Line 1"},
                "address_line_2": {"column": "Address Line 2"},
                "postcode": {"column": "Post Code"},
                "service": {"column": "Team"},
                "involvement_type": {
                    "column": "Involvement",
                    "lookup": {c[0]: c[1] for c in INVOLVEMENTS},
                    "lookup_default": "other",
                },
                "start_date": {"column": "Start Date", **dates},
                "end_date": {"column": "End Date", **dates},
                "episode_status": {
                    "column": "Case Status",
                    "lookup": {"Open": "open", "Closed": "closed"},
                },
                "rag": {"column": "RAG", "lookup": {"R": "red", "A": "amber", "G": "green"}},
                "lead_practitioner": {"column": "Allocated Worker"},
                "lead_contact": {"column": "Worker Email"},
                "reason_codes": {"column": "Factors", "split": ";"},
                "outcome_codes": {"column": "Closure Reason", "split": ";"},
                "note": {"column": "Case Note"},
                "identifier:MOSAIC": {"column": "Case Ref"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(table, path, delimiter=",", encoding="utf-8", lineterminator="\n")
