"""The ingest journey through the `joinedup` command, as a partner's data owner runs it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "data" / "broken"


def run(db: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from joinedup.cli import main; main()",
            "--database-url",
            db,
            *args,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run(url, "org", "add", "CSC", "--name", "Children's Services")
    run(url, "org", "add", "NHS", "--name", "Community Health")
    return url


def test_mapped_ingest_report_quarantine_and_challenge(db: str, tmp_path: Path) -> None:
    mapping = tmp_path / "cases.mapping.yaml"
    mapping.write_text(
        "fields:\n"
        "  local_id: {column: Ref}\n"
        "  family_name: {column: Name, split_name: family}\n"
        "  given_name: {column: Name, split_name: given}\n"
        "  date_of_birth: {column: DOB, date_format: '%d/%m/%Y'}\n"
        "  nhs_number: {column: NHS}\n"
    )
    extract = tmp_path / "cases.csv"
    extract.write_text(
        "Ref,Name,DOB,NHS\n"
        '1,"SMITH, Amelia",04/03/2012,9434765919\n'
        '2,"[bold red]JONES[/], Bob",31/02/2012,9434765918\n'
        '2,"JONES, Bobby",01/01/2012,\n'
        ",\"=cmd|' /C calc'!A0\",01/01/2012,\n"
    )
    run(db, "dataset", "add", "CSC", "cases", "--mapping", str(mapping))
    out = run(db, "ingest", "CSC", "cases", str(extract), "--json")
    report = json.loads(out.stdout)
    assert (report["rows_in"], report["rows_loaded"], report["rows_quarantined"]) == (4, 2, 2)

    again = run(db, "ingest", "CSC", "cases", str(extract))
    assert "unchanged" in again.stdout

    dq = json.loads(run(db, "dq", "report", "CSC", "cases", "--json").stdout)
    problems = {(p["field"], p["problem"]) for p in dq["top_problems"]}
    assert problems == {
        ("date_of_birth", "invalid_date"),
        ("nhs_number", "invalid_check_digit"),
        ("local_id", "duplicate"),
    }
    text_report = run(db, "dq", "report", "CSC", "cases").stdout
    assert "Most common problems" in text_report and "Trend across batches" in text_report

    export = tmp_path / "quarantine.csv"
    run(db, "quarantine", "list", "CSC", "cases", "--csv", str(export))
    rows = list(csv.DictReader(export.open(encoding="utf-8")))
    assert [r["reason"].split(":")[0] for r in rows] == ["duplicate local id", "no local id"]
    assert rows[1]["raw"].startswith("',=cmd") or rows[1]["raw"].startswith(",=cmd")
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())

    raised = json.loads(
        run(
            db, "challenge", "add", "CSC", "cases", "2", "date_of_birth", "2012-02-28",
            "--reason", "Clinic record", "--by", "NHS", "--json",
        ).stdout
    )  # fmt: skip
    listed = run(db, "challenge", "list", "--org", "CSC").stdout
    assert "[bold red]JONES[/]" not in listed  # the record id is shown, the name is not
    refused = run(db, "challenge", "accept", str(raised["id"]), "--by", "NHS", check=False)
    assert refused.returncode == 6 and "Only CSC" in refused.stderr
    accepted = run(db, "challenge", "accept", str(raised["id"]), "--by", "CSC")
    assert "corrected in version 2" in accepted.stdout


def test_exit_code_is_non_zero_only_when_nothing_loads(db: str) -> None:
    ok = run(db, "ingest", "CSC", "a", str(CORPUS / "ragged_rows.csv"), check=False)
    assert ok.returncode == 0 and "Quarantined" in ok.stdout
    nothing = run(db, "ingest", "CSC", "b", str(CORPUS / "only_unusable_rows.csv"), check=False)
    assert nothing.returncode == 3 and "No row could be loaded" in nothing.stderr
    empty = run(db, "ingest", "CSC", "c", str(CORPUS / "empty.csv"), check=False)
    assert empty.returncode == 3 and "empty" in empty.stderr and "Traceback" not in empty.stderr
    header = run(db, "ingest", "CSC", "d", str(CORPUS / "header_only.csv"), check=False)
    assert header.returncode == 3 and "no data rows" in header.stderr
    missing = run(db, "ingest", "NOPE", "d", str(CORPUS / "header_only.csv"), check=False)
    assert missing.returncode == 4 and "joinedup org add NOPE" in missing.stderr


def test_markup_in_values_is_printed_as_text(db: str, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("local_id,family_name,postcode\nM1,Lee,[red]NOT[/red]\x1b[2J\n")
    out = run(db, "ingest", "CSC", "m", str(path))
    assert out.returncode == 0
    dq = run(db, "dq", "report", "CSC", "m").stdout
    assert "[red]NOT[/red]" in dq and "\x1b[2J" not in dq and "\\x1b" in dq


@pytest.mark.slow
def test_ingest_manifest_loads_a_synthetic_partnership(db: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "synth"
    run(db, "synth", "--persons", "300", "--seed", "3", "--out", str(out_dir))
    manifest = json.loads((out_dir / "manifest.json").read_text())
    reports = json.loads(run(db, "ingest-manifest", str(out_dir), "--json").stdout)
    assert len(reports) == len(manifest["extracts"])
    for item, report in zip(manifest["extracts"], reports, strict=True):
        assert report["dataset"] == item["dataset"]
        assert report["rows_in"] == item["rows"] == report["rows_loaded"], report
