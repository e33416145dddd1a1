"""generate(): deterministic for a seed, progress that adds up, clean runs, bad arguments."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from joinedup.errors import InvalidInput
from joinedup.synth import PROGRESS_TOTAL, ErrorRates, generate


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate(600, 42, tmp_path / "a")
    second = generate(600, 42, tmp_path / "b")
    assert first == second
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) == 6 * 2 + 5
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
    assert len(manifest["extracts"]) == 6
    for item in manifest["extracts"]:
        assert (tmp_path / item["file"]).exists() and (tmp_path / item["mapping"]).exists()
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 1 + sum(i["rows"] for i in manifest["extracts"])
