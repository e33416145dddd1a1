"""Name pools for the synthetic population, and the nicknames people are recorded under.

Given and family names come from Faker's per-locale name lists (read once from the provider
classes, never through a Faker instance per person, which would be far too slow) plus a few
lists of our own for communities Faker has no romanised lists for. Names are kept only when
they are one word (hyphens and apostrophes allowed) and encodable in cp1252, because one
partner's extract is written in that encoding.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Origins of households and their share of the population (roughly a mid-sized English town).
ORIGIN_SHARES: dict[str, float] = {
    "english": 0.72,
    "irish": 0.04,
    "south_asian": 0.08,
    "west_african": 0.035,
    "polish": 0.03,
    "romanian": 0.02,
    "turkish": 0.015,
    "southern_european": 0.025,
    "somali_arabic": 0.02,
    "chinese": 0.015,
}

# origin -> Faker locales whose lists are pooled
FAKER_LOCALES: dict[str, tuple[str, ...]] = {
    "english": ("en_GB",),
    "irish": ("en_IE",),
    "south_asian": ("en_IN",),
    "west_african": ("en_NG", "yo_NG", "ig_NG"),
    "polish": ("pl_PL",),
    "romanian": ("ro_RO",),
    "turkish": ("tr_TR",),
    "southern_european": ("it_IT", "pt_PT", "es_ES"),
}

# Extra family names pooled with a locale's own (Faker's en_PK list has no sexed first names,
# so Pakistani family names join the Indian given names' origin).
EXTRA_FAMILY_LOCALES: dict[str, tuple[str, ...]] = {"south_asian": ("en_PK",)}

OWN_LISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "somali_arabic": {
        "male": (
            "Mohamed", "Ahmed", "Abdi", "Hassan", "Ali", "Omar", "Yusuf", "Ibrahim", "Abdullahi",
            "Mustafa", "Khalid", "Hamza", "Bilal", "Idris", "Ismail", "Said", "Tariq", "Zakaria",
            "Abdirahman", "Faisal", "Karim", "Nasir", "Rashid", "Samir", "Walid",
        ),
        "female": (
            "Amina", "Fatima", "Hodan", "Asha", "Maryam", "Khadija", "Halima", "Sahra", "Hawa",
            "Ayan", "Layla", "Nasra", "Safiya", "Zainab", "Hibo", "Ifrah", "Yasmin", "Nadia",
            "Rahma", "Samira", "Warsan", "Idil", "Salma", "Hafsa", "Leila",
        ),
        "family": (
            "Mohamed", "Ahmed", "Hassan", "Ali", "Abdi", "Omar", "Yusuf", "Farah", "Warsame",
            "Osman", "Ibrahim", "Hussein", "Jama", "Aden", "Elmi", "Egal", "Duale", "Nur",
            "Abdullah", "Khalil", "Haddad", "Mansour", "Nasser", "Saleh", "Aziz",
        ),
    },
    "chinese": {
        "male": (
            "Wei", "Jun", "Hao", "Lei", "Ming", "Jian", "Qiang", "Yong", "Bo", "Chen", "Tao",
            "Kai", "Long", "Peng", "Feng", "Zhi", "Yi", "Hui", "Xin", "Jie",
        ),
        "female": (
            "Mei", "Li", "Xiu", "Ying", "Jing", "Hua", "Yan", "Lan", "Fang", "Ling", "Na",
            "Qing", "Xia", "Yun", "Hong", "Min", "Ping", "Rui", "Ting", "Yu",
        ),
        "family": (
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Wong", "Chan", "Leung",
            "Cheung", "Lau",
        ),
    },
}  # fmt: skip

# Common short forms. A record shows one of them instead of the given name ("nickname" error).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rich", "Rick", "Dick"), "James": ("Jim", "Jimmy", "Jamie"),
    "Thomas": ("Tom", "Tommy"), "Michael": ("Mike", "Mick"), "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",), "Andrew": ("Andy", "Drew"),
    "Anthony": ("Tony",), "Joseph": ("Joe",), "Samuel": ("Sam",), "Benjamin": ("Ben",),
    "Alexander": ("Alex", "Sandy"), "Nicholas": ("Nick",), "Jonathan": ("Jon",),
    "Stephen": ("Steve",), "Steven": ("Steve",), "Edward": ("Ed", "Ted", "Eddie"),
    "Charles": ("Charlie",), "David": ("Dave",), "Peter": ("Pete",), "Patrick": ("Pat", "Paddy"),
    "Timothy": ("Tim",), "Gregory": ("Greg",), "Kenneth": ("Ken",), "Ronald": ("Ron",),
    "Raymond": ("Ray",), "Frederick": ("Fred",), "Philip": ("Phil",), "Leonard": ("Len",),
    "Terence": ("Terry",), "Harold": ("Harry",), "Henry": ("Harry",), "Francis": ("Frank",),
    "Gerald": ("Gerry",), "Lawrence": ("Larry",), "Zachary": ("Zach",), "Nathan": ("Nate",),
    "Jacob": ("Jake",), "Oliver": ("Ollie",), "Frederic": ("Fred",), "Mohammed": ("Mo",),
    "Muhammad": ("Mo",), "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy", "Meg"), "Catherine": ("Kate", "Cathy"),
    "Katherine": ("Kate", "Kathy"), "Jennifer": ("Jen", "Jenny"), "Rebecca": ("Becky",),
    "Victoria": ("Vicky",), "Deborah": ("Debbie",), "Susan": ("Sue",),
    "Patricia": ("Pat", "Trish"), "Jacqueline": ("Jackie",), "Samantha": ("Sam",),
    "Alexandra": ("Alex",), "Christine": ("Chris",), "Jessica": ("Jess",), "Abigail": ("Abi",),
    "Kimberley": ("Kim",), "Pamela": ("Pam",), "Dorothy": ("Dot",), "Amanda": ("Mandy",),
    "Joanne": ("Jo",), "Josephine": ("Jo",), "Kathleen": ("Kath",), "Gillian": ("Gill",),
    "Valerie": ("Val",), "Beverley": ("Bev",), "Natalie": ("Nat",), "Danielle": ("Dani",),
    "Eleanor": ("Ellie",), "Olivia": ("Liv",), "Isabella": ("Bella",), "Charlotte": ("Lottie",),
    "Caroline": ("Carrie",), "Frances": ("Fran",), "Sandra": ("Sandy",), "Barbara": ("Barb",),
    "Teresa": ("Tess",), "Theresa": ("Tess",), "Louise": ("Lou",), "Nicola": ("Nicky",),
    "Stephanie": ("Steph",), "Gemma": ("Gem",), "Georgina": ("Georgie",),
}  # fmt: skip


@dataclass(frozen=True)
class NamePool:
    """Names of one kind for one origin, with sampling probabilities."""

    names: np.ndarray  # object array of str
    p: np.ndarray

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.names[rng.choice(len(self.names), size=size, p=self.p)]


@dataclass(frozen=True)
class NamePools:
    male: dict[str, NamePool]
    female: dict[str, NamePool]
    family: dict[str, NamePool]
    origins: tuple[str, ...]
    origin_p: np.ndarray


def _usable(name: str) -> bool:
    if not name or not name[0].isupper() or " " in name:
        return False
    try:
        name.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return all(c.isalpha() or c in "-'" for c in name)


def _provider(locale: str) -> type:
    module = importlib.import_module(f"faker.providers.person.{locale}")
    provider: type = module.Provider
    return provider


def _collect(locales: tuple[str, ...], attrs: tuple[str, ...]) -> tuple[list[str], list[float]]:
    """Names (first occurrence order) with weights; Faker's en_GB lists are by frequency."""
    names: list[str] = []
    weights: dict[str, float] = {}
    for locale in locales:
        provider = _provider(locale)
        for attr in attrs:
            values = getattr(provider, attr, None)
            if not values:
                continue
            if attr == "last_names" and getattr(provider, "unisex_last_names", None):
                continue  # pl_PL: its generic list is a placeholder; the unisex list is real
            if isinstance(values, dict):
                items = [(str(k), float(v)) for k, v in values.items()]
            else:
                # Faker orders ONS-derived lists by frequency: a Zipf-like weight by rank
                # gives common names (the false-match risk in linkage) their real weight.
                ranked = locale == "en_GB"
                items = [(str(v), 1.0 / (r + 8) if ranked else 1.0) for r, v in enumerate(values)]
            for name, w in items:
                if not _usable(name):
                    continue
                if name not in weights:
                    names.append(name)
                    weights[name] = 0.0
                weights[name] += w
    return names, [weights[n] for n in names]


def _pool(names: list[str], weights: list[float]) -> NamePool:
    if not names:
        raise ValueError("empty name pool")
    w = np.asarray(weights, dtype=np.float64)
    return NamePool(names=np.array(names, dtype=object), p=w / w.sum())


@lru_cache(maxsize=1)
def load_name_pools() -> NamePools:
    """All pools, built once per process from Faker's lists and ours."""
    male: dict[str, NamePool] = {}
    female: dict[str, NamePool] = {}
    family: dict[str, NamePool] = {}
    for origin in ORIGIN_SHARES:
        if origin in OWN_LISTS:
            own = OWN_LISTS[origin]
            male[origin] = _pool(list(own["male"]), [1.0] * len(own["male"]))
            female[origin] = _pool(list(own["female"]), [1.0] * len(own["female"]))
            family[origin] = _pool(list(own["family"]), [1.0] * len(own["family"]))
            continue
        locales = FAKER_LOCALES[origin]
        male[origin] = _pool(*_collect(locales, ("first_names_male",)))
        female[origin] = _pool(*_collect(locales, ("first_names_female",)))
        family_locales = locales + EXTRA_FAMILY_LOCALES.get(origin, ())
        # pl_PL keeps surnames that differ by sex (-ski/-ska) apart; its unisex list is safe.
        family[origin] = _pool(*_collect(family_locales, ("last_names", "unisex_last_names")))
    origins = tuple(ORIGIN_SHARES)
    p = np.array([ORIGIN_SHARES[o] for o in origins], dtype=np.float64)
    return NamePools(male=male, female=female, family=family, origins=origins, origin_p=p / p.sum())
