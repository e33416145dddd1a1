"""Data-quality report: per field completeness, validity, uniqueness; problems with
examples; the trend across batches."""

from __future__ import annotations

import datetime as dt

from ingest_helpers import person, setup_org, write_csv

from joinedup.records.ingest import ingest_file
from joinedup.records.quality import dataset_quality

AS_OF = dt.date(2025, 3, 31)


def test_quality_report_counts_what_the_file_holds(engine, tmp_path) -> None:
    setup_org(engine)
    rows = [person(i) for i in range(1, 11)]
    rows[0]["nhs_number"] = "9434765918"  # bad check digit
    rows[1]["nhs_number"] = ""  # missing
    rows[2]["postcode"] = "NOT A POSTCODE"
    rows[3]["date_of_birth"] = "2030-01-01"  # future
    rows[4]["sex"] = "F"  # not a code
    report = ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", rows), as_of=AS_OF)
    by_field = {f["field"]: f for f in report.quality}
    nhs = by_field["nhs_number"]
    assert (nhs["rows"], nhs["present"], nhs["valid"]) == (10, 9, 8)
    assert nhs["completeness"] == 0.9 and round(nhs["validity"], 4) == round(8 / 9, 4)
    # Eight valid NHS numbers, all the same one: uniqueness is reported, not enforced.
    assert nhs["distinct"] == 1 and nhs["uniqueness"] == 1 / 8
    assert nhs["problems"]["invalid_check_digit"]["examples"] == [
        {"row": 1, "local_id": "L0001", "value": "9434765918"}
    ]
    assert by_field["local_id"]["uniqueness"] == 1.0

    dq = dataset_quality(engine, "CSC", "cases")
    assert dq["records"] == {"active": 10, "closed": 0, "active_with_problems": 4}
    top = {(p["field"], p["problem"]): p for p in dq["top_problems"]}
    assert set(top) == {
        ("nhs_number", "invalid_check_digit"),
        ("postcode", "invalid_format"),
        ("date_of_birth", "future_date"),
        ("sex", "not_in_code_list"),
    }
    assert top[("postcode", "invalid_format")]["examples"][0]["value"] == "NOT A POSTCODE"
    assert top[("sex", "not_in_code_list")]["rate"] == 0.1


def test_trend_across_batches(engine, tmp_path) -> None:
    setup_org(engine)
    first = [person(i, postcode="bad") for i in range(1, 5)]
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", first), as_of=AS_OF)
    better = [person(i) for i in range(1, 5)]
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "b.csv", better), as_of=AS_OF)
    dq = dataset_quality(engine, "CSC", "cases")
    assert [t["rows_changed"] for t in dq["trend"]] == [0, 4]
    assert dq["trend"][0]["validity"] < dq["trend"][1]["validity"] == 1.0
    assert dq["batch"]["id"] == dq["trend"][1]["id"]
    older = dataset_quality(engine, "CSC", "cases", batch_id=dq["trend"][0]["id"])
    assert {p["problem"] for p in older["top_problems"]} == {"invalid_format"}
