"""The linkage model's comparisons, each level written twice: as Splink SQL and as Python.

Splink (DuckDB) evaluates the SQL conditions when it trains and scores batches; the online
matcher evaluates the Python predicates on one pair with the same trained parameters. The two
must agree level for level (tests check them on the same pairs). Levels are tried in order;
the first whose condition holds is the pair's level. Conditions read the feature columns of
`joinedup.domain.match_features` with `_l` / `_r` suffixes in SQL and two feature dicts in
Python.

Design notes (UK records):
- Given names: exact, then nickname/variant equivalence (shared formal name), then the other
  record's middle name, then Jaro-Winkler and phonetic (Metaphone) levels.
- Family names: exact (with term-frequency adjustment: Smith agreeing says less than
  Oyelaran agreeing), then any current/previous family name shared (marriage, step-family),
  then given/family swapped, then fuzzy levels.
- Dates of birth: exact, day and month transposed (US-style entry), one character off.
- Postcode: same address (postcode and first line alike), full postcode, sector, district.
- NHS number, UPN, ULN, NI number: agreeing is near-conclusive; a disagreeing value is
  strong evidence against, because invalid values were already set to NULL at ingest, so
  two different *valid* identifiers almost always mean two people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jellyfish

Features = Mapping[str, Any]
Predicate = Callable[[Features, Features], bool]

JW_HIGH = 0.92
JW_LOW = 0.80
ADDRESS_JW = 0.90


@dataclass(frozen=True)
class Level:
    """One comparison level: a label, its SQL condition and the same test in Python."""

    label: str
    sql: str
    py: Predicate
    is_null: bool = False
    tf_column: str | None = None
    # Starting values: kept when the data never shows the level, so every level has a weight.
    m: float | None = None
    u: float | None = None
    fix_m: bool = False

    def as_splink_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sql_condition": self.sql, "label_for_charts": self.label}
        if self.is_null:
            out["is_null_level"] = True
        if self.m is not None:
            out["m_probability"] = self.m
            out["fix_m_probability"] = self.fix_m
        if self.u is not None:
            out["u_probability"] = self.u
        if self.tf_column:
            out["tf_adjustment_column"] = self.tf_column
            out["tf_adjustment_weight"] = 1.0
        return out


@dataclass(frozen=True)
class Comparison:
    """A named comparison (Splink's output_column_name) and its ordered levels."""

    name: str
    description: str
    levels: Sequence[Level] = field(default_factory=tuple)

    def as_splink_dict(self) -> dict[str, Any]:
        return {
            "output_column_name": self.name,
            "comparison_description": self.description,
            "comparison_levels": [lvl.as_splink_dict() for lvl in self.levels],
        }

    def level_of(self, left: Features, right: Features) -> int:
        """The comparison vector value (gamma) of a pair: -1 null, then 0 = else, up."""
        n = len(self.levels)
        for index, level in enumerate(self.levels):
            if level.py(left, right):
                return -1 if level.is_null else n - 1 - index
        raise AssertionError("the last level must always match")  # pragma: no cover


# --- helpers that give Python the SQL's NULL semantics --------------------------------


def _v(rec: Features, col: str) -> Any:
    return rec.get(col)


def _either_null(col: str) -> Predicate:
    return lambda a, b: _v(a, col) is None or _v(b, col) is None


def _eq(col: str, col_r: str | None = None) -> Predicate:
    other = col_r or col

    def test(a: Features, b: Features) -> bool:
        x, y = _v(a, col), _v(b, other)
        return x is not None and y is not None and x == y

    return test


def _eq_cross(col_a: str, col_b: str) -> Predicate:
    """a.col_a = b.col_b OR a.col_b = b.col_a."""
    first, second = _eq(col_a, col_b), _eq(col_b, col_a)
    return lambda a, b: first(a, b) or second(a, b)


def _jw(col: str, threshold: float) -> Predicate:
    def test(a: Features, b: Features) -> bool:
        x, y = _v(a, col), _v(b, col)
        if x is None or y is None:
            return False
        return bool(jellyfish.jaro_winkler_similarity(x, y) >= threshold)

    return test


def _overlap(col: str) -> Predicate:
    def test(a: Features, b: Features) -> bool:
        x, y = _v(a, col), _v(b, col)
        if not x or not y:
            return False
        return bool(set(x) & set(y))

    return test


SWAP_JW = 0.88


def _near(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return False
    return bool(x == y or jellyfish.jaro_winkler_similarity(x, y) >= SWAP_JW)


def _swapped(a: Features, b: Features) -> bool:
    """Given and family names swapped, allowing a typo in either."""
    return _near(a.get("given_name"), b.get("family_name")) and _near(
        a.get("family_name"), b.get("given_name")
    )


_SWAPPED_SQL = (
    f"(given_name_l = family_name_r OR jaro_winkler_similarity(given_name_l, family_name_r) >= {SWAP_JW}) "
    f"AND (family_name_l = given_name_r OR jaro_winkler_similarity(family_name_l, given_name_r) >= {SWAP_JW})"
)


def _one_edit(col: str) -> Predicate:
    def test(a: Features, b: Features) -> bool:
        x, y = _v(a, col), _v(b, col)
        if x is None or y is None:
            return False
        return bool(jellyfish.damerau_levenshtein_distance(x, y) <= 1)

    return test


def _dob_two_of_three(a: Features, b: Features) -> bool:
    if a.get("dob") is None or b.get("dob") is None:
        return False
    same = (a["dob_y"] == b["dob_y"]) + (a["dob_m"] == b["dob_m"]) + (a["dob_d"] == b["dob_d"])
    return bool(same >= 2)


def _same_address(a: Features, b: Features) -> bool:
    return (
        _eq("postcode")(a, b)
        and a.get("address_number") == b.get("address_number")
        and _jw("address", ADDRESS_JW)(a, b)
    )


def _always(_a: Features, _b: Features) -> bool:
    return True


def _dob_transposed(a: Features, b: Features) -> bool:
    if a.get("dob") is None or b.get("dob") is None:
        return False
    return bool(
        a["dob_y"] == b["dob_y"]
        and a["dob_m"] == b["dob_d"]
        and a["dob_d"] == b["dob_m"]
        and a["dob_m"] != a["dob_d"]
    )


def _dob_one_off(a: Features, b: Features) -> bool:
    x, y = a.get("dob_str"), b.get("dob_str")
    if x is None or y is None:
        return False
    return bool(jellyfish.damerau_levenshtein_distance(x, y) <= 1)


def _sql_overlap(col: str) -> str:
    return f"len(list_intersect({col}_l, {col}_r)) > 0"


# How often one person's two records carry two different *valid* values of an identifier
# (a keying error that still passes the check digit, a reissued number). EM cannot learn
# this reliably (such pairs are rare and look like non-matches), so m is fixed: a
# disagreement then weighs about -6.6 bits against, an agreement decides on its own u.
IDENTIFIER_DISAGREE_M = 0.01


def _identifier(name: str, label: str) -> Comparison:
    return Comparison(
        name=name,
        description=f"{label}: a disagreeing valid identifier is strong evidence against",
        levels=(
            Level(
                "null", f"{name}_l IS NULL OR {name}_r IS NULL", _either_null(name), is_null=True
            ),
            Level(
                "exact",
                f"{name}_l = {name}_r",
                _eq(name),
                m=1 - IDENTIFIER_DISAGREE_M,
                u=1e-6,
                fix_m=True,
            ),
            Level("different", "ELSE", _always, m=IDENTIFIER_DISAGREE_M, u=1 - 1e-6, fix_m=True),
        ),
    )


GIVEN_NAME = Comparison(
    name="given_name",
    description="Given name: exact, nickname, middle name, Jaro-Winkler and phonetic",
    levels=(
        Level(
            "null",
            "given_name_l IS NULL OR given_name_r IS NULL",
            _either_null("given_name"),
            is_null=True,
        ),
        Level("exact", "given_name_l = given_name_r", _eq("given_name"), tf_column="given_name"),
        Level("nickname or variant", _sql_overlap("given_formal"), _overlap("given_formal")),
        Level(
            f"Jaro-Winkler >= {JW_HIGH}",
            f"jaro_winkler_similarity(given_name_l, given_name_r) >= {JW_HIGH}",
            _jw("given_name", JW_HIGH),
        ),
        Level(
            "given name is the other's middle name",
            "given_name_l = middle_first_r OR middle_first_l = given_name_r",
            _eq_cross("given_name", "middle_first"),
            m=0.02,
            u=0.001,
        ),
        Level("phonetic", "given_ph_l = given_ph_r", _eq("given_ph")),
        Level(
            f"Jaro-Winkler >= {JW_LOW}",
            f"jaro_winkler_similarity(given_name_l, given_name_r) >= {JW_LOW}",
            _jw("given_name", JW_LOW),
        ),
        Level(
            "one character different",
            "damerau_levenshtein(given_name_l, given_name_r) <= 1",
            _one_edit("given_name"),
            m=0.005,
            u=0.001,
        ),
        Level(
            "given and family names swapped",
            _SWAPPED_SQL,
            _swapped,
            m=0.002,
            u=1e-4,
        ),
        Level("different", "ELSE", _always),
    ),
)

FAMILY_NAME = Comparison(
    name="family_name",
    description="Family name: exact (term-frequency adjusted), previous names, fuzzy",
    levels=(
        Level(
            "null",
            "family_name_l IS NULL OR family_name_r IS NULL",
            _either_null("family_name"),
            is_null=True,
        ),
        Level(
            "exact", "family_name_l = family_name_r", _eq("family_name"), tf_column="family_name"
        ),
        Level(
            "a current or previous name shared", _sql_overlap("family_all"), _overlap("family_all")
        ),
        Level(
            f"Jaro-Winkler >= {JW_HIGH}",
            f"jaro_winkler_similarity(family_name_l, family_name_r) >= {JW_HIGH}",
            _jw("family_name", JW_HIGH),
        ),
        Level("phonetic", "family_ph_l = family_ph_r", _eq("family_ph")),
        Level(
            f"Jaro-Winkler >= {JW_LOW}",
            f"jaro_winkler_similarity(family_name_l, family_name_r) >= {JW_LOW}",
            _jw("family_name", JW_LOW),
        ),
        Level(
            "given and family names swapped",
            _SWAPPED_SQL,
            _swapped,
            m=0.002,
            u=1e-4,
        ),
        Level("different", "ELSE", _always),
    ),
)

DATE_OF_BIRTH = Comparison(
    name="date_of_birth",
    description="Date of birth: exact, day and month transposed, one character off",
    levels=(
        Level("null", "dob_l IS NULL OR dob_r IS NULL", _either_null("dob"), is_null=True),
        Level("exact", "dob_l = dob_r", _eq("dob")),
        Level(
            "day and month transposed",
            "dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r AND dob_m_l <> dob_d_l",
            _dob_transposed,
        ),
        Level(
            "one character different",
            "damerau_levenshtein(dob_str_l, dob_str_r) <= 1",
            _dob_one_off,
        ),
        Level(
            "two of day, month and year agree",
            "(dob_y_l = dob_y_r)::INT + (dob_m_l = dob_m_r)::INT + (dob_d_l = dob_d_r)::INT >= 2",
            _dob_two_of_three,
            m=0.01,
            u=0.03,
        ),
        Level("different", "ELSE", _always),
    ),
)

POSTCODE_ADDRESS = Comparison(
    name="postcode_address",
    description="Address: same address, full postcode, sector, district",
    levels=(
        Level(
            "null",
            "postcode_l IS NULL OR postcode_r IS NULL",
            _either_null("postcode"),
            is_null=True,
        ),
        Level(
            "same address",
            "postcode_l = postcode_r AND address_number_l IS NOT DISTINCT FROM address_number_r "
            f"AND jaro_winkler_similarity(address_l, address_r) >= {ADDRESS_JW}",
            _same_address,
        ),
        Level("same postcode", "postcode_l = postcode_r", _eq("postcode"), m=0.05, u=0.0005),
        Level("same sector", "postcode_sector_l = postcode_sector_r", _eq("postcode_sector")),
        Level(
            "same district", "postcode_district_l = postcode_district_r", _eq("postcode_district")
        ),
        Level("different", "ELSE", _always),
    ),
)

SEX = Comparison(
    name="sex",
    description="Sex (male/female; unknown and indeterminate compare as missing)",
    levels=(
        Level("null", "sex_l IS NULL OR sex_r IS NULL", _either_null("sex"), is_null=True),
        Level("exact", "sex_l = sex_r", _eq("sex")),
        Level("different", "ELSE", _always),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (
    GIVEN_NAME,
    FAMILY_NAME,
    DATE_OF_BIRTH,
    POSTCODE_ADDRESS,
    SEX,
    _identifier("nhs_number", "NHS number"),
    _identifier("upn", "Unique pupil number"),
    _identifier("uln", "Unique learner number"),
    _identifier("ni_number", "National Insurance number"),
)

# Candidate pairs for prediction: a pair is scored when any rule holds. Chosen so every
# single kind of error (a typo in one field, a changed family name, a moved address, a
# transposed date, a nickname) still leaves at least one rule true.
PREDICTION_BLOCKING_RULES: tuple[str, ...] = (
    "l.nhs_number = r.nhs_number",
    "l.upn = r.upn",
    "l.uln = r.uln",
    "l.ni_number = r.ni_number",
    "l.dob = r.dob AND l.family_ph = r.family_ph",
    "l.dob = r.dob AND l.given_key = r.given_key",
    "l.postcode = r.postcode AND l.given_key = r.given_key",
    "l.family_ph = r.family_ph AND l.given_key = r.given_key AND l.dob_y = r.dob_y",
    "l.family_ph = r.family_ph AND l.given_key = r.given_key AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d",
    "l.postcode = r.postcode AND l.dob = r.dob",
    "l.postcode = r.postcode AND l.family_ph = r.family_ph AND l.sex = r.sex",
    "l.dob = r.dob AND l.names_ph = r.names_ph",
)

# Pairs these rules find are almost surely the same person: their count sets the prior.
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.nhs_number = r.nhs_number",
    "l.upn = r.upn",
    "l.uln = r.uln",
    "l.ni_number = r.ni_number",
    "l.given_name = r.given_name AND l.family_name = r.family_name AND l.dob = r.dob",
)
DETERMINISTIC_RECALL = 0.8

# Expectation maximisation, three sessions; Splink trains in each only the comparisons
# whose columns its rule does not use, so each comparison is estimated on pairs where true
# matches are common and the usual look-alikes are kept out:
# 1. same birth year and postcode district: given and family names;
# 2. same given name, family name and postcode district: dates of birth;
# 3. same date of birth and given name: family names and addresses (movers included, since
#    the address plays no part in choosing the pairs).
# Not date of birth alone: twins and siblings (same date, family name and address) would
# then dominate the "matches" EM sees and teach it that a different given name is normal
# for one person. Plain equality rules only: an OR rule cannot use a hash join and turns
# into a scan of every pair.
EM_BLOCKING_RULES: tuple[str, ...] = (
    "l.dob_y = r.dob_y AND l.postcode_district = r.postcode_district",
    "l.given_name = r.given_name AND l.family_name = r.family_name "
    "AND l.postcode_district = r.postcode_district",
    "l.dob = r.dob AND l.given_name = r.given_name",
)

FEATURE_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "given_name",
    "given_formal",
    "given_key",
    "given_ph",
    "middle_first",
    "family_name",
    "family_ph",
    "family_all",
    "dob",
    "dob_str",
    "dob_y",
    "dob_m",
    "dob_d",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address",
    "address_number",
    "names_ph",
    "nhs_number",
    "upn",
    "uln",
    "ni_number",
)


def splink_settings(probability_two_random_records_match: float = 1e-6) -> dict[str, Any]:
    """The untrained Splink settings dictionary for joinedup's model."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": probability_two_random_records_match,
        "comparisons": [c.as_splink_dict() for c in COMPARISONS],
        "blocking_rules_to_generate_predictions": list(PREDICTION_BLOCKING_RULES),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "max_iterations": 20,
        "em_convergence": 0.001,
    }


# Pairs that disagree outright on one of these, and share no identifier, are never linked,
# however well the rest agrees: that is the signature of twins (same date of birth, family
# name and address) and of a parent and child of one name. On synthetic data such pairs are
# about 95 % different people, so they are not put to review either (it would spend the
# review budget on households); a person can still link them with a must-link decision.
HARD_DISAGREEMENTS: tuple[str, ...] = ("given_name", "date_of_birth")
IDENTIFIER_COMPARISONS: tuple[str, ...] = ("nhs_number", "upn", "uln", "ni_number")


def auto_link_allowed(gammas: Mapping[str, int]) -> bool:
    """False when the pair disagrees outright (gamma 0) on a HARD_DISAGREEMENTS comparison
    and agrees on no identifier; such a pair is neither linked nor reviewed."""
    if any(gammas.get(name, -1) > 0 for name in IDENTIFIER_COMPARISONS):
        return True
    return not any(gammas.get(name, -1) == 0 for name in HARD_DISAGREEMENTS)


# EM can drive a level's m to almost nothing (no true pair in the training sample showed a
# different sex, say), which would make one keying error veto a link outright (-40 bits).
# A floor keeps every disagreement strong but finite evidence.
M_FLOOR = 0.001


def apply_m_floor(settings: dict[str, Any], floor: float = M_FLOOR) -> dict[str, Any]:
    """Raise every trained m below `floor` to `floor` (in place; returns `settings`)."""
    for comp in settings["comparisons"]:
        for level in comp["comparison_levels"]:
            m = level.get("m_probability")
            if m is not None and m < floor:
                level["m_probability"] = floor
    return settings


def comparison_vector(left: Features, right: Features) -> dict[str, int]:
    """The gamma value of every comparison for one pair (the Python path)."""
    return {c.name: c.level_of(left, right) for c in COMPARISONS}
