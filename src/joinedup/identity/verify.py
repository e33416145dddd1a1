"""Verification of a person number against a name and date of birth (like the Learner
Registration Service's learner verification).

`verify(engine, number, given_name, family_name, date_of_birth)` answers `match`,
`no_match` or `unknown`, with a reason. Merged numbers are followed to the person they
were merged into (and say so). A name agrees when the comparisons of the linkage model
put it at exact or an accepted variant (a nickname; a current or previous family name);
the date of birth must be the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select

from joinedup.domain.comparisons import DATE_OF_BIRTH, FAMILY_NAME, GIVEN_NAME
from joinedup.domain.person_number import explain_invalid
from joinedup.errors import InvalidInput, NotFound
from joinedup.identity.nicknames import nickname_table
from joinedup.identity.online.loader import FeatureBuilder
from joinedup.identity.persons import resolve
from joinedup.store.schema.identity import PersonLink
from joinedup.store.schema.records import SourceRecord
from joinedup.store.uow import transaction

ACCEPTED = {
    GIVEN_NAME.name: {"exact", "nickname or variant"},
    FAMILY_NAME.name: {"exact", "a current or previous name shared"},
    DATE_OF_BIRTH.name: {"exact"},
}
FIELD_WORDS = {
    GIVEN_NAME.name: "given name",
    FAMILY_NAME.name: "family name",
    DATE_OF_BIRTH.name: "date of birth",
}


@dataclass
class Verification:
    result: str  # match | no_match | unknown
    reason: str
    number: str
    person_number: str | None = None  # the current number (differs after a merge)
    redirected_from: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label(comparison: Any, left: dict[str, Any], right: dict[str, Any]) -> str:
    for level in comparison.levels:
        if level.py(left, right):
            return str(level.label)
    return "different"  # pragma: no cover - the last level always holds


def verify(
    engine: Engine,
    number: str,
    given_name: str,
    family_name: str,
    date_of_birth: str | dt.date,
) -> Verification:
    """Does `number` belong to the person named, born on `date_of_birth`?"""
    number = number.strip()
    if isinstance(date_of_birth, str):
        try:
            date_of_birth = dt.date.fromisoformat(date_of_birth.strip())
        except ValueError as exc:
            raise InvalidInput(f"{date_of_birth!r} is not a date (YYYY-MM-DD).") from exc
    if not given_name.strip() or not family_name.strip():
        raise InvalidInput("Give both the given name and the family name.")
    invalid = explain_invalid(number)
    if invalid:
        return Verification("unknown", f"not a person number: {invalid}", number)
    with transaction(engine) as session:
        try:
            person, redirected_from = resolve(session, number)
        except NotFound:
            return Verification("unknown", "no person has this number", number)
        out = Verification("unknown", "", number, person.person_number, redirected_from)
        prefix = f"{number} was merged into {person.person_number}; " if redirected_from else ""
        if person.status == "retired":
            out.reason = prefix + "the number is retired (its records were withdrawn)"
            return out
        rows = session.execute(
            select(SourceRecord)
            .join(PersonLink, PersonLink.source_record_id == SourceRecord.id)
            .where(PersonLink.person_id == person.id, SourceRecord.status == "active")
        ).scalars()
        builder = FeatureBuilder(nickname_table())
        asked = builder.features(
            {"given_name": given_name, "family_name": family_name, "date_of_birth": date_of_birth}
        )
        best: tuple[int, list[str]] | None = None
        for record in rows:
            held = builder.features(
                {
                    "given_name": record.given_name,
                    "family_name": record.family_name,
                    "previous_family_names": record.previous_family_names,
                    "date_of_birth": record.date_of_birth,
                }
            )
            if None in (held["given_name"], held["family_name"], held["dob"]):
                continue
            disagree = [
                name
                for name, comparison in (
                    (GIVEN_NAME.name, GIVEN_NAME),
                    (FAMILY_NAME.name, FAMILY_NAME),
                    (DATE_OF_BIRTH.name, DATE_OF_BIRTH),
                )
                if _label(comparison, asked, held) not in ACCEPTED[name]
            ]
            if best is None or len(disagree) < best[0]:
                best = (len(disagree), disagree)
        if best is None:
            out.reason = prefix + "the person's records hold no name and date of birth to check"
            return out
        pending = " (a provisional number awaiting review)" if person.status == "pending" else ""
        if best[0] == 0:
            out.result = "match"
            out.reason = prefix + f"names and date of birth agree with a record{pending}"
        else:
            out.result = "no_match"
            words = ", ".join(FIELD_WORDS[n] for n in best[1])
            out.reason = prefix + f"{words} do not agree with any record of this person"
        return out
