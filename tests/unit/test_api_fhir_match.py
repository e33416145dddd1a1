"""`Patient/$match` plumbing: Parameters in, core record out; candidates in, a searchset
Bundle with scores and match grades out (parsed with fhir.resources R4B)."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle

from joinedup.api.fhir import MATCH_GRADE_URL, NHS_NUMBER_SYSTEM
from joinedup.api.fhir.match import (
    MatchEntry,
    match_bundle,
    match_grade,
    parse_match_parameters,
)
from joinedup.errors import InvalidInput

PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "943 476 5919"}],
    "name": [{"use": "official", "family": "Example", "given": ["Amy", "Jo"]}],
    "gender": "female",
    "birthDate": "2012-03-04",
    "address": [{"line": ["1 High Street", "Northtown"], "postalCode": "LS1 4AP"}],
}


def parameters(*extra: dict) -> dict:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": PATIENT}, *extra],
    }


def test_parameters_become_a_core_record() -> None:
    request = parse_match_parameters(
        parameters(
            {"name": "count", "valueInteger": 3},
            {"name": "onlyCertainMatches", "valueBoolean": True},
        )
    )
    assert request.record == {
        "given_name": "Amy",
        "middle_names": "Jo",
        "family_name": "Example",
        "date_of_birth": dt.date(2012, 3, 4),
        "sex": "female",
        "address_line_1": "1 High Street",
        "address_line_2": "Northtown",
        "postcode": "LS1 4AP",
        "nhs_number": "9434765919",
    }
    assert (request.count, request.only_certain) == (3, True)


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Patient"},
        {"resourceType": "Parameters", "parameter": [{"name": "count", "valueInteger": 2}]},
        {"resourceType": "Parameters", "parameter": [{"name": "resource", "valueString": "x"}]},
        {"resourceType": "Parameters", "parameter": "not a list"},
        "text",
    ],
)
def test_malformed_parameters_are_refused(body) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        parse_match_parameters(body)


def test_count_is_bounded() -> None:
    with pytest.raises(InvalidInput, match="count"):
        parse_match_parameters(parameters({"name": "count", "valueInteger": 500}))


@pytest.mark.parametrize(
    ("p", "grade"),
    [
        (0.999, "certain"),
        (0.99, "certain"),
        (0.9, "probable"),
        (0.75, "possible"),
        (0.2, "certainly-not"),
    ],
)
def test_grades_follow_the_linkage_thresholds(p: float, grade: str) -> None:
    assert match_grade(p, lower=0.7, upper=0.99) == grade


def test_bundle_is_a_valid_searchset_best_first() -> None:
    entries = [
        MatchEntry({"resourceType": "Patient", "id": "4501717679"}, 0.8, "possible"),
        MatchEntry({"resourceType": "Patient", "id": "6297892503"}, 0.995, "certain"),
    ]
    body = match_bundle(entries, "https://hub.example/fhir/")
    bundle = Bundle.model_validate(body)
    assert bundle.type == "searchset" and bundle.total == 2
    first = bundle.entry[0]
    assert first.fullUrl == "https://hub.example/fhir/Patient/6297892503"
    assert float(first.search.score) == 0.995 and first.search.mode == "match"
    assert first.search.extension[0].url == MATCH_GRADE_URL
    assert first.search.extension[0].valueCode == "certain"
