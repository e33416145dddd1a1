"""Score one pair of feature records with a trained model, in pure Python.

The same arithmetic as Splink's SQL: each comparison contributes log2(m/u) of the level the
pair reaches; an exact match on a term-frequency-adjusted column adds
`weight * (log2(u_exact) - log2(max(tf_l, tf_r, tf_minimum)))`; the prior adds
log2(lambda / (1 - lambda)). The online matcher (one record at a time) uses this with the
stored model; tests check it against Splink's batch scores for the same pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joinedup.domain.comparisons import COMPARISONS, Comparison, Features


@dataclass(frozen=True)
class LevelParams:
    label: str
    weight: float  # log2(m / u)
    u: float
    tf_column: str | None
    tf_weight: float
    tf_minimum_u: float


@dataclass(frozen=True)
class ModelParams:
    """The trained parameters, by comparison, non-null levels in Splink's order."""

    prior_weight: float
    levels: Mapping[str, tuple[LevelParams, ...]]


@dataclass(frozen=True)
class Contribution:
    comparison: str
    gamma: int
    level: str
    weight: float


@dataclass(frozen=True)
class PairScore:
    match_weight: float
    match_probability: float
    contributions: tuple[Contribution, ...]


def params_from_settings(settings: Mapping[str, Any]) -> ModelParams:
    """Read m, u and term-frequency settings from a trained Splink settings dict."""
    lam = float(settings["probability_two_random_records_match"])
    levels: dict[str, tuple[LevelParams, ...]] = {}
    for comp in settings["comparisons"]:
        out = []
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else 0.0
            out.append(
                LevelParams(
                    label=str(level.get("label_for_charts", "")),
                    weight=weight,
                    u=float(u or 0.0),
                    tf_column=level.get("tf_adjustment_column"),
                    tf_weight=float(level.get("tf_adjustment_weight", 1.0)),
                    tf_minimum_u=float(level.get("tf_minimum_u_value", 0.0)),
                )
            )
        levels[comp["output_column_name"]] = tuple(out)
    return ModelParams(prior_weight=math.log2(lam / (1 - lam)), levels=levels)


def _exact_u(levels: tuple[LevelParams, ...], column: str) -> float:
    # Splink takes u from the level that is an exact match on the tf column: the first.
    for level in levels:
        if level.tf_column == column:
            return level.u
    return levels[0].u


def score_pair(
    left: Features,
    right: Features,
    params: ModelParams,
    term_frequencies: Mapping[str, Mapping[str, float]] | None = None,
    comparisons: tuple[Comparison, ...] = COMPARISONS,
) -> PairScore:
    """Match weight, probability and per-comparison contributions of one pair.

    `term_frequencies[column][value]` is the share of records with that value (as Splink's
    tf tables); a value missing from it gets no adjustment.
    """
    total = params.prior_weight
    parts = []
    for comparison in comparisons:
        gamma = comparison.level_of(left, right)
        if gamma < 0:
            parts.append(Contribution(comparison.name, gamma, "null", 0.0))
            continue
        levels = params.levels[comparison.name]
        level = levels[len(levels) - 1 - gamma]
        weight = level.weight
        if level.tf_column and term_frequencies is not None and level.tf_weight:
            table = term_frequencies.get(level.tf_column, {})
            values = (left.get(level.tf_column), right.get(level.tf_column))
            freqs = [table.get(v) for v in values if v is not None]
            known = [f for f in freqs if f is not None]
            if known:
                tf_u = max([*known, level.tf_minimum_u])
                u_exact = _exact_u(levels, level.tf_column)
                weight += level.tf_weight * (math.log2(u_exact) - math.log2(tf_u))
        total += weight
        parts.append(Contribution(comparison.name, gamma, level.label, weight))
    probability = 2**total / (1 + 2**total) if total < 1000 else 1.0
    return PairScore(total, probability, tuple(parts))
