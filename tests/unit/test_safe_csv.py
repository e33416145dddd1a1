"""CSV exports neutralise spreadsheet formulas; other values are unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from joinedup.records.safe_csv import neutralise, write_safe_csv


@pytest.mark.parametrize(
    "value",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'],
)
def test_formula_prefixes_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Smith", "O'Brien", "<b>x</b>", " =not first", "1-2"])
def test_other_text_is_unchanged(value: str) -> None:
    assert neutralise(value) == value


def test_numbers_stay_numbers_and_none_is_blank() -> None:
    assert neutralise(-5) == -5
    assert neutralise(2.5) == 2.5
    assert neutralise(None) == ""


def test_written_csv_reads_back_with_inert_cells() -> None:
    buf = io.StringIO()
    n = write_safe_csv(buf, ["name", "note"], [["=1+1", "fine, with comma"], ["-x", None]])
    assert n == 2
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["name", "note"], ["'=1+1", "fine, with comma"], ["'-x", ""]]
