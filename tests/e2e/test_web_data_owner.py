"""Browser journeys of a data owner: upload an extract (progress, batch report), the
data-quality report with its charts, the quarantine list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from partnership_seed import extract_csv

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _extract(bad_rows: int, postcode: str = "LS9 9ZZ") -> bytes:
    """CSC's extract in the core format, with `bad_rows` rows lacking their local id."""
    text = extract_csv("CSC").replace("LS9 9ZZ", postcode)
    header = text.splitlines()[0]
    blank = ",".join("" for _ in header.split(","))
    bad = "".join(f",Nobody{i},Known,2010-01-0{i + 1}" + blank[3:] + "\n" for i in range(bad_rows))
    return (text + bad).encode()


def _upload(page: Any, name: str, content: bytes) -> None:
    page.goto("/uploads")
    page.get_by_label("Dataset").select_option("cases")
    page.get_by_label("Extract file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_label("Everything we hold").check()
    page.get_by_role("button", name="Upload and load").click()
    expect(page).to_have_url(re.compile(r"/uploads/cases/batches/\d+$"))


def test_upload_with_progress_then_report_quality_and_quarantine(
    ppage: Any, sign_in_partner: Any, check_page: Any
) -> None:
    sign_in_partner("csc_owner")
    ppage.get_by_role("link", name="Uploads").first.click()
    expect(ppage.get_by_role("heading", level=1)).to_have_text("Upload an extract")
    # Nothing chosen: the errors come back (through HTMX) with the error summary.
    ppage.get_by_role("button", name="Upload and load").click()
    summary = ppage.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the dataset")
    expect(summary).to_contain_text("Select the extract file")
    check_page(ppage, "uploads")

    # HTMX sends the form (so its upload progress events drive the progress bar) and the
    # answer sends the browser on to the batch report.
    with ppage.expect_request(lambda r: r.method == "POST" and r.url.endswith("/uploads")) as sent:
        _upload(ppage, "csc-week1.csv", _extract(bad_rows=1))
    assert sent.value.headers.get("hx-request") == "true"
    assert ppage.locator("#upload-progress").count() == 0  # gone with the upload page
    expect(ppage.get_by_test_id("batch-status")).to_contain_text(
        "2 of 3 rows loaded, 1 quarantined"
    )
    expect(ppage.get_by_test_id("quarantine-reasons")).to_contain_text("1 row")
    check_page(ppage, "batch-report")

    ppage.get_by_role("link", name="See the quarantined rows").click()
    table = ppage.get_by_test_id("quarantine")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Nobody0")
    check_page(ppage, "quarantine")

    _upload(ppage, "csc-week2.csv", _extract(bad_rows=0, postcode="LS9 9ZY"))
    expect(ppage.get_by_test_id("batch-status")).to_contain_text("2 of 2 rows loaded")
    ppage.get_by_role("link", name="Data quality of this batch").click()
    fields = ppage.get_by_test_id("field-quality")
    family = fields.locator("tr", has=ppage.locator("th", has_text=re.compile("^family_name$")))
    expect(family).to_contain_text("100.0%")
    # The trend: a point for each uploaded batch (the seed's batch has no field figures),
    # and the same values written in the table.
    expect(ppage.get_by_test_id("trend-chart").locator("circle")).to_have_count(2)
    trend = ppage.get_by_test_id("trend-table")
    expect(trend.locator("tr", has_text="csc-week1.csv")).to_contain_text("%")
    expect(trend.locator("tr", has_text="csc-week2.csv")).to_contain_text("%")
    check_page(ppage, "data-quality")


def test_challenges_inbox_accept_and_reject(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    from joinedup.records.challenges import raise_challenge

    world = partnership_server.world
    local_id = f"CSC-{world.person_number}"
    accept = raise_challenge(
        partnership_server.engine,
        "CSC",
        "cases",
        local_id,
        "lead_practitioner",
        "Sam Social-Worker",
        "She married in June.",
        by_org="SCH",
        actor="teacher",
    )
    reject = raise_challenge(
        partnership_server.engine,
        "CSC",
        "cases",
        local_id,
        "postcode",
        "LS1 4AQ",
        "Our roll says 4AQ.",
        by_org="SCH",
        actor="teacher",
    )
    sign_in_partner("csc_owner")
    ppage.get_by_role("link", name="Challenges").first.click()
    cards = ppage.get_by_test_id("challenge")
    expect(cards.filter(has_text=f"Challenge {accept.id}:")).to_contain_text("Sam Social-Worker")
    check_page(ppage, "challenges")
    rejecting = cards.filter(has_text=f"Challenge {reject.id}:")
    rejecting.get_by_label("Reject", exact=True).check()
    rejecting.get_by_role("button", name=f"Save decision on challenge {reject.id}").click()
    expect(ppage.locator(".govuk-error-summary")).to_contain_text("Say why you reject")
    rejecting = ppage.get_by_test_id("challenge").filter(has_text=f"Challenge {reject.id}:")
    rejecting.get_by_label("Reject", exact=True).check()
    rejecting.get_by_label("Reason (needed to reject)").fill("The family told us 4AP last week.")
    rejecting.get_by_role("button", name=f"Save decision on challenge {reject.id}").click()
    expect(ppage.locator(".govuk-notification-banner")).to_contain_text(
        f"Challenge {reject.id} rejected"
    )
    accepting = ppage.get_by_test_id("challenge").filter(has_text=f"Challenge {accept.id}:")
    accepting.get_by_label("Accept and correct").check()
    accepting.get_by_role("button", name=f"Save decision on challenge {accept.id}").click()
    expect(ppage.locator(".govuk-notification-banner")).to_contain_text(
        "lead_practitioner is now 'Sam Social-Worker'"
    )
    decided = ppage.get_by_test_id("decided")
    expect(decided.locator("tr", has_text=": postcode")).to_contain_text("Rejected")
    expect(decided.locator("tr", has_text="lead_practitioner")).to_contain_text("Accepted")


def test_agreement_draft_approve_suspend(ppage: Any, sign_in_partner: Any, check_page: Any) -> None:
    sign_in_partner("csc_owner")
    ppage.get_by_role("link", name="Agreements").first.click()
    expect(ppage.get_by_test_id("agreements")).to_contain_text("CSC-SCH")
    check_page(ppage, "agreements")
    ppage.get_by_role("button", name="Draft a new agreement").click()
    ppage.get_by_role("button", name="Save draft").click()
    summary = ppage.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select at least one dataset")
    expect(summary).to_contain_text("Select the legal basis")
    check_page(ppage, "agreement-new")
    ppage.get_by_label("Code", exact=True).fill("CSC-HSG-WEB")
    ppage.get_by_label("Title", exact=True).fill(
        "Children's services to housing, for tenancy support"
    )
    ppage.get_by_label("cases", exact=True).check()
    ppage.get_by_label("Northshire Homes (HSG)").check()
    ppage.get_by_label("Housing support").check()
    ppage.get_by_label("Known to (who is involved and how to reach them)").check()
    ppage.get_by_label("Public task").check()
    ppage.get_by_role("button", name="Save draft").click()
    expect(ppage.locator(".govuk-notification-banner")).to_contain_text("drafted")
    expect(ppage.get_by_test_id("agreement-status")).to_have_text("Draft")
    ppage.get_by_role("button", name="Approve agreement").click()
    expect(ppage.get_by_test_id("agreement-status")).to_have_text("In force")
    check_page(ppage, "agreement")
    ppage.get_by_role("button", name="Suspend agreement").click()
    expect(ppage.locator(".govuk-error-summary")).to_contain_text("Say why you are suspending")
    ppage.get_by_label("Why suspend it?").fill(
        "Housing asked us to pause while they re-train staff."
    )
    ppage.get_by_role("button", name="Suspend agreement").click()
    expect(ppage.get_by_test_id("agreement-status")).to_have_text("Suspended")
    ppage.get_by_role("link", name="All agreements").click()
    row = ppage.get_by_test_id("agreements").locator("tr", has_text="CSC-HSG-WEB")
    expect(row).to_contain_text("Suspended")


def test_record_and_withdraw_consent(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    # Eddie, so the refusal changes no other journey's view of Amy.
    number = partnership_server.world.other_number
    sign_in_partner("csc_owner")
    ppage.get_by_role("link", name="Consent").first.click()
    ppage.get_by_label("Person number").fill(number)
    ppage.get_by_role("button", name="Show register").click()
    expect(ppage.get_by_test_id("no-entries")).to_be_visible()
    ppage.get_by_role("button", name="Record decision").click()
    expect(ppage.locator(".govuk-error-summary")).to_contain_text("agreed or refused")
    ppage.get_by_label("Refused to share").check()
    ppage.get_by_label("Sharing with").select_option(label="Riverside Primary School")
    ppage.get_by_label("How and when did they tell you?").fill("Said so at the review, 3 June.")
    ppage.get_by_role("button", name="Record decision").click()
    expect(ppage.locator(".govuk-notification-banner")).to_contain_text("refusal to share")
    entry = ppage.get_by_test_id("consent-entry")
    expect(entry).to_contain_text("Refused to share")
    expect(entry).to_contain_text("SCH")
    check_page(ppage, "consent")
    entry.get_by_role("button", name=re.compile("Withdraw entry")).click()
    expect(ppage.locator(".govuk-error-summary")).to_contain_text("Say why")
    ppage.get_by_test_id("consent-entry").get_by_label(re.compile("Why withdraw")).fill(
        "Recorded against the wrong person."
    )
    ppage.get_by_test_id("consent-entry").get_by_role(
        "button", name=re.compile("Withdraw entry")
    ).click()
    expect(ppage.get_by_test_id("consent-entry")).to_contain_text("Withdrawn")


def test_who_looked_at_our_records(
    ppage: Any, sign_in_partner: Any, partnership_server: Any, check_page: Any
) -> None:
    number = partnership_server.world.person_number
    sign_in_partner("teacher")
    ppage.goto(f"/persons/{number}?purpose=education_support")
    expect(ppage.get_by_test_id("involvement").first).to_be_visible()
    ppage.get_by_test_id("sign-out").click()
    sign_in_partner("csc_owner")
    ppage.get_by_role("link", name="Audit").first.click()
    expect(ppage.get_by_role("heading", level=1)).to_have_text("Who looked at our records")
    check_page(ppage, "audit")
    # Oldest first: follow the pages to the latest entries.
    while ppage.get_by_role("link", name="Later entries").count():
        ppage.get_by_role("link", name="Later entries").click()
    row = ppage.get_by_test_id("accesses").locator("tr", has_text="Education support").last
    expect(row).to_contain_text("teacher (SCH)")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("under CSC-SCH")
