"""The synthetic population: households, twins, juniors, names, ages, addresses, identifiers."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
import pytest
from stdnum.gb import nhs, upn

from joinedup.synth.geography import load_geography
from joinedup.synth.identifiers import is_valid_uln
from joinedup.synth.names import load_name_pools
from joinedup.synth.population import Population, build_population

POSTCODE = re.compile(r"^[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}$")
NI_FORMAT = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


@pytest.fixture(scope="module")
def pop() -> Population:
    from joinedup.synth.agencies import all_agencies
    from joinedup.synth.generate import _assign_identifiers

    rng = np.random.default_rng(5)
    people = build_population(20_000, rng, load_geography(), load_name_pools())
    agencies = all_agencies()
    selections = [a.select(people, rng) for a in agencies]
    _assign_identifiers(people, agencies, selections, rng)
    return people


def test_size_keys_ages_and_sexes(pop: Population) -> None:
    assert len(pop) == 20_000
    assert len(set(pop.person_key.tolist())) == len(pop)
    assert pop.age.min() == 0 and 95 <= pop.age.max() <= 100
    assert 0.15 < (pop.age < 18).mean() < 0.35
    sexes = Counter(pop.sex.tolist())
    assert 0.45 < sexes["female"] / len(pop) < 0.55
    assert set(sexes) <= {"male", "female", "indeterminate"}


def test_households_have_plausible_shapes(pop: Population) -> None:
    sizes = Counter(pop.household.tolist())
    assert 2.1 < len(pop) / len(sizes) < 2.6  # UK average household size is about 2.4
    assert max(sizes.values()) >= 5 and min(sizes.values()) == 1
    members: dict[int, list[int]] = defaultdict(list)
    for i, h in enumerate(pop.household.tolist()):
        members[h].append(i)
    shared_address = all(len({int(pop.address[i]) for i in m}) == 1 for m in members.values())
    assert shared_address
    # one household per dwelling
    assert len({int(pop.address[m[0]]) for m in members.values()}) == len(members)
    # couples: most share a family name, some hyphenated, and the changed name is recorded
    couples = [m for m in members.values() if pop.household_type[m[0]] == "couple" and len(m) == 2]
    same_name = sum(pop.family_name[a] == pop.family_name[b] for a, b in couples)
    assert 0.4 < same_name / len(couples) < 0.8
    assert any(
        "-" in pop.family_name[i] and pop.previous_family_name[i] for m in couples for i in m
    )
    changed = pop.previous_family_name != ""
    assert (pop.family_name[changed] != pop.previous_family_name[changed]).all()
    assert (pop.age[changed] >= 18).all()


def test_twins_and_juniors_exist(pop: Population) -> None:
    children = np.flatnonzero(pop.role == "child")
    by_birth: dict[tuple[int, object, str], list[int]] = defaultdict(list)
    for i in children.tolist():
        by_birth[(int(pop.household[i]), pop.date_of_birth[i], pop.family_name[i])].append(i)
    twins = [v for v in by_birth.values() if len(v) >= 2]
    assert len(twins) >= 5
    for pair in twins:
        assert len({pop.person_key[i] for i in pair}) == len(pair)
    members: dict[int, list[int]] = defaultdict(list)
    for i, h in enumerate(pop.household.tolist()):
        members[h].append(i)
    juniors = 0
    for i in children.tolist():
        fathers = [
            j
            for j in members[int(pop.household[i])]
            if pop.role[j] in ("adult", "partner")
            and pop.sex[j] == "male" == pop.sex[i]
            and pop.given_name[j] == pop.given_name[i]
            and pop.family_name[j] == pop.family_name[i]
        ]
        if fathers:
            assert pop.age[fathers[0]] - pop.age[i] >= 16
            juniors += 1
    assert juniors >= 5


def test_names_are_diverse(pop: Population) -> None:
    origins = Counter(pop.origin.tolist())
    assert len(origins) >= 8
    assert 0.6 < origins["english"] / len(pop) < 0.85
    assert len(set(pop.family_name.tolist())) > 1500
    assert len(set(pop.given_name.tolist())) > 1000
    assert (pop.middle_names != "").mean() > 0.2
    assert all(" " not in n for n in pop.given_name.tolist())


def test_addresses_are_in_the_fictional_geography(pop: Population) -> None:
    geo = load_geography()
    assert all(POSTCODE.match(p) and p.startswith("FE") for p in geo.postcode.tolist())
    assert len(set(geo.postcode.tolist())) == len(geo)
    ward_district = defaultdict(set)
    for w, d in zip(geo.ward_code.tolist(), geo.district_code.tolist(), strict=True):
        ward_district[w].add(d)
    assert all(len(d) == 1 for d in ward_district.values())
    assert len(set(geo.district_code.tolist())) >= 3 and len(ward_district) >= 20
    pc = pop.addresses.postcode_idx[pop.address]
    lines = pop.addresses.line_1[pop.address]
    streets = geo.street[pc]
    assert all(
        line.endswith(street) for line, street in zip(lines.tolist(), streets.tolist(), strict=True)
    )
    moved = pop.previous_address >= 0
    assert 0.05 < moved.mean() < 0.3
    assert (pop.previous_address[moved] != pop.address[moved]).all()
    assert (pop.moved_on[moved] > pop.date_of_birth[moved]).all()


def test_identifiers_are_valid_and_unique(pop: Population) -> None:
    assert pop.nhs_number is not None and pop.upn is not None
    assert pop.uln is not None and pop.ni_number is not None
    nhs_numbers = [v for v in pop.nhs_number.tolist() if v]
    assert len(nhs_numbers) == len(pop) == len(set(nhs_numbers))
    assert all(v.startswith("999") and nhs.is_valid(v) for v in nhs_numbers)

    has_upn = pop.upn != ""
    assert ((pop.age[has_upn] >= 4) & (pop.age[has_upn] <= 19)).all()
    assert has_upn.sum() == ((pop.age >= 4) & (pop.age <= 19)).sum()
    upns = pop.upn[has_upn].tolist()
    assert len(set(upns)) == len(upns) and all(upn.is_valid(v) for v in upns)

    has_uln = pop.uln != ""
    assert (pop.age[has_uln] >= 14).all() and has_uln.sum() > 1000
    ulns = pop.uln[has_uln].tolist()
    assert len(set(ulns)) == len(ulns) and all(is_valid_uln(v) for v in ulns)
    assert not is_valid_uln("1234567890") and not is_valid_uln("0" + ulns[0][1:])

    has_ni = pop.ni_number != ""
    assert (has_ni == (pop.age >= 16)).all()
    nis = pop.ni_number[has_ni].tolist()
    assert len({v[:8] for v in nis}) == len(nis) and all(NI_FORMAT.match(v) for v in nis)


def test_partners_select_their_documented_shares(pop: Population) -> None:
    """Who each partner knows, on 20,000 people (3-standard-deviation bounds)."""
    from joinedup.synth.agencies.benefits import RevenuesBenefits
    from joinedup.synth.agencies.education import Education, academic_age
    from joinedup.synth.agencies.primary_care import PrimaryCare

    def share(chosen: np.ndarray, among: np.ndarray) -> float:
        return float(np.isin(np.flatnonzero(among), chosen).mean())

    def close(observed: float, expected: float, among: np.ndarray) -> bool:
        return abs(observed - expected) <= 3 * np.sqrt(expected * (1 - expected) / among.sum())

    rng = np.random.default_rng(9)
    pupils = Education().select(pop, rng)
    year = academic_age(pop.date_of_birth)
    assert share(pupils, (year >= 4) & (year <= 15)) == 1.0
    sixth_form = (year == 16) | (year == 17)
    assert close(share(pupils, sixth_form), 0.85, sixth_form)
    assert share(pupils, (year < 4) | (year > 18)) == 0.0

    gp = PrimaryCare().select(pop, rng)
    older = pop.age >= 35
    assert close(share(gp, older), 0.985, older)
    young_men = (pop.age >= 18) & (pop.age <= 34) & (pop.sex == "male")
    assert close(share(gp, young_men), 0.92, young_men)

    benefits = RevenuesBenefits()
    claims = benefits.select(pop, rng)
    adults = pop.age >= 18
    assert 0.15 <= share(claims, adults) <= 0.2
    assert share(claims, ~adults) == 0.0
    lone_parents = (pop.household_type == "lone_parent") & (pop.role == "adult")
    couples = (pop.household_type == "couple") & (pop.age < 60)
    assert share(claims, lone_parents) > 0.5 > 0.1 > share(claims, couples)
