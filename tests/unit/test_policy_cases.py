"""The decision table (docs/policy.md): every worked case decides as documented."""

from __future__ import annotations

import pytest

from joinedup.domain.policy import decide
from joinedup.domain.policy_cases import CASES, PolicyCase


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_case_decides_as_documented(case: PolicyCase) -> None:
    (decision,) = decide(
        case.requester,
        case.purpose,
        case.request,
        case.agreements,
        case.consents,
        case.break_glass,
        case.now,
    )
    expected = case.expected
    assert decision.allowed is expected.allowed
    assert decision.detail == expected.detail
    assert decision.aggregation == expected.aggregation
    assert decision.break_glass is expected.break_glass
    assert any(expected.reason in reason for reason in decision.reasons), decision.reasons


def test_case_titles_are_unique() -> None:
    titles = [c.title for c in CASES]
    assert len(titles) == len(set(titles))


def test_the_table_covers_every_kind_of_outcome() -> None:
    """The published table shows a grant, a refusal, consent, break-glass and aggregation."""
    reasons = " ".join(c.expected.reason for c in CASES)
    for phrase in [
        "own record",
        "not shared under your agreements",
        "refused sharing with you",
        "consent required and not recorded",
        "break-glass",
        "aggregation coarsened",
        "detail limited",
    ]:
        assert phrase in reasons, phrase
