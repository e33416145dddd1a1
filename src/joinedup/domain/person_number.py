"""Person numbers: 10 digits, first not 0, valid under the ULN check rule, drawn from a CSPRNG.

The ULN rule: weight the ten digits 10, 9, ..., 1; the weighted sum is 10 modulo 11. Nine
digits are drawn at random and the tenth (weight 1) is solved for; when the solution would be
10 (not a digit) the draw is discarded. Uniqueness against numbers already issued is the
caller's concern (it knows the store); `draw_person_numbers` only avoids duplicates within one
draw and against the `exclude` set it is given.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
LENGTH = 10


def check_digit(first_nine: str) -> int | None:
    """The tenth digit that makes `first_nine` + digit valid, or None when no digit does."""
    if len(first_nine) != LENGTH - 1 or not first_nine.isdigit():
        raise ValueError("need exactly nine digits")
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_nine, strict=False))
    digit = (10 - total) % 11
    return digit if digit < 10 else None


def is_valid_person_number(value: str) -> bool:
    """True when `value` is 10 ASCII digits, the first not 0, and the ULN check holds."""
    if len(value) != LENGTH or not value.isascii() or not value.isdigit() or value[0] == "0":
        return False
    return sum(w * int(d) for w, d in zip(WEIGHTS, value, strict=True)) % 11 == 10


def explain_invalid(value: str) -> str | None:
    """Why `value` is not a person number (None when it is one)."""
    if len(value) != LENGTH:
        return f"has {len(value)} characters; a person number has {LENGTH} digits"
    if not value.isascii() or not value.isdigit():
        return "contains characters other than the digits 0-9"
    if value[0] == "0":
        return "starts with 0"
    if not is_valid_person_number(value):
        return "check digit does not match (weighted sum is not 10 modulo 11)"
    return None


def draw_person_number() -> str:
    """One fresh person number from the operating system's CSPRNG."""
    while True:
        # Nine digits in one draw: 100000000..999999999 keeps the first digit non-zero.
        first_nine = str(100_000_000 + secrets.randbelow(900_000_000))
        digit = check_digit(first_nine)
        if digit is not None:
            return f"{first_nine}{digit}"


def draw_person_numbers(count: int, exclude: Collection[str] = frozenset()) -> list[str]:
    """`count` distinct new person numbers, none of them in `exclude`."""
    if count < 0:
        raise ValueError("count must not be negative")
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        number = draw_person_number()
        if number in seen or number in exclude:
            continue
        seen.add(number)
        out.append(number)
    return out
