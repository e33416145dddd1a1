"""Vectorised generation of the identifiers partners hold: NHS number, UPN, ULN, NI number.

All are fictional but valid: NHS numbers come from the 999 test range (then 998, 997, ... for
runs that need more than its ~909,000 numbers; no number starting with 9 has ever been issued to
a patient) and pass the modulus 11 check; UPNs pass `stdnum.gb.upn`; ULNs follow the ULN rule (ten digits, first not 0, digits
weighted 10..1 sum to 10 mod 11); NI numbers have a valid prefix, six digits and a suffix A-D.
Each function returns unique values for one run.
"""

from __future__ import annotations

import numpy as np

WEIGHTS_10 = np.arange(10, 1, -1, dtype=np.int64)  # 10..2 for the first nine digits

NHS_TEST_PREFIX = 999
# The 999 range is reserved for test data; when a run needs more numbers it continues downwards
# through other never-issued 9xx ranges (patients' numbers start 3, 4, 6 or 7; Scotland's CHI
# numbers 0-3).
NHS_PREFIXES = tuple(range(NHS_TEST_PREFIX, 989, -1))
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"
# A local authority number stdnum knows (the fictional locality borrows it).
UPN_LA_NUMBER = 873

# NI number prefixes: first letter not D F I Q U V; second not D F I O Q U V; some pairs unused.
_NI_FIRST = [c for c in "ABCEGHJKLMNOPRSTWXYZ"]
_NI_SECOND = [c for c in "ABCEGHJKLMNPRSTWXYZ"]
_NI_EXCLUDED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
NI_PREFIXES = np.array(
    [a + b for a in _NI_FIRST for b in _NI_SECOND if a + b not in _NI_EXCLUDED], dtype=object
)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Digit matrix (n, width) of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    if len(values) == 0:
        return np.array([], dtype=object)
    return np.char.zfill(values.astype(f"U{width}"), width).astype(object)


def nhs_pool_size(prefix: int = NHS_TEST_PREFIX) -> int:
    """How many valid NHS numbers one 3-digit range (999 by default) holds."""
    bases = prefix * 1_000_000 + np.arange(1_000_000, dtype=np.int64)
    return int((_nhs_check(bases) < 10).sum())


def _nhs_check(first_nine: np.ndarray) -> np.ndarray:
    total = np.zeros(len(first_nine), dtype=np.int64)
    rest = first_nine.copy()
    for weight in range(2, 11):  # the last digit has weight 2, the first 10
        total += (rest % 10) * weight
        rest //= 10
    check: np.ndarray = (11 - total % 11) % 11
    return check  # 10 means no valid number


def nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """Up to `count` distinct valid NHS numbers: the 999 range in random order, then 998, ...

    Fewer than `count` only when every range in NHS_PREFIXES is used up (about 9 million).
    """
    parts: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    have = 0
    for prefix in NHS_PREFIXES:
        if have >= count:
            break
        bases = prefix * 1_000_000 + rng.permutation(1_000_000).astype(np.int64)
        check = _nhs_check(bases)
        ok = check < 10
        values = (bases[ok] * 10 + check[ok])[: count - have]
        parts.append(values)
        have += len(values)
    return _zfill(np.concatenate(parts), 10)


def uln_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct valid ULNs."""
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    have = 0
    seen: set[int] = set()
    while have < count:
        need = int((count - have) * 1.15) + 16
        bases = rng.integers(100_000_000, 1_000_000_000, size=need, dtype=np.int64)
        bases = np.unique(bases)
        rng.shuffle(bases)
        total = (_digits(bases, 9) * WEIGHTS_10).sum(axis=1)
        check = (10 - total) % 11
        ok = check < 10
        values = bases[ok] * 10 + check[ok]
        fresh = np.array([v for v in values.tolist() if v not in seen], dtype=np.int64)
        seen.update(fresh.tolist())
        out.append(fresh)
        have += len(fresh)
    return _zfill(np.concatenate(out)[:count], 10)


def is_valid_uln(value: str) -> bool:
    if len(value) != 10 or not value.isdigit() or value[0] == "0":
        return False
    return sum(w * int(d) for w, d in zip(range(10, 0, -1), value, strict=True)) % 11 == 10


def upn_numbers(issue_year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One distinct UPN per child, issued in `issue_year` (4-digit years).

    A UPN is check letter + LA number + DfE establishment number + 2-digit issue year + a
    3-digit serial. Serials run 001-900 per issuing establishment and year; children are spread
    over establishment numbers 2001, 2002, ... so no (establishment, year, serial) repeats.
    """
    n = len(issue_year)
    if n == 0:
        return np.array([], dtype=object)
    order = rng.permutation(n)
    years = issue_year[order]
    # rank of each child within its issue year
    sort = np.argsort(years, kind="stable")
    sorted_years = years[sort]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_years)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank_sorted = np.arange(n) - group_start
    rank = np.empty(n, dtype=np.int64)
    rank[sort] = rank_sorted
    estab = 2001 + rank // 900
    serial = rank % 900 + 1
    body = (
        UPN_LA_NUMBER * 10**9 + estab * 10**5 + (years % 100) * 10**3 + serial
    )  # 12 digits: LA(3) estab(4) year(2) serial(3)
    digits = _digits(body, 12)
    # stdnum: sum(i * alphabet.index(c)) for i from 2, mod 23; a digit d sits at index 23 + d.
    weights = np.arange(2, 14, dtype=np.int64)
    check = ((digits + 23) * weights).sum(axis=1) % 23
    letters = np.array(list(UPN_ALPHABET[:23]), dtype=object)[check]
    result = np.empty(n, dtype=object)
    result[order] = [f"{c}{b:012d}" for c, b in zip(letters.tolist(), body.tolist(), strict=True)]
    return result


def ni_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct National Insurance numbers in a valid format, e.g. `JT482913B`."""
    space = len(NI_PREFIXES) * 1_000_000
    picks = rng.choice(space, size=count, replace=False)
    prefix = NI_PREFIXES[picks // 1_000_000]
    number = picks % 1_000_000
    suffix = np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, size=count)]
    return np.array(
        [
            f"{p}{n:06d}{s}"
            for p, n, s in zip(prefix.tolist(), number.tolist(), suffix.tolist(), strict=True)
        ],
        dtype=object,
    )
