"""Words for the codes the services use (purposes, detail levels, RAG flags), as pages show them."""

from __future__ import annotations

from joinedup.domain.policy import PURPOSES

PURPOSE_LABELS = {
    "safeguarding": "Safeguarding",
    "care_coordination": "Coordinating care",
    "employment_support": "Employment support",
    "education_support": "Education support",
    "housing_support": "Housing support",
    "service_planning": "Service planning",
    "research": "Research",
}
DETAIL_LABELS = {
    "none": "Nothing",
    "known_to": "Known to (who is involved and how to reach them)",
    "rag": "Known to and RAG flag",
    "coded": "Coded reasons and outcomes",
    "full": "Full record",
}
# A RAG flag is always shown as a word in a tag, never as colour alone.
RAG_TAGS = {
    "red": ("Red", "govuk-tag--red"),
    "amber": ("Amber", "govuk-tag--orange"),
    "green": ("Green", "govuk-tag--green"),
}


def purpose_label(code: str | None) -> str:
    if not code:
        return "Any purpose"
    return PURPOSE_LABELS.get(code, code.replace("_", " ").capitalize())


def purpose_items(
    selected: str, *, blank: str | None = "Choose a purpose"
) -> list[dict[str, object]]:
    """govukSelect items for the purposes, `selected` chosen."""
    items: list[dict[str, object]] = [{"value": "", "text": blank}] if blank else []
    items += [{"value": p, "text": purpose_label(p), "selected": p == selected} for p in PURPOSES]
    return items


def detail_label(code: str) -> str:
    return DETAIL_LABELS.get(code, code)


IDENTIFIER_LABELS = {
    "nhs_number": "NHS number",
    "upn": "Unique pupil number",
    "uln": "Unique learner number",
    "ni_number": "National Insurance number",
}


def identifier_label(code: str) -> str:
    return IDENTIFIER_LABELS.get(code, code.replace("_", " ").capitalize())
