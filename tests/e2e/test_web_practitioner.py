"""Browser journeys of a practitioner: search, the known-to page at each level the sharing
rules give, refusals that hide details and say why, and break-glass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _open_person(page: Any, number: str, purpose: str = "Safeguarding") -> None:
    page.goto("/search")
    page.get_by_label("Person number").fill(number)
    page.locator("#lookup-purpose").select_option(label=purpose)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Person {number}")


def test_search_says_plainly_when_the_matcher_is_not_available(page: Any, sign_in: Any) -> None:
    # The foundation's server has no trained linkage model, so no matcher.
    sign_in("practitioner")
    page.get_by_role("link", name="Search").first.click()
    expect(page.get_by_test_id("search-unavailable")).to_contain_text("not available yet")
    page.locator("#purpose").select_option(label="Safeguarding")
    page.get_by_label("Family name").fill("Example")
    page.get_by_label("Date of birth").fill("2012-03-04")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_have_count(0)
    expect(page.get_by_test_id("search-unavailable")).to_be_visible()


def test_search_finds_the_person_and_opens_the_known_to_page(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    number = partnership_server.world.person_number
    sign_in_partner("teacher")
    ppage.get_by_role("link", name="Search").first.click()
    expect(ppage.get_by_role("heading", level=1)).to_have_text("Search for a person")
    expect(ppage.get_by_test_id("search-unavailable")).to_have_count(0)
    # Without a purpose, and with too little to find one person: refused, with reasons.
    ppage.get_by_label("Family name").fill("Example")
    ppage.get_by_role("button", name="Search").click()
    summary = ppage.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select why you are looking")
    ppage.locator("#purpose").select_option(label="Safeguarding")
    ppage.get_by_role("button", name="Search").click()
    expect(summary).to_contain_text("Give enough to find one person")
    ppage.get_by_label("Given name").fill("Amy")
    ppage.get_by_label("Date of birth").fill("2012-03-04")
    ppage.get_by_label("Postcode").fill("LS1 4AP")
    ppage.get_by_role("button", name="Search").click()
    expect(ppage.locator("#results")).to_have_text("1 person found")
    check_page(ppage, "search")
    ppage.get_by_role("link", name=f"Person {number}").click()
    expect(ppage.get_by_role("heading", level=1)).to_have_text(f"Person {number}")
    expect(ppage.locator(".govuk-caption-l")).to_have_text("Purpose: Safeguarding")


def test_teacher_sees_rag_from_csc_and_why_the_rest_is_withheld(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    world = partnership_server.world
    sign_in_partner("teacher")
    _open_person(ppage, world.person_number)
    expect(ppage.locator(".govuk-caption-l")).to_have_text("Purpose: Safeguarding")
    cards = ppage.get_by_test_id("involvement")
    expect(cards).to_have_count(2)
    csc = cards.filter(has_text="Northshire Children's Services")
    # The RAG flag is a word in a tag, not a colour alone; the lead and contact are shown.
    expect(csc.get_by_test_id("rag")).to_have_text(re.compile(r"RAG flag: Red"))
    expect(csc).to_contain_text("Sam Social")
    expect(csc).to_contain_text("sam.social@csc.example")
    # rag level: no coded reasons, no free text.
    expect(csc).not_to_contain_text("neglect")
    expect(csc).not_to_contain_text("Home visit")
    own = cards.filter(has_text="Riverside Primary School")
    expect(own).to_contain_text("Attendance 86% this term.")
    expect(own.get_by_test_id("detail")).to_contain_text("your organisation's own record")
    withheld = ppage.get_by_test_id("withheld")
    expect(withheld).to_contain_text("not shared under your agreements")
    expect(withheld).to_contain_text("consent required and not recorded")
    # Where the withheld records are held is not said.
    expect(ppage.locator("main")).not_to_contain_text("Northshire Homes")
    expect(ppage.locator("main")).not_to_contain_text("Community Health")
    check_page(ppage, "known-to")


def test_known_to_agreement_shows_known_to_lines_only(
    ppage: Any, sign_in_partner: Any, partnership_server: Any
) -> None:
    sign_in_partner("social")
    _open_person(ppage, partnership_server.world.person_number)
    school = ppage.get_by_test_id("involvement").filter(has_text="Riverside Primary School")
    expect(school).to_contain_text("Tess Teacher")
    expect(school).to_contain_text("office@riverside.example")
    expect(school.get_by_test_id("detail")).to_contain_text("Known to (who is involved")
    expect(school.get_by_test_id("rag")).to_have_count(0)
    expect(school).not_to_contain_text("Attendance")
    expect(school).not_to_contain_text("ATT-LOW")


def test_practitioner_without_an_agreement_sees_no_details(
    ppage: Any, sign_in_partner: Any, partnership_server: Any
) -> None:
    sign_in_partner("adviser")
    _open_person(ppage, partnership_server.world.person_number, "Employment support")
    expect(ppage.get_by_test_id("involvement")).to_have_count(0)
    expect(ppage.get_by_test_id("no-involvements")).to_be_visible()
    expect(ppage.get_by_test_id("withheld").locator("li")).to_have_count(4)
    expect(ppage.get_by_test_id("withheld")).to_contain_text("not shared under your agreements")
    expect(ppage.locator("main")).not_to_contain_text("Amy")


def test_refused_consent_hides_the_details_and_says_why(
    ppage: Any, sign_in_partner: Any, partnership_server: Any
) -> None:
    sign_in_partner("nurse")
    _open_person(ppage, partnership_server.world.person_number)
    expect(ppage.get_by_test_id("withheld")).to_contain_text(
        "the person has refused sharing with you"
    )
    expect(ppage.locator("main")).not_to_contain_text("Children's Services")
    expect(ppage.locator("main")).not_to_contain_text("Sam Social")
    # Her own service's record is still there in full.
    expect(ppage.get_by_test_id("involvement")).to_contain_text("Growth monitoring")


def test_purpose_is_asked_for_before_a_person_is_shown(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    sign_in_partner("teacher")
    ppage.goto(f"/persons/{partnership_server.world.person_number}")
    expect(ppage.get_by_role("heading", level=1)).to_contain_text("Why are you looking")
    expect(ppage.get_by_test_id("involvement")).to_have_count(0)
    check_page(ppage, "choose-purpose")
    ppage.get_by_label("Education support").check()
    ppage.get_by_role("button", name="Continue").click()
    expect(ppage.locator(".govuk-caption-l")).to_have_text("Purpose: Education support")


def test_break_glass_with_a_justification_opens_the_record(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    # Eddie is known only to EMP, which shares nothing with the school.
    number = partnership_server.world.other_number
    sign_in_partner("teacher")
    _open_person(ppage, number)
    expect(ppage.get_by_test_id("involvement")).to_have_count(0)
    ppage.get_by_role("link", name="ask for emergency (break-glass) access").click()
    ppage.get_by_role("button", name="Get emergency access").click()
    summary = ppage.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Write at least 40 characters")
    expect(summary).to_contain_text("Confirm that you understand")
    check_page(ppage, "break-glass")
    ppage.get_by_label("Why do you need to see more now?").fill(
        "Eddie's child was brought to school injured; we need his employment adviser now."
    )
    ppage.get_by_label("For how many hours?").fill("2")
    ppage.get_by_label("I understand that this access is recorded").check()
    ppage.get_by_role("button", name="Get emergency access").click()
    expect(ppage.locator(".govuk-notification-banner")).to_contain_text(
        "Break-glass access granted for 2 hours"
    )
    card = ppage.get_by_test_id("involvement")
    expect(card).to_contain_text("Works programme")
    expect(card.get_by_test_id("detail")).to_contain_text("break-glass")
