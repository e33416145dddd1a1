"""generate(): deterministic for a seed, progress that adds up, clean runs, bad arguments,
records per person, and core_records() giving the records the files hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from joinedup.errors import InvalidInput
from joinedup.synth import PROGRESS_TOTAL, ErrorRates, core_records, generate

EXTRACTS = 9


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate(600, 42, tmp_path / "a")
    second = generate(600, 42, tmp_path / "b")
    assert first == second
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) == EXTRACTS * 2 + 5
    for name in a:
        assert a[name] == b[name], name
    generate(600, 43, tmp_path / "c")
    other = _files(tmp_path / "c")
    for item in first["extracts"]:
        assert other[item["file"]] != a[item["file"]], item["file"]
    assert other["geography.csv"] == a["geography.csv"]


def test_progress_adds_up_to_the_total(tmp_path: Path) -> None:
    steps: list[int] = []
    generate(300, 1, tmp_path, progress=steps.append)
    assert sum(steps) == PROGRESS_TOTAL
    assert all(s > 0 for s in steps) and len(steps) >= 3


def test_clean_run_has_no_errors_and_no_duplicates(tmp_path: Path) -> None:
    manifest = generate(1500, 3, tmp_path, rates=ErrorRates.none())
    assert all(c["applied"] == 0 for c in manifest["error_counts"].values())
    with (tmp_path / "errors.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 1  # the header only
    for item in manifest["extracts"]:
        assert item["rows"] == item["persons"]


@pytest.mark.parametrize(
    ("persons", "seed"), [(0, 1), (-5, 1), (10, -1), (True, 1), (10, 1.5), (10**9, 1)]
)
def test_bad_arguments_are_invalid_input(tmp_path: Path, persons: object, seed: object) -> None:
    with pytest.raises(InvalidInput):
        generate(persons, seed, tmp_path)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("persons", [1, 3, 10])
def test_tiny_partnerships_still_write_every_file(tmp_path: Path, persons: int) -> None:
    manifest = generate(persons, 0, tmp_path)
    assert len(manifest["extracts"]) == EXTRACTS
    for item in manifest["extracts"]:
        assert (tmp_path / item["file"]).exists() and (tmp_path / item["mapping"]).exists()
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 1 + sum(i["rows"] for i in manifest["extracts"])


def test_a_partnership_holds_two_and_a_half_to_three_records_per_person(tmp_path: Path) -> None:
    persons = 4000
    manifest = generate(persons, 8, tmp_path)  # default error rates (2% duplicates)
    rows = sum(item["rows"] for item in manifest["extracts"])
    assert 2.5 <= rows / persons <= 3.0
    biggest = max(manifest["extracts"], key=lambda item: item["rows"])
    assert biggest["dataset"] == "gp_registrations"
    excel = [item for item in manifest["extracts"] if item["file"].endswith(".xlsx")]
    assert len(excel) == 1 and excel[0]["rows"] < 0.05 * rows  # the slow writer stays small


def test_core_records_are_the_records_the_files_hold(tmp_path: Path) -> None:
    rates = ErrorRates(typo=0.2, missing=0.1, duplicate=0.1)
    manifest = generate(700, 4, tmp_path, rates=rates)
    with (tmp_path / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = [(r["dataset"], r["local_id"], r["person_key"]) for r in csv.DictReader(handle)]
    with (tmp_path / "errors.csv").open(encoding="utf-8", newline="") as handle:
        changes = list(csv.DictReader(handle))
    # the name as finally recorded (a typo may be followed by swapped names)
    recorded_names = {(r["dataset"], r["local_id"], r["field"]): r["recorded"] for r in changes}
    typos = {(r["dataset"], r["local_id"], r["field"]) for r in changes if r["error"] == "typo"}
    extracts = list(core_records(700, 4, rates=rates))
    assert [e.dataset for e in extracts] == [i["dataset"] for i in manifest["extracts"]]
    core_truth = []
    for extract, item in zip(extracts, manifest["extracts"], strict=True):
        table = extract.records
        assert extract.file_name == item["file"] and table.num_rows == item["rows"]
        rows = table.to_pylist()
        core_truth += [(extract.dataset, r["local_id"], r["person_key"]) for r in rows]
        for r in rows:
            for field in ("given_name", "family_name"):
                key = (extract.dataset, r["local_id"], field)
                if key in typos:
                    assert r[field] == recorded_names[key]
        if extract.dataset == "benefit_claims":  # holds NI numbers and UPRNs, no NHS numbers
            assert table.column("nhs_number").null_count == table.num_rows
            assert table.column("uprn").null_count < table.num_rows
            assert table.column("ni_number").null_count < table.num_rows
    assert core_truth == truth
    assert any(typos)
