"""Partner records as views of the population, and the errors real records have.

`make_records` turns the people a partner knows into rows (some people twice: a duplicate
record with its own local id); `apply_errors` then damages the rows at the configured rates
and logs every change in an `ErrorLog`, so tests and linkage scoring can see exactly what was
done. Errors are applied in a fixed order (old address, family name change, nickname, typo,
swapped names, transposed and mistyped dates of birth, postcode typo, identifier typo,
missing values); each decides eligibility from the true values, draws one random number per
row and edits the value as recorded so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from joinedup.synth.geography import UNIT_LETTERS, Geography
from joinedup.synth.names import NICKNAMES
from joinedup.synth.population import EXTRACT_DATE, Population
from joinedup.synth.rates import ErrorRates

IDENTIFIER_FIELDS = ("nhs_number", "upn", "uln", "ni_number")


@dataclass
class Records:
    """The core values one partner holds, one entry per row of its extract."""

    person: np.ndarray  # index into the population
    local_id: np.ndarray
    duplicate: np.ndarray  # True for the second record of a person
    given_name: np.ndarray
    middle_names: np.ndarray
    family_name: np.ndarray
    date_of_birth: np.ndarray  # datetime64[D], NaT when missing
    sex: np.ndarray  # core code or "" when missing
    address: np.ndarray  # index into population.addresses
    address_line_1: np.ndarray
    locality: np.ndarray
    post_town: np.ndarray
    postcode: np.ndarray
    uprn: np.ndarray
    identifiers: dict[str, np.ndarray] = field(default_factory=dict)  # "" when not held

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class ErrorLog:
    """Every change made to a record: (row, field, error, original, recorded)."""

    rows: list[np.ndarray] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    original: list[np.ndarray] = field(default_factory=list)
    recorded: list[np.ndarray] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(
        self, rows: np.ndarray, field_name: str, error: str, before: np.ndarray, after: np.ndarray
    ) -> None:
        if len(rows):
            self.rows.append(rows)
            self.fields.append(field_name)
            self.errors.append(error)
            self.original.append(before)
            self.recorded.append(after)

    def count(self, error: str, eligible: int, applied: int) -> None:
        entry = self.counts.setdefault(error, {"eligible": 0, "applied": 0})
        entry["eligible"] += int(eligible)
        entry["applied"] += int(applied)

    def entries(self) -> list[tuple[int, str, str, str, str]]:
        """(row, field, error, original, recorded) in the order applied."""
        out: list[tuple[int, str, str, str, str]] = []
        for rows, fld, err, before, after in self.chunks():
            out.extend(
                (r, fld, err, b, a) for r, b, a in zip(rows.tolist(), before, after, strict=True)
            )
        return out

    def chunks(self) -> Iterator[tuple[np.ndarray, str, str, list[str], list[str]]]:
        """(rows, field, error, originals, recordeds) per batch of changes, in the order
        applied; values as text (dates ISO, blanks "")."""
        for rows, fld, err, before, after in zip(
            self.rows, self.fields, self.errors, self.original, self.recorded, strict=True
        ):
            yield rows, fld, err, _texts(before), _texts(after)


def _texts(values: np.ndarray) -> list[str]:
    if values.dtype.kind == "M":
        days = values.astype("datetime64[D]")
        text = np.datetime_as_string(days, unit="D").astype(object)
        text[np.isnat(days)] = ""
        result: list[str] = text.tolist()
        return result
    return [_text(v) for v in values.tolist()]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    return str(value)


def make_records(
    persons: np.ndarray,
    pop: Population,
    geo: Geography,
    duplicate_rate: float,
    rng: np.random.Generator,
    local_ids: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
    log: ErrorLog,
) -> Records:
    """Rows for the people a partner knows, with duplicates, ordered by local id.

    `local_ids(rng, n)` returns n distinct sort keys and the ids as the partner writes them.
    """
    dup = rng.random(len(persons)) < duplicate_rate
    log.count("duplicate", len(persons), int(dup.sum()))
    person = np.concatenate([persons, persons[dup]])
    duplicate = np.r_[np.zeros(len(persons), dtype=bool), np.ones(int(dup.sum()), dtype=bool)]
    keys, ids = local_ids(rng, len(person))
    order = np.argsort(keys, kind="stable")
    person, duplicate, ids = person[order], duplicate[order], ids[order]
    address = pop.address[person]
    pc = pop.addresses.postcode_idx[address]
    return Records(
        person=person,
        local_id=ids,
        duplicate=duplicate,
        given_name=pop.given_name[person].copy(),
        middle_names=pop.middle_names[person].copy(),
        family_name=pop.family_name[person].copy(),
        date_of_birth=pop.date_of_birth[person].copy(),
        sex=pop.sex[person].copy(),
        address=address,
        address_line_1=pop.addresses.line_1[address].copy(),
        locality=geo.locality[pc].copy(),
        post_town=geo.post_town[pc].copy(),
        postcode=geo.postcode[pc].copy(),
        uprn=pop.addresses.uprn[address].copy(),
    )


# --- the errors --------------------------------------------------------------------------

_KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr",
    "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zcs",
    "c": "xvd", "v": "cbf", "b": "vng", "n": "bmh", "m": "nj",
}  # fmt: skip


def typo(value: str, r: np.ndarray) -> str:
    """One typing error in `value`, driven by the four uniform numbers in `r`."""
    if not value:
        return value
    n = len(value)
    op = int(r[0] * 4) if n > 2 else int(r[0] * 2) * 3  # short names: substitute or double
    pos = min(int(r[1] * n), n - 1)
    if op == 0 and n > 1:  # omission
        out = value[:pos] + value[pos + 1 :]
    elif op == 1 and n > 1:  # adjacent transposition
        pos = min(pos, n - 2)
        out = value[:pos] + value[pos + 1] + value[pos] + value[pos + 2 :]
    elif op == 2:  # doubling
        out = value[: pos + 1] + value[pos] + value[pos + 1 :]
    else:  # substitution by a neighbouring key
        ch = value[pos]
        near = _KEYBOARD.get(ch.lower(), "aeiou")
        new = near[min(int(r[2] * len(near)), len(near) - 1)]
        out = value[:pos] + (new.upper() if ch.isupper() else new) + value[pos + 1 :]
    if out == value or not out:  # e.g. transposing "ll": fall back to doubling
        out = value[: pos + 1] + value[pos] + value[pos + 1 :]
    return out


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, day


def _date(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = (y - 1970) * 12 + (m - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    last_day = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype(
        np.int64
    )
    result: np.ndarray = first + (np.minimum(d, last_day) - 1).astype("timedelta64[D]")
    return result


def dob_typo(dob: np.ndarray, r: np.ndarray, latest: np.datetime64) -> np.ndarray:
    """A mistyped date (never the same date, never after `latest`), one row of r per date.

    Modes: a day or two off, the year off by one, the year off by ten, the month off by one.
    """
    y, m, d = _ymd(dob)
    mode = (r[:, 0] * 4).astype(np.int64)
    sign = np.where(r[:, 1] < 0.5, -1, 1)

    def shifted(s: np.ndarray) -> np.ndarray:
        day_shift = dob + (s * (1 + (r[:, 2] * 2).astype(np.int64))).astype("timedelta64[D]")
        month = np.where((m + s < 1) | (m + s > 12), m - s, m + s)
        return np.select(
            [mode == 0, mode == 1, mode == 2],
            [day_shift, _date(y + s, m, d), _date(y + 10 * s, m, d)],
            _date(y, month, d),
        )

    out = shifted(sign)
    too_late = out > latest
    if too_late.any():
        out = np.where(too_late, shifted(-sign), out)
    return out


def transpose_dob(dob: np.ndarray) -> np.ndarray:
    y, m, d = _ymd(dob)
    return _date(y, d, m)


def postcode_typo(value: str, r: np.ndarray) -> str:
    if not value or " " not in value:
        return value
    outward, inward = value.split(" ", 1)
    mode = int(r[0] * 4)
    if mode == 2 and ("0" in value or "1" in value):
        return value.replace("0", "O", 1) if "0" in value else value.replace("1", "I", 1)
    if mode == 3 and len(inward) == 3 and inward[1] != inward[2]:
        return f"{outward} {inward[0]}{inward[2]}{inward[1]}"
    if mode == 1 and len(inward) == 3:
        digit = str((int(inward[0]) + 1 + int(r[1] * 8)) % 10)
        return f"{outward} {digit}{inward[1:]}"
    letters = UNIT_LETTERS.replace(inward[-1], "")
    return f"{outward} {inward[:-1]}{letters[min(int(r[1] * len(letters)), len(letters) - 1)]}"


def identifier_typo(value: str, r: np.ndarray) -> str:
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if len(digits) < 2:
        return value
    chars = list(value)
    k = min(int(r[1] * (len(digits) - 1)), len(digits) - 2)
    a, b = digits[k], digits[k + 1]
    if r[0] < 0.5 and chars[a] != chars[b]:
        chars[a], chars[b] = chars[b], chars[a]
    else:
        chars[a] = str((int(chars[a]) + 1 + int(r[2] * 8)) % 10)
    return "".join(chars)


def _nicknames(names: np.ndarray, r: np.ndarray) -> np.ndarray:
    out = []
    for name, x in zip(names.tolist(), r.tolist(), strict=True):
        options = NICKNAMES[name]
        out.append(options[min(int(x * len(options)), len(options) - 1)])
    return np.array(out, dtype=object)


def apply_errors(
    rec: Records,
    pop: Population,
    geo: Geography,
    rates: ErrorRates,
    rng: np.random.Generator,
    log: ErrorLog,
    key_identifier: str | None,
) -> None:
    """Damage the records in place at the configured rates; log every change."""
    n = len(rec)
    person = rec.person

    def draw(rate: float, eligible: np.ndarray, name: str) -> np.ndarray:
        hit = eligible & (rng.random(n) < rate)
        log.count(name, int(eligible.sum()), int(hit.sum()))
        return np.flatnonzero(hit)

    def aux(k: int, rows: np.ndarray) -> np.ndarray:
        # the extra random numbers for the chosen rows come from one block per error, drawn
        # for all rows so that each row's numbers do not depend on the others' choices
        block: np.ndarray = rng.random((n, k))[rows]
        return block

    everyone = np.ones(n, dtype=bool)

    # old address: the partner was never told about the move
    prev = pop.previous_address[person]
    rows = draw(rates.old_address, prev >= 0, "old_address")
    old = prev[rows]
    old_pc = pop.addresses.postcode_idx[old]
    for fld, new in (
        ("address_line_1", pop.addresses.line_1[old]),
        ("postcode", geo.postcode[old_pc]),
    ):
        current = getattr(rec, fld)
        log.add(rows, fld, "old_address", current[rows].copy(), new)
        current[rows] = new
    rec.address[rows] = old
    rec.locality[rows] = geo.locality[old_pc]
    rec.post_town[rows] = geo.post_town[old_pc]
    rec.uprn[rows] = pop.addresses.uprn[old]

    # family name change: the former name, or former and current hyphenated
    former = pop.previous_family_name[person]
    rows = draw(rates.family_name_change, former != "", "family_name_change")
    r = aux(1, rows)[:, 0]
    current = rec.family_name[rows]
    prior = former[rows]
    new = np.array(
        [
            p if (x < 0.6 or p in c.split("-")) else f"{p}-{c}"
            for p, c, x in zip(prior.tolist(), current.tolist(), r.tolist(), strict=True)
        ],
        dtype=object,
    )
    log.add(rows, "family_name", "family_name_change", current.copy(), new)
    rec.family_name[rows] = new

    # nickname
    has_nick = np.array([g in NICKNAMES for g in pop.given_name[person].tolist()], dtype=bool)
    rows = draw(rates.nickname, has_nick, "nickname")
    new = _nicknames(pop.given_name[person][rows], aux(1, rows)[:, 0])
    log.add(rows, "given_name", "nickname", rec.given_name[rows].copy(), new)
    rec.given_name[rows] = new

    # typo in the given or the family name
    rows = draw(rates.typo, everyone, "typo")
    r = aux(4, rows)
    in_family = r[:, 3] < 0.5
    for fld, which in (("given_name", ~in_family), ("family_name", in_family)):
        sel, rr = rows[which], r[which]
        values = getattr(rec, fld)
        before = values[sel].copy()
        after = np.array(
            [typo(v, x) for v, x in zip(before.tolist(), rr, strict=True)], dtype=object
        )
        log.add(sel, fld, "typo", before, after)
        values[sel] = after

    # given and family name swapped
    rows = draw(rates.swapped_names, everyone, "swapped_names")
    g, f = rec.given_name[rows].copy(), rec.family_name[rows].copy()
    log.add(rows, "given_name", "swapped_names", g, f)
    log.add(rows, "family_name", "swapped_names", f, g)
    rec.given_name[rows], rec.family_name[rows] = f, g

    # dates of birth
    true_dob = pop.date_of_birth[person]
    _, month, day = _ymd(true_dob)
    can_swap = (day <= 12) & (day != month)
    # a swap that would put the birth after the extract date is not a plausible slip
    can_swap &= transpose_dob(true_dob) <= np.datetime64(EXTRACT_DATE.isoformat(), "D")
    rows = draw(rates.dob_transposed, can_swap, "dob_transposed")
    before = rec.date_of_birth[rows].copy()
    after = transpose_dob(before)
    log.add(rows, "date_of_birth", "dob_transposed", before, after)
    rec.date_of_birth[rows] = after

    rows = draw(rates.dob_typo, everyone, "dob_typo")
    before = rec.date_of_birth[rows].copy()
    after = dob_typo(before, aux(3, rows), np.datetime64(EXTRACT_DATE.isoformat(), "D"))
    log.add(rows, "date_of_birth", "dob_typo", before, after)
    rec.date_of_birth[rows] = after

    rows = draw(rates.postcode_typo, everyone, "postcode_typo")
    r = aux(2, rows)
    before = rec.postcode[rows].copy()
    after = np.array(
        [postcode_typo(v, x) for v, x in zip(before.tolist(), r, strict=True)], dtype=object
    )
    log.add(rows, "postcode", "postcode_typo", before, after)
    rec.postcode[rows] = after

    held = rec.identifiers[key_identifier] != "" if key_identifier else np.zeros(n, dtype=bool)
    rows = draw(rates.identifier_typo, held, "identifier_typo")
    if key_identifier:
        values = rec.identifiers[key_identifier]
        before = values[rows].copy()
        r = aux(3, rows)
        after = np.array(
            [identifier_typo(v, x) for v, x in zip(before.tolist(), r, strict=True)],
            dtype=object,
        )
        log.add(rows, key_identifier, "identifier_typo", before, after)
        values[rows] = after
    else:
        aux(3, rows)

    # missing values: each field on its own
    missing_fields: list[tuple[str, np.ndarray]] = [
        ("date_of_birth", everyone),
        ("sex", everyone),
        ("postcode", everyone),
        ("identifier", held),
    ]
    for fld, eligible in missing_fields:
        rows = draw(rates.missing, eligible, "missing")
        if fld == "date_of_birth":
            before = rec.date_of_birth[rows].copy()
            rec.date_of_birth[rows] = np.datetime64("NaT")
            log.add(rows, fld, "missing", before, np.full(len(rows), "", dtype=object))
        elif fld == "identifier":
            if key_identifier:
                values = rec.identifiers[key_identifier]
                log.add(
                    rows,
                    key_identifier,
                    "missing",
                    values[rows].copy(),
                    np.full(len(rows), "", dtype=object),
                )
                values[rows] = ""
        else:
            values = getattr(rec, fld)
            log.add(rows, fld, "missing", values[rows].copy(), np.full(len(rows), "", dtype=object))
            values[rows] = ""
