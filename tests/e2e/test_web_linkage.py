"""Browser journeys of a linkage officer: the review queue (records side by side, the
differences marked in words, the match weights charted), decisions, merge and split with a
reason, and the person's history."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _open_first_item(page: Any) -> str:
    page.get_by_role("link", name="Review queue").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    link = page.get_by_test_id("queue").get_by_role("link").first
    name = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are these the same person?")
    return name


def test_review_pair_side_by_side_and_decide(lpage: Any, check_page: Any) -> None:
    lpage.get_by_role("link", name="Review queue").first.click()
    check_page(lpage, "review-queue")
    first = _open_first_item(lpage)
    table = lpage.get_by_test_id("side-by-side")
    expect(table.locator("tbody tr").first).to_be_visible()
    # Every differing field says so in words as well as in bold.
    for row in table.locator("tbody tr[data-state=differs]").all():
        expect(row).to_contain_text("Differs")
    weights = lpage.get_by_test_id("weights").locator("li")
    expect(weights.first).to_contain_text(re.compile(r"[+-]\d+\.\d\d \((for|against)"))
    assert lpage.get_by_test_id("weights-chart").locator("rect").count() == weights.count()
    check_page(lpage, "review-item")
    # Unsure needs a note; then the pair stays in the queue with it.
    lpage.get_by_role("radio", name=re.compile("^Not sure")).check()
    lpage.get_by_role("button", name="Save decision").click()
    expect(lpage.locator(".govuk-error-summary")).to_contain_text("Say why you are not sure")
    lpage.get_by_role("radio", name=re.compile("^Not sure")).check()
    lpage.get_by_label("Note (needed when you are not sure)").fill("Ask the school for the UPN.")
    lpage.get_by_role("button", name="Save decision").click()
    expect(lpage.locator(".govuk-notification-banner")).to_contain_text("stays in the queue")
    # It is still open, with the note for the next reviewer.
    item_id = first.rsplit(" ", 1)[1]
    lpage.goto(f"/review/{item_id}")
    expect(lpage.locator("main")).to_contain_text("Earlier note: Ask the school for the UPN.")
    # Same person: the two records end up in one person.
    lpage.get_by_role("radio", name="The same person", exact=True).check()
    lpage.get_by_role("button", name="Save decision").click()
    banner = lpage.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Recorded as the same person")
    number = re.search(r"person (\d{10})", banner.inner_text()).group(1)
    expect(lpage.get_by_test_id("queue").get_by_role("link", name=first, exact=True)).to_have_count(
        0
    )
    lpage.goto(f"/linkage/persons/{number}")
    expect(lpage.get_by_test_id("history")).to_contain_text("web:linker")


def test_merge_and_split_with_reasons_in_the_history(
    lpage: Any, linkage_server: Any, check_page: Any
) -> None:
    from sqlalchemy import func, select

    from joinedup.store.schema.identity import Person, PersonLink

    # Two active persons with two or more records each, to merge and then split again.
    with linkage_server.engine.connect() as conn:
        numbers = (
            conn.execute(
                select(Person.person_number)
                .join(PersonLink, PersonLink.person_id == Person.id)
                .where(Person.status == "active")
                .group_by(Person.id, Person.person_number)
                .having(func.count() >= 2)
                .order_by(Person.id.desc())
                .limit(2)
            )
            .scalars()
            .all()
        )
    keep, absorb = numbers
    lpage.get_by_role("link", name="Persons").first.click()
    check_page(lpage, "persons")
    lpage.get_by_label("Person number").fill(keep)
    lpage.get_by_role("button", name="Open person").click()
    expect(lpage.get_by_role("heading", level=1)).to_have_text(keep)
    before = lpage.get_by_test_id("records").locator("tbody tr").count()
    lpage.get_by_label("Number of the person to merge in").fill(absorb)
    lpage.get_by_role("button", name="Merge persons").click()
    expect(lpage.locator(".govuk-error-summary")).to_contain_text("Say why")
    lpage.get_by_label("Why are they the same person?").fill("Same NHS number on the GP letter.")
    lpage.get_by_role("button", name="Merge persons").click()
    expect(lpage.locator(".govuk-notification-banner")).to_contain_text(
        f"Person {absorb} merged into {keep}"
    )
    rows = lpage.get_by_test_id("records").locator("tbody tr")
    after = rows.count()
    assert after > before
    expect(lpage.get_by_test_id("history")).to_contain_text("Same NHS number on the GP letter.")
    check_page(lpage, "person")
    # The old number leads to the survivor.
    lpage.goto(f"/linkage/persons/{absorb}")
    expect(lpage.get_by_test_id("redirected")).to_contain_text(f"{absorb} was merged into {keep}")
    # Split the first record off again.
    ref = rows.first.locator("td").first.inner_text().strip()
    lpage.locator(f'input[name=records][value="{ref}"]').check()
    lpage.get_by_label("Why are they a different person?").fill("Twins: different first names.")
    lpage.get_by_role("button", name="Split records off").click()
    expect(lpage.locator(".govuk-notification-banner")).to_contain_text("1 records moved")
    expect(lpage.get_by_test_id("records").locator("tbody tr")).to_have_count(after - 1)
    expect(lpage.get_by_test_id("history")).to_contain_text("Twins: different first names.")
