"""The two ordered scales every sharing decision is made on: detail and aggregation.

Detail: how much of a record may be seen, `none` < `known_to` < `rag` < `coded` < `full`.
Aggregation: how finely data about people may be broken down, `person` < `household` <
`street` < `postcode` < `ward` < `district`. *Finer* aggregation reveals *more*, so "the finest
aggregation allowed" is a floor: a requester may have that level or anything coarser.
"""

from __future__ import annotations

from enum import IntEnum


class Detail(IntEnum):
    """How much of a record may be seen; a higher value reveals more."""

    NONE = 0
    KNOWN_TO = 1  # agency, service, dates, contact
    RAG = 2  # + the RAG flag
    CODED = 3  # + coded reasons and outcomes, dates to the month
    FULL = 4  # all fields

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Detail) -> Detail:
        """`"rag"` -> `Detail.RAG`; raises ValueError naming the allowed labels."""
        if isinstance(value, Detail):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown detail level {value!r}; use one of {', '.join(DETAIL_LABELS)}"
            ) from None


class Aggregation(IntEnum):
    """How finely data about people is broken down; a *lower* value reveals more."""

    PERSON = 0
    HOUSEHOLD = 1
    STREET = 2
    POSTCODE = 3
    WARD = 4
    DISTRICT = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Aggregation) -> Aggregation:
        """`"ward"` -> `Aggregation.WARD`; raises ValueError naming the allowed labels."""
        if isinstance(value, Aggregation):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown aggregation level {value!r}; use one of {', '.join(AGGREGATION_LABELS)}"
            ) from None

    def allows(self, asked: Aggregation) -> bool:
        """True when a floor of `self` (the finest allowed) permits data at level `asked`."""
        return asked >= self


DETAIL_LABELS: tuple[str, ...] = tuple(d.label for d in Detail)
AGGREGATION_LABELS: tuple[str, ...] = tuple(a.label for a in Aggregation)
