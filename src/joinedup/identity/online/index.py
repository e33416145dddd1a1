"""The candidate index: every active record's comparison features, keyed by the blocking rules.

A pair is a candidate when any of `comparisons.PREDICTION_BLOCKING_RULES` holds, exactly as
Splink's batch blocking decides it (plain equalities; NULL never equal). Rather than one
dictionary per rule, records are indexed under a few *anchors* (an identifier, the date
of birth, the postcode with a name code, the family-name code with the given-name group):
every rule contains one anchor, so the union of the anchors' buckets holds every
candidate, and each record in it is then checked against the rules themselves. Features
are kept as tuples in `FEATURE_COLUMNS` order with repeated values shared (about 1 KB a
record with the buckets; docs/performance.md).

Not thread-safe on its own: `OnlineMatcher` guards it with a lock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from joinedup.domain.comparisons import FEATURE_COLUMNS, PREDICTION_BLOCKING_RULES

FeatureRow = tuple[Any, ...]
COLUMN_INDEX: dict[str, int] = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
TF_COLUMNS = ("given_name", "family_name")

_EQUALITY = re.compile(r"^l\.(\w+)\s*=\s*r\.(\w+)$")


def parse_rule(rule: str) -> tuple[str, ...]:
    """The columns of a rule written as `l.a = r.a AND l.b = r.b ...`."""
    columns = []
    for part in rule.split(" AND "):
        found = _EQUALITY.match(part.strip())
        if not found or found.group(1) != found.group(2):
            raise ValueError(f"blocking rule {rule!r} is not a conjunction of equalities")
        columns.append(found.group(1))
    return tuple(columns)


RULES: tuple[tuple[str, ...], ...] = tuple(parse_rule(r) for r in PREDICTION_BLOCKING_RULES)
# Anchors in order of preference: each rule is served by the first anchor it contains.
ANCHORS: tuple[tuple[str, ...], ...] = (
    ("nhs_number",),
    ("upn",),
    ("uln",),
    ("ni_number",),
    ("dob",),
    # Not the postcode alone: a postcode holds a few hundred records in a big extract.
    ("postcode", "given_key"),
    ("postcode", "family_ph"),
    ("family_ph", "given_key"),
)
RULE_POSITIONS = tuple(tuple(COLUMN_INDEX[c] for c in rule) for rule in RULES)
ANCHOR_POSITIONS = tuple(tuple(COLUMN_INDEX[c] for c in anchor) for anchor in ANCHORS)


def _check_anchors() -> None:
    for rule in RULES:
        if not any(set(anchor) <= set(rule) for anchor in ANCHORS):
            raise ValueError(f"blocking rule on {rule} has no anchor in the candidate index")


_check_anchors()


def to_row(features: Mapping[str, Any], intern: dict[Any, Any] | None = None) -> FeatureRow:
    """A feature dict (from `prepare_record`) as a tuple; lists become tuples."""
    out = []
    for column in FEATURE_COLUMNS:
        value = features.get(column)
        if isinstance(value, list):
            value = tuple(value)
        if intern is not None and value is not None:
            value = intern.setdefault(value, value)
        out.append(value)
    return tuple(out)


def to_features(row: FeatureRow) -> dict[str, Any]:
    """The feature dict the comparisons read, from a stored tuple."""
    return dict(zip(FEATURE_COLUMNS, row, strict=True))


def _anchor_key(row: FeatureRow, positions: tuple[int, ...]) -> Any:
    if len(positions) == 1:
        return row[positions[0]]
    values = tuple(row[p] for p in positions)
    return None if any(v is None for v in values) else values


def blocked(a: FeatureRow, b: FeatureRow) -> bool:
    """True when any prediction blocking rule holds for the pair (SQL NULL semantics)."""
    for positions in RULE_POSITIONS:
        for p in positions:
            x = a[p]
            if x is None or x != b[p]:
                break
        else:
            return True
    return False


class CandidateIndex:
    """Records' features by record id, buckets by anchor, and name frequencies."""

    def __init__(self) -> None:
        self.rows: dict[int, FeatureRow] = {}
        self.buckets: tuple[dict[Any, list[int]], ...] = tuple({} for _ in ANCHORS)
        self.tf_counts: dict[str, Counter[Any]] = {c: Counter() for c in TF_COLUMNS}
        self.tf_totals: dict[str, int] = dict.fromkeys(TF_COLUMNS, 0)
        self._intern: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.rows

    def add(self, record_id: int, features: Mapping[str, Any] | FeatureRow) -> None:
        """Index (or re-index) one record."""
        if record_id in self.rows:
            self.remove(record_id)
        row = features if isinstance(features, tuple) else to_row(features, self._intern)
        self.rows[record_id] = row
        for bucket, positions in zip(self.buckets, ANCHOR_POSITIONS, strict=True):
            key = _anchor_key(row, positions)
            if key is not None:
                bucket.setdefault(key, []).append(record_id)
        for column in TF_COLUMNS:
            value = row[COLUMN_INDEX[column]]
            if value is not None:
                self.tf_counts[column][value] += 1
                self.tf_totals[column] += 1

    def remove(self, record_id: int) -> None:
        row = self.rows.pop(record_id, None)
        if row is None:
            return
        for bucket, positions in zip(self.buckets, ANCHOR_POSITIONS, strict=True):
            key = _anchor_key(row, positions)
            if key is not None:
                ids = bucket.get(key)
                if ids is not None:
                    ids.remove(record_id)
                    if not ids:
                        del bucket[key]
        for column in TF_COLUMNS:
            value = row[COLUMN_INDEX[column]]
            if value is not None:
                self.tf_counts[column][value] -= 1
                self.tf_totals[column] -= 1

    @property
    def intern_table(self) -> dict[Any, Any]:
        """Shared values (one object per distinct name, postcode, ...) for rows built
        elsewhere."""
        return self._intern

    def candidates(self, row: FeatureRow, exclude: int | None = None) -> list[int]:
        """Ids of the indexed records that some blocking rule pairs with `row`."""
        seen: set[int] = set()
        out: list[int] = []
        for bucket, positions in zip(self.buckets, ANCHOR_POSITIONS, strict=True):
            key = _anchor_key(row, positions)
            if key is None:
                continue
            for record_id in bucket.get(key, ()):
                if record_id in seen or record_id == exclude:
                    continue
                seen.add(record_id)
                if blocked(row, self.rows[record_id]):
                    out.append(record_id)
        return out

    def term_frequencies(self) -> TermFrequencies:
        return TermFrequencies(self)


class _ColumnFrequencies(Mapping[Any, float]):
    def __init__(self, counts: Counter[Any], total: int) -> None:
        self._counts, self._total = counts, total

    def __getitem__(self, value: Any) -> float:
        count = self._counts.get(value, 0)
        if count <= 0 or self._total <= 0:
            raise KeyError(value)
        return count / self._total

    def __iter__(self) -> Iterator[Any]:
        return (v for v, c in self._counts.items() if c > 0)

    def __len__(self) -> int:
        return sum(1 for c in self._counts.values() if c > 0)


class TermFrequencies(Mapping[str, Mapping[Any, float]]):
    """Share of records with each name, over the indexed records (as Splink's tf tables
    over the batch): computed on demand from live counts."""

    def __init__(self, index: CandidateIndex) -> None:
        self._index = index

    def __getitem__(self, column: str) -> Mapping[Any, float]:
        if column not in self._index.tf_counts:
            raise KeyError(column)
        return _ColumnFrequencies(self._index.tf_counts[column], self._index.tf_totals[column])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.tf_counts)

    def __len__(self) -> int:
        return len(self._index.tf_counts)
