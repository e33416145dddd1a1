"""What every synthetic partner shares: the agency interface, staff, episodes, codes and notes.

An agency decides who it knows (`select`), how it numbers its records (`local_ids`), which
identifiers it holds (`hold_identifiers`), how its extract looks (`render`, `write`) and the
mapping that reads the extract back into the core record format (`mapping`).
"""

from __future__ import annotations

import re
import string
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from joinedup.synth.corrupt import Records
from joinedup.synth.geography import Geography
from joinedup.synth.names import NamePools
from joinedup.synth.population import EXTRACT_DATE, Population

Table = dict[str, Any]  # column name -> list / array of values, in column order

EXTRACT_DAY = np.datetime64(EXTRACT_DATE.isoformat(), "D")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Context:
    """What agencies may read while rendering: the truth, the geography and name pools."""

    pop: Population
    geo: Geography
    pools: NamePools


class Agency(ABC):
    """One partner and the one extract it sends."""

    organisation: str
    organisation_name: str
    kind: str
    dataset: str
    dataset_name: str
    file_name: str
    key_identifier: str | None = None
    # identifiers this partner needs the population to have (NHS numbers are scarce)
    needs_nhs_number: bool = False

    @property
    def mapping_name(self) -> str:
        return f"{self.dataset}.mapping.yaml"

    @abstractmethod
    def select(self, pop: Population, rng: np.random.Generator) -> np.ndarray:
        """Indices of the people this partner has a record of."""

    @abstractmethod
    def local_ids(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n distinct sort keys and the matching local ids as the partner writes them."""

    @abstractmethod
    def hold_identifiers(self, rec: Records, ctx: Context, rng: np.random.Generator) -> None:
        """Fill rec.identifiers with the identifiers this partner holds ("" when not)."""

    @abstractmethod
    def render(self, rec: Records, ctx: Context, rng: np.random.Generator) -> Table:
        """The extract's columns, as the partner's system writes them."""

    @abstractmethod
    def mapping(self) -> dict[str, Any]:
        """The mapping file (docs/mappings.md) that reads the extract."""

    @abstractmethod
    def write(self, table: Table, path: Path) -> None:
        """Write the extract file."""


# --- helpers ---------------------------------------------------------------------------


def held(values: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """The values, blanked for the share of records that do not hold them."""
    out = values.copy()
    out[rng.random(len(values)) >= share] = ""
    return out


def pick(
    rng: np.random.Generator, options: Sequence[str], n: int, p: Sequence[float] | None = None
) -> np.ndarray:
    arr = np.array(list(options), dtype=object)
    if p is None:
        return arr[rng.integers(0, len(arr), size=n)]
    w = np.asarray(p, dtype=np.float64)
    return arr[rng.choice(len(arr), size=n, p=w / w.sum())]


def code_lists(
    rng: np.random.Generator,
    n: int,
    codes: Sequence[str],
    max_k: int,
    p_none: float = 0.0,
    sep: str = ";",
    first: np.ndarray | None = None,
) -> np.ndarray:
    """Lists of up to max_k distinct codes joined by `sep` ("" for the share p_none).

    `first`, when given, is a code per row put in front of the list (and kept when p_none).
    Rows draw from few distinct lists, so each distinct list is joined once and looked up.
    """
    arr = list(codes)
    size = len(arr)
    k = rng.integers(1, max_k + 1, size=n)
    draws = rng.integers(0, size, size=(n, max_k))
    none = rng.random(n) < p_none
    # each row's list as one number: its codes' indices in base size+1, `size` marking "no code"
    base = size + 1
    present = np.arange(max_k)[None, :] < k[:, None]
    combo = (np.where(present, draws, size) * base ** np.arange(max_k)).sum(axis=1) + 1
    combo[none] = 0
    leads: list[str] = []
    if first is not None:
        lead_values, lead_index = np.unique(np.asarray(first, dtype=object), return_inverse=True)
        leads = lead_values.tolist()
        combo = combo * len(leads) + lead_index
    keys, inverse = np.unique(combo, return_inverse=True)
    texts = []
    for key in keys.tolist():
        lead = None
        if leads:
            key, li = divmod(key, len(leads))
            lead = leads[li]
        parts: list[str] = []
        if key > 0:
            rest = key - 1
            for _ in range(max_k):
                rest, j = divmod(rest, base)
                if j < size:
                    parts.append(arr[j])
            parts = list(dict.fromkeys(parts))
        if lead is not None:
            parts.insert(0, lead)
        texts.append(sep.join(parts))
    result: np.ndarray = np.array(texts, dtype=object)[inverse.reshape(-1)]
    return result


def format_dates(d: np.ndarray, fmt: str) -> np.ndarray:
    """Dates as text in a strptime-style format (%d %m %Y %b); NaT gives "".

    Each distinct day is formatted once (a run's dates span a few tens of thousands of days,
    its rows millions) and the texts are looked up by day.
    """
    days = np.asarray(d, dtype="datetime64[D]")
    nat = np.isnat(days)
    if nat.all():
        return np.full(len(days), "", dtype=object)
    number = days.astype(np.int64)
    low = int(number[~nat].min())
    high = int(number[~nat].max())
    span = np.arange(low, high + 1).astype("datetime64[D]")
    table = np.append(_format_each(span, fmt), "").astype(object)
    index = np.where(nat, len(table) - 1, number - low)
    result: np.ndarray = table[index]
    return result


def _format_each(d: np.ndarray, fmt: str) -> np.ndarray:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    pattern = (
        fmt.replace("{", "{{")
        .replace("}", "}}")
        .replace("%d", "{2:02d}")
        .replace("%m", "{1:02d}")
        .replace("%Y", "{0:04d}")
        .replace("%b", "{3}")
    )
    out = [
        pattern.format(yy, mm, dd, MONTH_ABBR[mm - 1])
        for yy, mm, dd in zip(y.tolist(), m.tolist(), day.tolist(), strict=True)
    ]
    return np.array(out, dtype=object)


def episode_dates(
    rng: np.random.Generator,
    dob: np.ndarray,
    years_back: float,
    p_open: np.ndarray | float,
    duplicate: np.ndarray,
    min_days: int = 14,
    max_days: int = 720,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (NaT while open) and open/closed for episodes in the last `years_back` years.

    Episodes start on or after the date of birth and before the extract date; a closed one
    ends on or before the day before the extract. A duplicate record is the older, forgotten
    one: its episode is always closed.
    """
    n = len(dob)
    last = EXTRACT_DAY - np.timedelta64(1, "D")
    earliest = np.minimum(
        np.maximum(dob, EXTRACT_DAY - np.timedelta64(int(years_back * 365), "D")), last
    )
    span = (last - earliest).astype(np.int64) + 1
    start = earliest + (rng.random(n) * span).astype(np.int64).astype("timedelta64[D]")
    length = rng.integers(min_days, max_days, size=n).astype("timedelta64[D]")
    is_open = (rng.random(n) < p_open) & ~duplicate
    end = np.where(is_open, np.datetime64("NaT", "D"), np.minimum(start + length, last))
    return start, end.astype("datetime64[D]"), is_open


@dataclass(frozen=True)
class Staff:
    """Practitioners of one partner: names, e-mail addresses and team phone numbers."""

    names: np.ndarray
    emails: np.ndarray
    phones: np.ndarray

    def assign(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, len(self.names), size=n)


def email_part(text: str) -> str:
    """A name as it appears in an e-mail address: lower case letters only."""
    return re.sub(r"[^a-z]", "", text.lower())


def make_staff(
    rng: np.random.Generator, pools: NamePools, n: int, domain: str, phone_block: int
) -> Staff:
    """n practitioners; team phones are fictional (Ofcom's 01632 960xxx drama range)."""
    origin = rng.choice(len(pools.origins), size=n, p=pools.origin_p)
    female = rng.random(n) < 0.7
    given = np.empty(n, dtype=object)
    family = np.empty(n, dtype=object)
    for o, name in enumerate(pools.origins):
        m = origin == o
        family[m] = pools.family[name].sample(rng, int(m.sum()))
        for sex_mask, pool in ((female, pools.female[name]), (~female, pools.male[name])):
            mm = m & sex_mask
            given[mm] = pool.sample(rng, int(mm.sum()))
    names = np.array(
        [f"{g} {f}" for g, f in zip(given.tolist(), family.tolist(), strict=True)], dtype=object
    )
    seen: dict[str, int] = {}
    emails = []
    for g, f in zip(given.tolist(), family.tolist(), strict=True):
        local = f"{email_part(g)}.{email_part(f)}"
        seen[local] = seen.get(local, 0) + 1
        suffix = "" if seen[local] == 1 else str(seen[local])
        emails.append(f"{local}{suffix}@{domain}")
    teams = max(1, min(50, n // 8))
    team = rng.integers(0, teams, size=n)
    phones = np.array([f"01632 96{phone_block + t:04d}" for t in team.tolist()], dtype=object)
    return Staff(names=names, emails=np.array(emails, dtype=object), phones=phones)


def staff_count(rows: int, per: int = 30, low: int = 6, high: int = 1500) -> int:
    return int(min(high, max(low, rows // per)))


def compose_notes(
    rng: np.random.Generator, n: int, templates: Sequence[str], slots: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """Free-text notes: a template per row with its {slots} filled at random."""
    t = rng.integers(0, len(templates), size=n)
    choices = {
        k: np.array(list(v), dtype=object)[rng.integers(0, len(v), size=n)]
        for k, v in slots.items()
    }
    out = np.empty(n, dtype=object)
    for i, template in enumerate(templates):
        rows = np.flatnonzero(t == i)
        names = list(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))
        if not names:
            out[rows] = template
            continue
        positional = template
        for k, name in enumerate(names):
            positional = positional.replace("{" + name + "}", "{" + str(k) + "}")
        columns = [choices[name][rows].tolist() for name in names]
        out[rows] = [positional.format(*values) for values in zip(*columns, strict=True)]
    return out


def spaced_ni_numbers(values: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """NI numbers, the given share of them written with spaces (`AB 12 34 56 C`)."""
    spaced = (rng.random(len(values)) < share).tolist()
    return np.array(
        [
            f"{v[:2]} {v[2:4]} {v[4:6]} {v[6:8]} {v[8:]}" if s and len(v) == 9 else v
            for v, s in zip(values.tolist(), spaced, strict=True)
        ],
        dtype=object,
    )


def sex_codes(sex: np.ndarray, codes: dict[str, str]) -> np.ndarray:
    """Core sex codes to the partner's own codes ("" stays blank: a missing value)."""
    out = np.full(len(sex), "", dtype=object)
    for core, own in codes.items():
        out[sex == core] = own
    return out


def sex_lookup(codes: dict[str, str]) -> dict[str, str]:
    return {own: core for core, own in codes.items()}


def random_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct integers in [low, high)."""
    return low + rng.choice(high - low, size=n, replace=False)


@dataclass(frozen=True)
class Practices:
    """The locality's GP practices: three per ward, each with a code, a name and a phone."""

    codes: np.ndarray
    names: np.ndarray
    phones: np.ndarray
    ward_first: dict[str, int]  # ward code -> index of its first practice

    def of(self, ctx: Context, persons: np.ndarray) -> np.ndarray:
        """Each person's practice (index): by ward of the current address; a household shares
        one practice."""
        pop = ctx.pop
        pc = pop.addresses.postcode_idx[pop.address[persons]]
        first = np.array([self.ward_first[w] for w in ctx.geo.ward_code.tolist()])[pc]
        result: np.ndarray = first + pop.household[persons] % PRACTICES_PER_WARD
        return result


PRACTICES_PER_WARD = 3
PRACTICE_NAMES = ("{} Medical Centre", "{} Surgery", "The {} Practice")


def practices(geo: Geography) -> Practices:
    """Three practices per ward; fictional codes `FEN101`, ... and phones 01632 9609xx."""
    wards = sorted(set(zip(geo.ward_code.tolist(), geo.ward_name.tolist(), strict=True)))
    codes, names, phones = [], [], []
    for w, (_, ward_name) in enumerate(wards):
        for k, pattern in enumerate(PRACTICE_NAMES):
            i = w * PRACTICES_PER_WARD + k
            codes.append(f"FEN{101 + i:03d}")
            names.append(pattern.format(ward_name))
            phones.append(f"01632 960{900 + i % 100:03d}")
    return Practices(
        codes=np.array(codes, dtype=object),
        names=np.array(names, dtype=object),
        phones=np.array(phones, dtype=object),
        ward_first={code: w * PRACTICES_PER_WARD for w, (code, _) in enumerate(wards)},
    )
