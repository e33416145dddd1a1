"""Building blocks of the synthetic partnership: rates, error functions, writers, geography."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from stdnum.gb import nhs, upn

from joinedup.errors import InvalidInput
from joinedup.synth import ErrorRates
from joinedup.synth.corrupt import dob_typo, identifier_typo, postcode_typo, transpose_dob, typo
from joinedup.synth.geography import build_rows, geography_csv_text, rows_to_csv
from joinedup.synth.identifiers import (
    is_valid_uln,
    nhs_numbers,
    nhs_pool_size,
    uln_numbers,
    upn_numbers,
)
from joinedup.synth.writers import write_csv, write_jsonl, write_xlsx

POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$")


def test_rates_defaults_overrides_and_bad_input(tmp_path: Path) -> None:
    rates = ErrorRates.parse_assignments(["typo=0.2", " duplicate = 0.1 "])
    assert rates.typo == 0.2 and rates.duplicate == 0.1
    assert rates.nickname == ErrorRates().nickname
    assert set(ErrorRates.none().to_dict().values()) == {0.0}
    path = tmp_path / "rates.yaml"
    path.write_text("typo: 0.5\nmissing: 0\n")
    from_file = ErrorRates.from_yaml(path, base=ErrorRates.none())
    assert from_file.typo == 0.5 and from_file.missing == 0 and from_file.nickname == 0
    for bad in (["typo=2"], ["typo=-0.1"], ["tpyo=0.1"], ["typo"], ["typo=abc"]):
        with pytest.raises(InvalidInput):
            ErrorRates.parse_assignments(bad)
    path.write_text("- just a list\n")
    with pytest.raises(InvalidInput):
        ErrorRates.from_yaml(path)
    with pytest.raises(InvalidInput):
        ErrorRates.from_yaml(tmp_path / "absent.yaml")


def test_typos_change_names_a_little() -> None:
    rng = np.random.default_rng(0)
    for name in ["Al", "Bo", "Smith", "Llewellyn", "O'Neill", "Anne-Marie", "Ng"] * 50:
        out = typo(name, rng.random(4))
        assert out != name and out
        assert abs(len(out) - len(name)) <= 1


def test_mistyped_dates_differ_and_stay_in_the_past() -> None:
    rng = np.random.default_rng(1)
    latest = np.datetime64("2025-03-31")
    dob = np.array(
        ["2025-03-30", "2000-02-29", "1999-12-31", "1950-01-01"] * 100, dtype="datetime64[D]"
    )
    out = dob_typo(dob, rng.random((len(dob), 3)), latest)
    assert (out != dob).all() and (out <= latest).all()
    assert transpose_dob(np.array(["2010-03-07"], dtype="datetime64[D]"))[0] == np.datetime64(
        "2010-07-03"
    )


def test_postcode_and_identifier_typos() -> None:
    rng = np.random.default_rng(2)
    for pc in ["FE1 5BR", "FE10 2AB", "FE22 9ZZ"] * 40:
        out = postcode_typo(pc, rng.random(2))
        assert out != pc and len(out) == len(pc)
    for number in nhs_numbers(rng, 200).tolist():
        out = identifier_typo(number, rng.random(3))
        assert out != number and not nhs.is_valid(out)
    for number in upn_numbers(np.full(50, 2015), rng).tolist():
        assert not upn.is_valid(identifier_typo(number, rng.random(3)))
    for number in uln_numbers(rng, 50).tolist():
        assert not is_valid_uln(identifier_typo(number, rng.random(3)))


def test_xlsx_is_byte_identical_whenever_it_is_written(tmp_path: Path) -> None:
    table = {"Ref": ["A1", "A2"], "Name": ["Ann", ""], "When": ["03-Feb-2001", "04-Mar-2002"]}
    fixed = dt.datetime(2025, 3, 31, 18, 0)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_xlsx(table, first, sheet="S", title_rows=[("Title",)], fixed_time=fixed)
    time.sleep(1.1)  # the zip entry times and docProps would differ by a second
    write_xlsx(table, second, sheet="S", title_rows=[("Title",)], fixed_time=fixed)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2025, 3, 31, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
        assert "2025-03-31T18:00:00Z" in core


def test_shipped_geography_is_the_documented_build() -> None:
    text = geography_csv_text()
    assert text == rows_to_csv(build_rows())
    rows = build_rows()
    assert len(rows) > 1500
    assert all(POSTCODE.match(r["postcode"]) for r in rows)


def test_docs_list_every_rate_with_its_default() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "synthetic-data.md"
    text = docs.read_text(encoding="utf-8")
    for name, value in ErrorRates().to_dict().items():
        assert f"| `{name}` | {value:g} |" in text, name


def test_nhs_numbers_use_the_999_range_first_then_998() -> None:
    pool = nhs_pool_size()
    assert 900_000 < pool < 920_000
    numbers = nhs_numbers(np.random.default_rng(3), pool + 5000).tolist()
    assert len(set(numbers)) == len(numbers) == pool + 5000
    assert all(n.startswith("999") for n in numbers[:pool])
    assert all(n.startswith("998") for n in numbers[pool:])
    rng = np.random.default_rng(4)
    assert all(nhs.is_valid(numbers[i]) for i in rng.integers(0, len(numbers), 2000).tolist())


def test_fast_writers_write_what_csv_and_json_write(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    alphabet = ["a", "B", ",", '"', "|", "\t", " ", "£", "–", "\n", ""]
    table = {
        name: ["".join(rng.choice(alphabet, size=int(k))) for k in rng.integers(0, 6, 3000)]
        for name in ("Ref", "Name, full", 'Say "hi"', "Note")
    }
    for delimiter, terminator, quote_all in [
        (",", "\n", False),
        ("|", "\r\n", False),
        ("\t", "\n", False),
        (",", "\r\n", True),
    ]:
        write_csv(
            table, tmp_path / "fast.csv", delimiter=delimiter, lineterminator=terminator,
            quote_all=quote_all,
        )  # fmt: skip
        with (tmp_path / "csv.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(
                handle,
                delimiter=delimiter,
                lineterminator=terminator,
                quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
            )
            writer.writerow(list(table))
            writer.writerows(zip(*table.values(), strict=True))
        fast, reference = (tmp_path / "fast.csv").read_bytes(), (tmp_path / "csv.csv").read_bytes()
        assert fast == reference, (delimiter, terminator, quote_all)
    write_jsonl(table, tmp_path / "fast.jsonl")
    expected = "".join(
        json.dumps({k: v or None for k, v in zip(table, row, strict=True)}, ensure_ascii=False)
        + "\n"
        for row in zip(*table.values(), strict=True)
    )
    assert (tmp_path / "fast.jsonl").read_text(encoding="utf-8") == expected
