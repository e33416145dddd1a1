"""What each detail level shows of a source record (pure functions, no store)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.domain.levels import Detail
from joinedup.views.detail_levels import (
    birth_date_at,
    involvement_fields,
    postcode_district,
    summarise_demographics,
)

RECORD = {
    "local_id": "C-1",
    "given_name": "Amy",
    "middle_names": "Jo",
    "family_name": "Example",
    "date_of_birth": dt.date(2012, 3, 4),
    "sex": "female",
    "address_line_1": "1 High Street",
    "postcode": "LS1 4AP",
    "nhs_number": "9434765919",
    "identifiers": {"MOSAIC": "M77"},
    "phone": "01632 960001",
    "service": "Children's social care",
    "involvement_type": "child_protection",
    "start_date": dt.date(2023, 4, 12),
    "end_date": None,
    "episode_status": "open",
    "rag": "red",
    "lead_practitioner": "Sam Social",
    "lead_contact": "sam@csc.example",
    "reason_codes": ["N1"],
    "outcome_codes": ["CP"],
    "note": "Home visit.",
}

LEVELS = [Detail.KNOWN_TO, Detail.RAG, Detail.CODED, Detail.FULL]


def _shown(detail: Detail) -> set[str]:
    return {k for k, v in involvement_fields(RECORD, detail).items() if v not in (None, [])}


def test_each_level_adds_to_the_one_below() -> None:
    assert _shown(Detail.KNOWN_TO) == {
        "service",
        "involvement_type",
        "start",
        "dates_precision",
        "status",
        "lead_practitioner",
        "lead_contact",
    }
    assert _shown(Detail.RAG) - _shown(Detail.KNOWN_TO) == {"rag"}
    assert _shown(Detail.CODED) - _shown(Detail.RAG) == {"reason_codes", "outcome_codes"}
    assert _shown(Detail.FULL) - _shown(Detail.CODED) == {"note", "record"}


def test_dates_are_to_the_month_below_full() -> None:
    for level in LEVELS[:-1]:
        assert involvement_fields(RECORD, level)["start"] == "2023-04"
    full = involvement_fields(RECORD, Detail.FULL)
    assert full["start"] == "2023-04-12" and full["dates_precision"] == "day"
    assert full["record"]["date_of_birth"] == "2012-03-04"
    assert full["record"]["identifiers"] == {"MOSAIC": "M77"}


def test_nothing_is_shaped_below_known_to() -> None:
    with pytest.raises(ValueError):
        involvement_fields(RECORD, Detail.NONE)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_birth_date_precision_grows_with_the_level(day: dt.date) -> None:
    shown = [birth_date_at(day, level) for level in LEVELS]
    assert shown == [
        f"{day.year:04d}",
        f"{day.year:04d}",
        day.strftime("%Y-%m"),
        day.isoformat(),
    ]
    # A finer value always starts with the coarser one: no level contradicts another.
    for coarse, fine in itertools.pairwise(shown):
        assert fine is not None and coarse is not None and fine.startswith(coarse)
    assert birth_date_at(day, Detail.NONE) is None


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("LS1 4AP", "LS1"), ("ls14ap", "LS1"), ("SW1A 1AA", "SW1A"), ("M1 1AE", "M1"), ("X", None)],
)
def test_postcode_district(postcode: str, district: str | None) -> None:
    assert postcode_district(postcode) == district


def test_summary_keeps_each_sources_level_and_drops_implied_values() -> None:
    other = {**RECORD, "given_name": "Amie", "date_of_birth": dt.date(2012, 3, 4)}
    summary = summarise_demographics([(RECORD, Detail.FULL), (other, Detail.KNOWN_TO)])
    assert summary.level == "full" and summary.sources == 2
    # "2012" from the known_to source adds nothing to "2012-03-04".
    assert summary.birth_dates == ["2012-03-04"]
    assert [(n.given, n.middle) for n in summary.names] == [("Amy", "Jo"), ("Amie", None)]
    assert summary.identifiers == {"nhs_number": ["9434765919"], "MOSAIC": ["M77"]}
    assert summary.addresses[0].lines == ("1 High Street",)


def test_summary_at_known_to_shows_name_and_birth_year_only() -> None:
    summary = summarise_demographics([(RECORD, Detail.KNOWN_TO), (RECORD, Detail.RAG)])
    assert summary.level == "rag" and summary.birth_dates == ["2012"]
    assert [(n.given, n.family, n.middle) for n in summary.names] == [("Amy", "Example", None)]
    assert not (summary.sex or summary.postcode_districts or summary.addresses)
    assert not (summary.identifiers or summary.phones or summary.emails)


def test_summary_shows_disagreements() -> None:
    older = {**RECORD, "date_of_birth": dt.date(2011, 3, 4)}
    summary = summarise_demographics([(RECORD, Detail.CODED), (older, Detail.CODED)])
    assert summary.birth_dates == ["2011-03", "2012-03"]
    assert summary.sex == ["female"] and summary.postcode_districts == ["LS1"]


def test_empty_summary_when_nothing_is_visible() -> None:
    summary = summarise_demographics([(RECORD, Detail.NONE)])
    assert summary.level == "none" and summary.sources == 0 and summary.names == []
