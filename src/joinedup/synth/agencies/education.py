"""Education: the schools partnership's pupil list (CSV with BOM and CRLF, "SURNAME, Forename").

Every child of compulsory school age (Reception to Year 11) and most 16-18 year olds, at a
primary school in their ward, a secondary school of their district, or the sixth-form college. One row per pupil: enrolment, or the pupil's SEN
support, EHC plan, attendance concern or exclusion. UPN for every pupil, ULN from age 14.
"""

from __future__ import annotations

import datetime as dt
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
    random_ints,
    sex_codes,
    sex_lookup,
    staff_count,
)
from joinedup.synth.corrupt import Records
from joinedup.synth.population import Population
from joinedup.synth.writers import write_csv

SEX = {"male": "M", "female": "F", "indeterminate": "X", "unknown": "U"}
DATE_FORMAT = "%d-%m-%Y"
ACADEMIC_YEAR_START = dt.date(2024, 9, 1)
SIXTH_FORM_P = 0.85  # share of 16-17 year olds (Years 12 and 13) in education at 16-18

# code, core involvement type, share, chance open, RAG shares (concern level 1, 2, 3)
RECORD_TYPES = (
    ("ENR", "enrolment", 0.73, 0.97, (0.03, 0.12, 0.85)),
    ("SEN", "send_support", 0.12, 0.9, (0.1, 0.4, 0.5)),
    ("EHCP", "send_support", 0.03, 0.95, (0.2, 0.5, 0.3)),
    ("ATT", "attendance_concern", 0.1, 0.5, (0.4, 0.45, 0.15)),
    ("EXC", "exclusion", 0.02, 0.2, (0.6, 0.3, 0.1)),
)
SEN_NEEDS = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH")
ATTENDANCE = ("PA", "SA", "UNAUTH", "LATE")
EXCLUSION = ("PP", "PA", "VP", "VA", "SV", "BU", "RA", "DM", "DR", "TH", "MT", "OT")
OUTCOMES = ("RET", "IMPROVED", "MOVED", "NFA", "REINTEGRATED")
SAINTS = ("Mary's", "John's", "Peter's", "Andrew's", "Michael's", "Anne's", "Paul's", "Luke's")
COLLEGE = "Fenmoor Sixth Form College"
NOTES = (
    "{who} met {carer} about {topic}. {plan}.",
    "Attendance this term {pct}%. {plan}.",
    "{topic} discussed at review; {plan}.",
    "Pupil settled well; {topic} monitored by {who}.",
)
NOTE_SLOTS = {
    "who": ("Class teacher", "SENCo", "Head of Year", "DSL", "Attendance officer"),
    "carer": ("mother", "father", "grandparent", "carer", "both parents"),
    "topic": ("reading support", "behaviour in class", "punctuality", "friendship issues", "homework", "speech and language"),
    "plan": ("Support plan agreed", "Review in six weeks", "Referral to early help offered", "No further action", "Parent to attend next meeting"),
    "pct": ("82", "85", "88", "90", "93", "96"),
}  # fmt: skip


def academic_age(dob: np.ndarray) -> np.ndarray:
    """Age on 31 August before the current school year (decides the year group)."""
    cutoff = np.datetime64(ACADEMIC_YEAR_START.isoformat(), "D") - np.timedelta64(1, "D")
    y = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = dob.astype("datetime64[M]")
    m = month_start.astype(np.int64) % 12 + 1
    d = (dob - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    c = cutoff.astype(dt.date)
    before = (m > c.month) | ((m == c.month) & (d > c.day))
    result: np.ndarray = c.year - y - before.astype(np.int64)
    return result


class Education(Agency):
    organisation = "FEN-EDU"
    organisation_name = "Fenmoor Schools Partnership"
    kind = "education"
    dataset = "pupils"
    dataset_name = "Pupil records"
    file_name = "pupils.csv"
    key_identifier = "upn"

    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        # every child from Reception to Year 11 (compulsory school age); most 16-17 year olds
        # in the sixth form or the college; a few 18 year olds in a third year at college
        a = academic_age(pop.date_of_birth)
        p = np.select([a < 4, a <= 15, a <= 17, a == 18], [0.0, 1.0, SIXTH_FORM_P, 0.15], 0.0)
        return np.flatnonzero(rng.random(len(pop)) < p)

    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        keys = random_ints(rng, n, 200_000, 200_000 + max(700_000, 10 * n))
        return keys, np.array([f"ADM{k}" for k in keys.tolist()], dtype=object)

    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        upn, uln = ctx.pop.upn, ctx.pop.uln
        assert upn is not None and uln is not None
        rec.identifiers["upn"] = held(upn[rec.person], rng, 1.0)
        rec.identifiers["uln"] = held(uln[rec.person], rng, 1.0)

    def _schools(
        self, rec: Records, ctx: Context, rng: np.random.Generator, age: np.ndarray
    ) -> np.ndarray:
        geo, pop = ctx.geo, ctx.pop
        pc = pop.addresses.postcode_idx[pop.address[rec.person]]
        ward = geo.ward_name[pc]
        ward_code = geo.ward_code[pc]
        town = geo.post_town[pc]
        district = geo.district_name[pc]
        r = rng.random(len(rec))
        saint = np.array(
            [SAINTS[int(c[-2:]) % len(SAINTS)] for c in ward_code.tolist()], dtype=object
        )
        primary = np.where(
            r < 0.6,
            [f"{w} Primary School" for w in ward.tolist()],
            [f"St {s} C of E Primary School" for s in saint.tolist()],
        )
        secondary = np.where(
            r < 0.5,
            [f"{d} Academy" for d in district.tolist()],
            [f"{t} High School" for t in town.tolist()],
        )
        return np.where(
            age <= 10, primary, np.where((age >= 16) & (r < 0.5), COLLEGE, secondary)
        ).astype(object)

    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        n = len(rec)
        true_dob = ctx.pop.date_of_birth[rec.person]
        age = academic_age(true_dob)
        year = np.clip(age - 4, 0, 13)
        year_group = np.where(year == 0, "R", year.astype(str)).astype(object)
        info = {t[0]: t for t in RECORD_TYPES}
        kind = pick(rng, [t[0] for t in RECORD_TYPES], n, [t[2] for t in RECORD_TYPES])
        p_open = np.array([info[k][3] for k in kind.tolist()])
        start, end, is_open = episode_dates(rng, true_dob, 2, p_open, rec.duplicate)
        # an enrolment starts in September of the year the pupil joined this school
        enr = kind == "ENR"
        joined_years_ago = np.where(age <= 10, year, np.where(age >= 16, age - 16, age - 11))
        joined_year = ACADEMIC_YEAR_START.year - joined_years_ago
        joined = ((joined_year - 1970) * 12 + 8).astype("datetime64[M]").astype("datetime64[D]")
        start = np.where(enr, np.minimum(joined, EXTRACT_DAY - 1), start)
        end = np.where(enr & ~is_open, np.maximum(end, start), end)
        rag = np.empty(n, dtype=object)
        reasons = np.full(n, "", dtype=object)
        for code, _, _, _, shares in RECORD_TYPES:
            m = kind == code
            k = int(m.sum())
            rag[m] = pick(rng, ("1", "2", "3"), k, shares)
            if code in ("SEN", "EHCP"):
                reasons[m] = code_lists(rng, k, SEN_NEEDS, 2)
            elif code == "ATT":
                reasons[m] = code_lists(rng, k, ATTENDANCE, 2)
            elif code == "EXC":
                reasons[m] = code_lists(rng, k, EXCLUSION, 1)
        outcome = np.where(is_open, "", pick(rng, OUTCOMES, n)).astype(object)
        staff = make_staff(rng, ctx.pools, staff_count(n, 40), "fenmoor-schools.example", 300)
        contact = staff.assign(rng, n)
        middle = rec.middle_names
        legal = np.array(
            [
                f"{f.upper()}, {g}{' ' + m if m else ''}"
                for f, g, m in zip(
                    rec.family_name.tolist(), rec.given_name.tolist(), middle.tolist(), strict=True
                )
            ],
            dtype=object,
        )
        return {
            "Pupil ID": rec.local_id,
            "UPN": rec.identifiers["upn"],
            "ULN": rec.identifiers["uln"],
            "Legal Name": legal,
            "Date of Birth": format_dates(rec.date_of_birth, DATE_FORMAT),
            "Sex": sex_codes(rec.sex, SEX),
            "Address": rec.address_line_1,
            "Town": rec.post_town,
            "Postcode": rec.postcode,
            "School": self._schools(rec, ctx, rng, age),
            "Year Group": year_group,
            "Record Type": kind,
            "Start Date": format_dates(start, DATE_FORMAT),
            "End Date": format_dates(end, DATE_FORMAT),
            "Status": np.where(is_open, "Current", "Ended").astype(object),
            "Concern Level": rag,
            "Key Contact": staff.names[contact],
            "Contact Phone": staff.phones[contact],
            "Need Codes": reasons,
            "Outcome": outcome,
            "Notes": compose_notes(rng, n, NOTES, NOTE_SLOTS),
        }

    def mapping(self) -> dict[str, Any]:
        dates = {"date_format": DATE_FORMAT}
        return {
            "format_version": 1,
            "dataset": {"name": self.dataset_name},
            "source": {"format": "csv", "delimiter": ",", "encoding": "utf-8-sig", "header_row": 1},
            "fields": {
                "local_id": {"column": "Pupil ID"},
                "family_name": {"column": "Legal Name", "split_name": "family"},
                "given_name": {"column": "Legal Name", "split_name": "given"},
                "middle_names": {"column": "Legal Name", "split_name": "middle"},
                "date_of_birth": {"column": "Date of Birth", **dates},
                "sex": {"column": "Sex", "lookup": sex_lookup(SEX), "lookup_default": "unknown"},
                "upn": {"column": "UPN"},
                "uln": {"column": "ULN"},
                "address_line_1": {"column": "Address"},
                "address_line_2": {"column": "Town"},
                "postcode": {"column": "Postcode"},
                "service": {"column": "School"},
                "involvement_type": {
                    "column": "Record Type",
                    "lookup": {t[0]: t[1] for t in RECORD_TYPES},
                    "lookup_default": "other",
                },
                "start_date": {"column": "Start Date", **dates},
                "end_date": {"column": "End Date", **dates},
                "episode_status": {
                    "column": "Status",
                    "lookup": {"Current": "open", "Ended": "closed"},
                },
                "rag": {
                    "column": "Concern Level",
                    "lookup": {"1": "red", "2": "amber", "3": "green"},
                },
                "lead_practitioner": {"column": "Key Contact"},
                "lead_contact": {"column": "Contact Phone"},
                "reason_codes": {"column": "Need Codes", "split": ";"},
                "outcome_codes": {"column": "Outcome", "split": ";"},
                "note": {"column": "Notes"},
            },
        }

    def write(self, table: Table, path: Path) -> None:
        write_csv(table, path, delimiter=",", encoding="utf-8-sig", lineterminator="\r\n")
