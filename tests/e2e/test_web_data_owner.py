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

    # The progress bar is driven by the upload's progress events.
    _upload(ppage, "csc-week1.csv", _extract(bad_rows=1))
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
