"""The synthetic partners, each with its own extract layout (docs/synthetic-data.md)."""

from __future__ import annotations

from joinedup.synth.agencies.adult_social_care import AdultSocialCare
from joinedup.synth.agencies.benefits import RevenuesBenefits
from joinedup.synth.agencies.childrens_social_care import ChildrensSocialCare
from joinedup.synth.agencies.common import Agency, Context
from joinedup.synth.agencies.education import Education
from joinedup.synth.agencies.employment import Employment
from joinedup.synth.agencies.health import Health
from joinedup.synth.agencies.hospital import Hospital
from joinedup.synth.agencies.housing import Housing
from joinedup.synth.agencies.primary_care import PrimaryCare


def all_agencies() -> list[Agency]:
    """Fresh instances of every partner, in manifest order."""
    return [
        ChildrensSocialCare(),
        Education(),
        Health(),
        AdultSocialCare(),
        Employment(),
        Housing(),
        PrimaryCare(),
        Hospital(),
        RevenuesBenefits(),
    ]


__all__ = ["Agency", "Context", "all_agencies"]
