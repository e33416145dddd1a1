"""The synthetic population: households, people, names, dates of birth, addresses and moves.

Everything is drawn with numpy in whole arrays (one call per attribute, not one per person),
which is what makes a million people take seconds. The population is the *truth*: partners'
extracts are views of it with errors added (`corrupt.py`).

Household types (share of households): single adult, couple, couple with children, lone
parent, sharers and three generations. Couples take or hyphenate each other's family names,
children get a family name from a parent, some siblings are twins (same date of birth and
family name) and some sons share their father's full name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from joinedup.synth.geography import Geography
from joinedup.synth.names import NamePools

EXTRACT_DATE = dt.date(2025, 3, 31)  # the date every partner's extract was taken

SINGLE, COUPLE, COUPLE_KIDS, LONE_PARENT, SHARERS, MULTIGEN = range(6)
HOUSEHOLD_TYPES = ("single", "couple", "couple_children", "lone_parent", "sharers", "three_gen")
HOUSEHOLD_P = np.array([0.29, 0.27, 0.22, 0.11, 0.06, 0.05])
MOVE_P = np.array([0.15, 0.12, 0.12, 0.2, 0.35, 0.08])  # share of households that moved

ROLES = ("adult", "partner", "child", "grandparent", "sharer")
ADULT, PARTNER, CHILD, GRANDPARENT, SHARER = range(5)

TWIN_P = 0.035  # households with 2+ children whose first two are twins
JUNIOR_P = 0.04  # households where a son has his father's given and family name


@dataclass
class Addresses:
    """Every address used (current and previous), one entry per dwelling."""

    postcode_idx: np.ndarray  # into the geography
    house_number: np.ndarray
    line_1: np.ndarray  # "12 Mill Lane"
    uprn: np.ndarray


@dataclass
class Population:
    """The true attributes of every person, as parallel arrays (index = person)."""

    person_key: np.ndarray
    household: np.ndarray
    household_type: np.ndarray
    role: np.ndarray
    origin: np.ndarray
    given_name: np.ndarray
    middle_names: np.ndarray  # "" when none
    family_name: np.ndarray
    previous_family_name: np.ndarray  # "" when the family name never changed
    sex: np.ndarray  # "male" | "female" | "indeterminate"
    date_of_birth: np.ndarray  # datetime64[D]
    age: np.ndarray
    address: np.ndarray  # index into addresses
    previous_address: np.ndarray  # -1 when the person did not move
    moved_on: np.ndarray  # datetime64[D], NaT when not moved
    addresses: Addresses
    nhs_number: np.ndarray | None = None
    upn: np.ndarray | None = None
    uln: np.ndarray | None = None
    ni_number: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.person_key)


def _extract_day() -> np.datetime64:
    return np.datetime64(EXTRACT_DATE.isoformat(), "D")


def ages_at_extract(dob: np.ndarray) -> np.ndarray:
    """Completed years at the extract date."""
    ext = EXTRACT_DATE
    years = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dob.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dob - dob.astype("datetime64[M]")).astype(np.int64) + 1
    before = (month > ext.month) | ((month == ext.month) & (day > ext.day))
    result: np.ndarray = ext.year - years - before.astype(np.int64)
    return result


def _sample_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Household types, adult counts and child counts for enough households to hold n people."""
    types_parts, adults_parts, kids_parts = [], [], []
    total = 0
    while total < n:
        h = max(16, int((n - total) / 2.3) + 16)
        t = rng.choice(len(HOUSEHOLD_TYPES), size=h, p=HOUSEHOLD_P)
        adults = np.select(
            [t == SINGLE, t == LONE_PARENT, t == SHARERS, t == MULTIGEN],
            [1, 1, rng.choice([2, 3, 4], size=h, p=[0.6, 0.3, 0.1]), 3],
            default=2,
        )
        kids = np.select(
            [t == COUPLE_KIDS, t == LONE_PARENT, t == MULTIGEN],
            [
                rng.choice([1, 2, 3, 4], size=h, p=[0.38, 0.42, 0.15, 0.05]),
                rng.choice([1, 2, 3], size=h, p=[0.5, 0.35, 0.15]),
                rng.choice([1, 2, 3], size=h, p=[0.5, 0.35, 0.15]),
            ],
            default=0,
        )
        types_parts.append(t)
        adults_parts.append(adults)
        kids_parts.append(kids)
        total += int((adults + kids).sum())
    t = np.concatenate(types_parts)
    adults = np.concatenate(adults_parts)
    kids = np.concatenate(kids_parts)
    # keep just enough households; the last one may lose members to make exactly n people
    last = int(np.searchsorted(np.cumsum(adults + kids), n)) + 1
    return t[:last], adults[:last], kids[:last]


def _pick_first_per_group(groups: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """For candidate indices (sorted), the first one of each group."""
    if len(candidates) == 0:
        return candidates
    _, first = np.unique(groups[candidates], return_index=True)
    return candidates[np.sort(first)]


def build_population(
    n: int, rng: np.random.Generator, geo: Geography, pools: NamePools
) -> Population:
    """`n` people in households at addresses of the geography."""
    htype, n_adults, n_kids = _sample_sizes(rng, n)
    n_households = len(htype)
    sizes = n_adults + n_kids
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    household = np.repeat(np.arange(n_households), sizes)[:n]
    slot = np.arange(len(household)) - starts[household]
    ht = htype[household]
    adults_here = n_adults[household]

    role = np.full(n, CHILD, dtype=np.int64)
    is_adult_slot = slot < adults_here
    role[is_adult_slot & (slot == 0)] = ADULT
    role[is_adult_slot & (slot == 1)] = PARTNER
    role[is_adult_slot & (ht == SHARERS)] = SHARER
    role[is_adult_slot & (ht == MULTIGEN) & (slot == 2)] = GRANDPARENT
    head = starts[household]  # index of the household's first member (role ADULT)

    # --- ages (years at the extract date) -------------------------------------------------
    u = rng.random(n)
    age = np.zeros(n, dtype=np.int64)
    r = rng.random(n)
    single_age = np.where(
        r < 0.4, 18 + u * 22, np.where(r < 0.65, 40 + u * 25, 65 + u * 36)
    ).astype(np.int64)
    couple_age = np.where(r < 0.3, 20 + u * 20, np.where(r < 0.6, 40 + u * 25, 65 + u * 31)).astype(
        np.int64
    )
    head_age = np.select(
        [ht == SINGLE, ht == COUPLE, ht == LONE_PARENT, ht == SHARERS],
        [single_age, couple_age, (18 + u * 37).astype(np.int64), (18 + u * 27).astype(np.int64)],
        default=(22 + u * 34).astype(np.int64),
    )
    age[role == ADULT] = head_age[role == ADULT]
    age[role == SHARER] = (18 + u[role == SHARER] * 27).astype(np.int64)
    partner = role == PARTNER
    age[partner] = np.clip(
        age[head[partner]] + np.round(rng.normal(0, 3, size=int(partner.sum()))).astype(np.int64),
        18,
        100,
    )
    grand = role == GRANDPARENT
    age[grand] = np.clip(age[head[grand]] + rng.integers(20, 37, size=int(grand.sum())), 0, 100)
    child = role == CHILD
    youngest_parent = age[head].copy()
    partner_age = np.full(n_households, 200, dtype=np.int64)
    partner_age[household[partner]] = age[partner]
    youngest_parent = np.minimum(youngest_parent, partner_age[household])
    max_child_age = np.clip(youngest_parent[child] - 17, 0, 22)
    age[child] = (u[child] * (max_child_age + 1)).astype(np.int64)
    age = np.clip(age, 0, 100)

    # dates of birth: a random day within the year of age
    ext = _extract_day()
    frac = rng.random(n)
    dob = ext - np.floor((age + frac) * 365.2425).astype("timedelta64[D]")
    dob = np.minimum(dob, ext)

    # twins: the first two children of some households with 2+ children
    first_child = head + n_adults[household]  # index of the household's first child
    second = child & (slot == n_adults[household] + 1) & (first_child < n)
    twin_households = np.unique(household[second])
    chosen = twin_households[rng.random(len(twin_households)) < TWIN_P]
    if len(chosen) == 0 and len(twin_households) > 0:
        chosen = twin_households[:1]  # at least one pair, so small runs still have twins
    is_twin_second = second & np.isin(household, chosen)
    dob[is_twin_second] = dob[first_child[is_twin_second]]
    age = ages_at_extract(dob)

    # --- sex ----------------------------------------------------------------------------
    female = rng.random(n) < 0.5
    female[(role == ADULT) & (ht == LONE_PARENT)] = (
        rng.random(int(((role == ADULT) & (ht == LONE_PARENT)).sum())) < 0.88
    )
    female[role == GRANDPARENT] = rng.random(int(grand.sum())) < 0.6
    opposite = rng.random(n) < 0.96
    female[partner] = np.where(opposite[partner], ~female[head[partner]], female[head[partner]])
    sex = np.where(female, "female", "male").astype(object)
    sex[rng.random(n) < 0.0003] = "indeterminate"

    # --- origins and names ---------------------------------------------------------------
    n_origins = len(pools.origins)
    household_origin = rng.choice(n_origins, size=n_households, p=pools.origin_p)
    origin = household_origin[household]
    own_origin = rng.choice(n_origins, size=n, p=pools.origin_p)
    resample = (role == SHARER) | (partner & (rng.random(n) < 0.15))
    origin = np.where(resample, own_origin, origin)

    birth_family = np.empty(n, dtype=object)
    given = np.empty(n, dtype=object)
    middle = np.full(n, "", dtype=object)
    has_middle = rng.random(n) < np.where(origin == 0, 0.45, 0.25)
    for o, name in enumerate(pools.origins):
        mask = origin == o
        birth_family[mask] = pools.family[name].sample(rng, int(mask.sum()))
        for sex_name, pool in (("male", pools.male[name]), ("female", pools.female[name])):
            m = mask & (sex == sex_name)
            given[m] = pool.sample(rng, int(m.sum()))
            mm = m & has_middle
            middle[mm] = pool.sample(rng, int(mm.sum()))
        m = mask & (sex == "indeterminate")
        given[m] = pools.female[name].sample(rng, int(m.sum()))

    family = birth_family.copy()
    previous = np.full(n, "", dtype=object)

    # couples: the "taker" (the woman in a mixed couple, else the partner sometimes) may take
    # the other's family name or hyphenate both
    couple_types = (ht == COUPLE) | (ht == COUPLE_KIDS) | (ht == MULTIGEN)
    p_idx = np.flatnonzero(partner & couple_types)
    h_idx = head[p_idx]
    mixed = sex[p_idx] != sex[h_idx]
    taker_is_head = mixed & (sex[h_idx] == "female")
    taker = np.where(taker_is_head, h_idx, p_idx)
    giver = np.where(taker_is_head, p_idx, h_idx)
    decide = rng.random(len(p_idx))
    takes = np.where(mixed, decide < 0.62, decide < 0.25)
    hyphen = ~takes & (decide < np.where(mixed, 0.70, 0.30))
    previous[taker[takes]] = birth_family[taker[takes]]
    family[taker[takes]] = birth_family[giver[takes]]
    t_h, g_h = taker[hyphen], giver[hyphen]
    previous[t_h] = birth_family[t_h]
    family[t_h] = np.array(
        [
            f"{a}-{b}"
            for a, b in zip(birth_family[t_h].tolist(), birth_family[g_h].tolist(), strict=True)
        ],
        dtype=object,
    )

    # single women over 30: some kept a married name after divorce or widowhood
    widowed = (role == ADULT) & (ht == SINGLE) & (sex == "female") & (age > 30)
    widowed &= rng.random(n) < 0.3
    previous[widowed] = birth_family[widowed]
    for o, name in enumerate(pools.origins):
        m = widowed & (origin == o)
        family[m] = pools.family[name].sample(rng, int(m.sum()))
    same = widowed & (family == previous)
    previous[same] = ""

    # children: the giver's birth name in couples (or a hyphenated parent's name), the
    # parent's name for most lone parents' children
    household_child_family = family[starts].copy()  # default: the head's current name
    couple_households = household[p_idx]
    household_child_family[couple_households] = birth_family[giver]
    hyphen_households = household[t_h]
    share_hyphen = rng.random(len(t_h)) < 0.5
    household_child_family[hyphen_households[share_hyphen]] = family[t_h[share_hyphen]]
    lone_heads = np.flatnonzero((role == ADULT) & (ht == LONE_PARENT))
    fathers_name = rng.random(len(lone_heads)) < 0.25
    for o, name in enumerate(pools.origins):
        m = fathers_name & (origin[lone_heads] == o)
        household_child_family[household[lone_heads[m]]] = pools.family[name].sample(
            rng, int(m.sum())
        )
    family[child] = household_child_family[household[child]]
    # grandparents are the head's parent: the head's birth family name
    family[grand] = birth_family[head[grand]]

    # sons with their father's name ("junior")
    father = np.full(n_households, -1, dtype=np.int64)
    male_parent = ((role == ADULT) | (role == PARTNER)) & (sex == "male") & ~(ht == SHARERS)
    father[household[male_parent]] = np.flatnonzero(male_parent)
    kid_father = father[household]
    cand = np.flatnonzero(child & (sex == "male") & (kid_father >= 0))
    cand = cand[family[cand] == family[kid_father[cand]]]
    firsts = _pick_first_per_group(household, cand)
    juniors = firsts[rng.random(len(firsts)) < JUNIOR_P]
    if len(juniors) == 0 and len(firsts) > 0:
        juniors = firsts[:1]
    given[juniors] = given[kid_father[juniors]]

    # a taker whose partner had the same birth name did not change name
    previous[previous == family] = ""

    # --- addresses and moves -------------------------------------------------------------
    p_postcode = geo.weight / geo.weight.sum()
    current_pc = rng.choice(len(geo), size=n_households, p=p_postcode)
    moved = rng.random(n_households) < MOVE_P[htype]
    previous_pc = rng.choice(len(geo), size=int(moved.sum()), p=p_postcode)
    all_pc = np.concatenate([current_pc, previous_pc])
    addresses = _number_addresses(all_pc, geo)
    household_address = np.arange(n_households)
    household_previous = np.full(n_households, -1, dtype=np.int64)
    household_previous[moved] = n_households + np.arange(int(moved.sum()))
    household_moved_on = np.full(n_households, np.datetime64("NaT"), dtype="datetime64[D]")
    days_ago = rng.integers(30, 5 * 365, size=int(moved.sum()))
    household_moved_on[moved] = ext - days_ago.astype("timedelta64[D]")

    moved_on = household_moved_on[household]
    previous_address = household_previous[household]
    born_after = ~np.isnat(moved_on) & (dob >= moved_on)
    previous_address[born_after] = -1
    moved_on[born_after] = np.datetime64("NaT")

    width = max(7, len(str(n)))
    person_key = np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    return Population(
        person_key=person_key,
        household=household,
        household_type=np.array(HOUSEHOLD_TYPES, dtype=object)[ht],
        role=np.array(ROLES, dtype=object)[role],
        origin=np.array(pools.origins, dtype=object)[origin],
        given_name=given,
        middle_names=middle,
        family_name=family,
        previous_family_name=previous,
        sex=sex,
        date_of_birth=dob,
        age=age,
        address=household_address[household],
        previous_address=previous_address,
        moved_on=moved_on,
        addresses=addresses,
    )


def _number_addresses(postcode_idx: np.ndarray, geo: Geography) -> Addresses:
    """House numbers unique along each street: postcodes on one street interleave numbers."""
    n = len(postcode_idx)
    order = np.argsort(postcode_idx, kind="stable")
    sorted_pc = postcode_idx[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_pc)) + 1]
    lengths = np.diff(np.r_[group_start, n])
    rank_sorted = np.arange(n) - np.repeat(group_start, lengths)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    number = rank * geo.postcodes_on_street[postcode_idx] + geo.index_on_street[postcode_idx] + 1
    streets = geo.street[postcode_idx]
    line_1 = np.array(
        [f"{num} {st}" for num, st in zip(number.tolist(), streets.tolist(), strict=True)],
        dtype=object,
    )
    # UPRN-like property reference: unique per dwelling, 12 digits
    uprn_values = 100_000_000_000 + postcode_idx.astype(np.int64) * 100_000 + rank
    uprn = np.array([str(v) for v in uprn_values.tolist()], dtype=object)
    return Addresses(postcode_idx=postcode_idx, house_number=number, line_1=line_1, uprn=uprn)
