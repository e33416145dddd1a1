"""The core record format v1: field names exactly as agreed, versioning, identifier schemes."""

from __future__ import annotations

import pytest

from joinedup.domain.core_format import (
    CURRENT_VERSION,
    FORMATS,
    Kind,
    UnknownFormatVersion,
    core_format,
    identifier_scheme,
)

PERSON = [
    "local_id", "given_name", "middle_names", "family_name", "previous_family_names",
    "date_of_birth", "sex", "address_line_1", "address_line_2", "address_line_3",
    "address_line_4", "postcode", "uprn", "nhs_number", "upn", "uln", "ni_number", "email",
    "phone",
]  # fmt: skip
INVOLVEMENT = [
    "service", "involvement_type", "start_date", "end_date", "episode_status", "rag",
    "lead_practitioner", "lead_contact", "reason_codes", "outcome_codes", "note",
]  # fmt: skip


def test_v1_has_exactly_the_agreed_fields_in_order() -> None:
    assert list(core_format(1).names) == PERSON + INVOLVEMENT


def test_every_v1_field_is_snake_case_and_described() -> None:
    for spec in core_format(1).fields:
        assert spec.name == spec.name.lower() and " " not in spec.name
        assert spec.description.endswith(".")
        assert spec.since == 1


def test_code_lists_match_the_mapping_contract() -> None:
    fmt = core_format(1)
    assert fmt.field("sex").codes == ("male", "female", "indeterminate", "unknown")
    assert fmt.field("rag").codes == ("red", "amber", "green")
    assert fmt.field("episode_status").codes == ("open", "closed")
    assert "child_in_need" in fmt.field("involvement_type").codes
    assert fmt.field("reason_codes").kind is Kind.CODES


def test_unknown_version_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownFormatVersion, match="known: 1"):
        core_format(99)


def test_a_later_version_must_keep_every_v1_field() -> None:
    """Whatever versions exist, each keeps all fields of the versions before it."""
    for version in sorted(FORMATS):
        for older in range(1, version):
            assert set(core_format(older).names) <= set(core_format(version).names)
    assert CURRENT_VERSION in FORMATS


@pytest.mark.parametrize(
    ("name", "scheme"),
    [
        ("identifier:MOSAIC", "MOSAIC"),
        ("identifier:asc.client-id_2", "asc.client-id_2"),
        ("identifier:", None),
        ("identifier:has space", None),
        ("nhs_number", None),
    ],
)
def test_identifier_schemes(name: str, scheme: str | None) -> None:
    assert identifier_scheme(name) == scheme


def test_the_data_definitions_document_lists_every_field_and_code() -> None:
    from joinedup.records.data_definitions import data_definitions

    doc = data_definitions()
    for name in PERSON + INVOLVEMENT:
        assert f"`{name}`" in doc
    assert "`identifier:SCHEME`" in doc
    for code in core_format(1).field("involvement_type").codes:
        assert code in doc
