"""Validation of single values: identifiers, postcodes, dates, codes, text."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.gb import nhs, upn

from joinedup.domain import identifiers as ids
from joinedup.domain.core_format import core_format
from joinedup.domain.validation import check_record, check_value, parse_date

FMT = core_format(1)
AS_OF = dt.date(2025, 3, 31)


def check(field: str, value: str | list[str] | None, **kw: object):  # type: ignore[no-untyped-def]
    return check_value(FMT.field(field), value, as_of=AS_OF, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919"])
def test_valid_nhs_numbers_are_normalised(value: str) -> None:
    assert check("nhs_number", value).typed == "9434765919"
    assert nhs.is_valid(value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("9434765918", "invalid_check_digit"),
        ("943476591", "invalid_format"),
        ("94347659XX", "invalid_format"),
    ],
)
def test_invalid_nhs_numbers_are_flagged(value: str, problem: str) -> None:
    assert check("nhs_number", value).problem == problem
    assert check("nhs_number", value).typed is None


def test_upn_agrees_with_stdnum() -> None:
    assert check("upn", "B801200005001").typed == "B801200005001"
    assert check("upn", "A801200005001").problem == "invalid_check_digit"
    assert check("upn", "E000200005001").problem == "unknown_la_number"
    assert check("upn", "X80120000A001").problem == "invalid_format"
    assert not upn.is_valid("A801200005001")


def test_uln_check() -> None:
    # digits weighted 10..1 must sum to 10 mod 11
    good = "1234567899"
    assert ids.uln_check_ok(good)
    assert check("uln", good).typed == good
    assert check("uln", "1234567898").problem == "invalid_check_digit"
    assert check("uln", "0234567899").problem == "invalid_format"


@pytest.mark.parametrize(
    ("value", "typed"),
    [("AB123456C", "AB123456C"), ("ab 12 34 56 c", "AB123456C"), ("WL 68 92 35 B", "WL689235B")],
)
def test_ni_numbers(value: str, typed: str) -> None:
    assert check("ni_number", value).typed == typed


@pytest.mark.parametrize("value", ["GB123456A", "DA123456A", "AB123456E", "AB12345C", "QQ123456C"])
def test_bad_ni_numbers(value: str) -> None:
    assert check("ni_number", value).problem == "invalid_format"


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        ("fe8 2fj", "FE8 2FJ"),
        ("FE15BR", "FE1 5BR"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_postcodes_are_normalised(value: str, typed: str) -> None:
    assert check("postcode", value).typed == typed


@pytest.mark.parametrize("value", ["FEI 23XA", "12345", "FE8 2FC", "QA1 1AA"])
def test_bad_postcodes(value: str) -> None:
    assert check("postcode", value).problem == "invalid_format"


def test_dates_parse_iso_or_the_mapping_formats() -> None:
    assert parse_date("2012-03-04") == dt.date(2012, 3, 4)
    assert parse_date("2012-03-04 00:00:00") == dt.date(2012, 3, 4)
    assert parse_date("04/03/2012") is None
    assert parse_date("04/03/2012", ["%Y-%m-%d", "%d/%m/%Y"]) == dt.date(2012, 3, 4)
    assert parse_date("2012-02-30") is None


def test_birth_dates_must_be_plausible() -> None:
    assert check("date_of_birth", "2025-04-01").problem == "future_date"
    assert check("date_of_birth", "1905-01-01").problem == "too_old"
    assert check("date_of_birth", "1905-04-01").typed == dt.date(1905, 4, 1)
    assert check("date_of_birth", "31/12/2000").problem == "invalid_date"


def test_episode_dates_and_end_before_start() -> None:
    out = check_record(FMT, {"start_date": "2024-05-01", "end_date": "2024-04-30"}, as_of=AS_OF)
    assert out.problems == {"end_date": "end_before_start"}
    assert out.typed["end_date"] is None and out.typed["start_date"] == dt.date(2024, 5, 1)
    assert check("start_date", "1899-12-31").problem == "out_of_range"
    assert check("start_date", "2026-04-01").problem == "out_of_range"
    assert check("end_date", "2030-01-01").problem is None


def test_codes_forgive_case_spaces_and_hyphens() -> None:
    assert check("involvement_type", "Child in need").typed == "child_in_need"
    assert check("sex", "FEMALE").typed == "female"
    assert check("sex", "F").problem == "not_in_code_list"
    assert check("rag", "purple").problem == "not_in_code_list"


def test_code_lists_keep_the_good_codes() -> None:
    assert check("reason_codes", ["N5", "8F"]).typed == ["N5", "8F"]
    bad = check("reason_codes", ["N5", "bad code!"])
    assert bad.problem == "invalid_code" and bad.typed == ["N5"]


def test_text_is_collapsed_length_limited_and_encoding_checked() -> None:
    assert check("given_name", "Mary  Ann").typed == "Mary Ann"
    assert check("given_name", "x" * 256).problem == "too_long"
    assert check("family_name", "Zo\ufffd").problem == "undecodable"
    note = "line one\n  line two"
    assert check("note", note).typed == note


def test_html_sql_and_formulas_are_just_text() -> None:
    for value in [
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE source_records;--",
        "=cmd|' /C calc'!A0",
    ]:
        assert check("family_name", value).typed == value


def test_email_and_phone() -> None:
    assert check("email", "A.Smith@Mail.Example").typed == "a.smith@mail.example"
    assert check("email", "not an email").problem == "invalid_format"
    assert check("phone", "+44 (0)1632 960123").problem == "invalid_format"
    assert check("phone", "+44 1632 960123").typed == "01632960123"
    assert check("phone", "01632 960 123").typed == "01632960123"


def test_missing_is_not_a_problem() -> None:
    assert check("nhs_number", None).problem is None
