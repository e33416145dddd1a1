"""The detail and aggregation scales."""

from __future__ import annotations

import pytest

from joinedup.domain.levels import AGGREGATION_LABELS, DETAIL_LABELS, Aggregation, Detail


def test_detail_order_follows_the_design() -> None:
    assert DETAIL_LABELS == ("none", "known_to", "rag", "coded", "full")
    assert Detail.NONE < Detail.KNOWN_TO < Detail.RAG < Detail.CODED < Detail.FULL


def test_aggregation_order_follows_the_design() -> None:
    assert AGGREGATION_LABELS == ("person", "household", "street", "postcode", "ward", "district")


@pytest.mark.parametrize("label", DETAIL_LABELS)
def test_detail_labels_round_trip(label: str) -> None:
    assert Detail.parse(label).label == label
    assert Detail.parse(f" {label.upper()} ") == Detail.parse(label)


def test_unknown_levels_name_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="known_to, rag"):
        Detail.parse("everything")
    with pytest.raises(ValueError, match="ward, district"):
        Aggregation.parse("galaxy")


def test_finest_allowed_is_a_floor() -> None:
    ward = Aggregation.WARD
    assert ward.allows(Aggregation.WARD) and ward.allows(Aggregation.DISTRICT)
    assert not ward.allows(Aggregation.POSTCODE) and not ward.allows(Aggregation.PERSON)
