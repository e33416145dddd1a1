"""Person numbers: format, ULN check rule, CSPRNG draws, uniqueness."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from joinedup.domain.person_number import (
    check_digit,
    draw_person_number,
    draw_person_numbers,
    explain_invalid,
    is_valid_person_number,
)


def _weighted_sum(number: str) -> int:
    return sum(w * int(d) for w, d in zip(range(10, 0, -1), number, strict=True))


def test_drawn_numbers_follow_the_uln_rule() -> None:
    for _ in range(2000):
        number = draw_person_number()
        assert len(number) == 10 and number.isdigit()
        assert number[0] != "0"
        assert _weighted_sum(number) % 11 == 10
        assert is_valid_person_number(number)


def test_a_known_uln_is_valid_and_a_changed_digit_is_not() -> None:
    # 9,9,9,9,9,9,9,9,9 -> weights 10..2 sum to 9*54 = 486; 486 + d = 10 (mod 11) -> d = 8.
    assert check_digit("999999999") == 8
    assert is_valid_person_number("9999999998")
    assert not is_valid_person_number("9999999997")
    assert "check digit" in (explain_invalid("9999999997") or "")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_check_digit_makes_any_nine_digits_valid_or_reports_none(first_nine: str) -> None:
    digit = check_digit(first_nine)
    if digit is None:
        # No single digit can close the sum: every candidate fails.
        assert all(_weighted_sum(first_nine + str(d)) % 11 != 10 for d in range(10))
    else:
        assert _weighted_sum(first_nine + str(digit)) % 11 == 10


@given(st.text(max_size=12))
def test_validity_agrees_with_the_rule_for_any_text(value: str) -> None:
    expected = (
        len(value) == 10
        and all(c in "0123456789" for c in value)
        and value[0] != "0"
        and _weighted_sum(value) % 11 == 10
    )
    assert is_valid_person_number(value) is expected
    assert (explain_invalid(value) is None) is expected


def test_rejects_leading_zero_letters_and_wrong_length() -> None:
    assert "starts with 0" in (explain_invalid("0123456789") or "")
    assert "characters" in (explain_invalid("12345678X9") or "")
    assert "10 digits" in (explain_invalid("123") or "")
    assert not is_valid_person_number("１２３４５６７８９０")  # full-width digits


def test_batches_are_unique_and_avoid_excluded_numbers() -> None:
    first = draw_person_numbers(5000)
    assert len(set(first)) == 5000
    second = draw_person_numbers(5000, exclude=set(first))
    assert not set(first) & set(second)


def test_draws_are_spread_over_the_first_digit() -> None:
    firsts = {n[0] for n in draw_person_numbers(3000)}
    assert firsts == set("123456789")
