"""The identity commands as a user runs them: real processes on a SQLite store."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from joinedup.domain.person_number import is_valid_person_number
from joinedup.errors import ExitCode
from joinedup.store import create_store_engine, ensure_schema
from linkage_fixtures import make_people, write_partnership


def _joinedup(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("joinedup")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "joinedup.cli"]
    env = dict(os.environ, JOINEDUP_DATABASE_URL=f"sqlite:///{db}", COLUMNS="160")
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_numbers_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "ids.db"
    issued = _joinedup(db, "id", "new", "--count", "3")
    assert issued.returncode == 0, issued.stderr
    numbers = issued.stdout.split()
    assert len(set(numbers)) == 3 and all(is_valid_person_number(n) for n in numbers)
    ok = _joinedup(db, "id", "validate", numbers[0])
    assert ok.returncode == 0 and "issued here" in ok.stdout
    bad = _joinedup(db, "id", "validate", "1234567890", "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["valid"] is False


def test_train_run_evaluate_export_show_and_decide(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    engine = create_store_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    partnership = write_partnership(engine, make_people(80, seed=3), seed=4, error_rate=0.1)
    engine.dispose()
    truth = tmp_path / "truth.csv"
    truth.write_text(partnership.truth_csv())

    no_model = _joinedup(db, "link", "run")
    assert no_model.returncode == ExitCode.NOT_FOUND and "link train" in no_model.stderr

    report = tmp_path / "model.html"
    trained = _joinedup(
        db,
        "link",
        "train",
        "--u-max-pairs",
        "200000",
        "--em-max-pairs",
        "200000",
        "--report",
        str(report),
    )
    assert trained.returncode == 0, trained.stderr
    assert "Model version 1" in trained.stdout
    assert report.read_text().startswith("<!doctype html>")

    run = _joinedup(db, "link", "run", "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["records"] == len(partnership.truth)
    assert summary["persons_created"] == summary["clusters"]

    evaluated = _joinedup(db, "link", "evaluate", "--truth", str(truth), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["precision"] >= 0.95 and metrics["records_in_truth"] == len(partnership.truth)

    out = tmp_path / "links.csv"
    exported = _joinedup(db, "export", "links", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "organisation",
        "dataset",
        "local_id",
        "person_id",
        "match_probability",
    ]
    assert len(rows) == len(partnership.truth)

    # Two records of different persons: a person decides they are the same.
    by_person: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_person.setdefault(row["person_id"], []).append(row)
    (first, a), (second, b) = sorted(by_person.items(), key=lambda kv: -len(kv[1]))[:2]
    ref = lambda r: f"{r['organisation']}/{r['dataset']}/{r['local_id']}"  # noqa: E731
    decided = _joinedup(db, "link", "decide", ref(a[0]), ref(b[0]), "--same", "--reason", "test")
    assert decided.returncode == 0, decided.stderr
    rerun = json.loads(_joinedup(db, "link", "run", "--json").stdout)
    # After the first run `link run` is incremental: it re-links the decided records.
    assert rerun["kind"] == "incremental" and rerun["decisions_applied"] == 1
    assert rerun["persons_merged"] == 1

    shown = _joinedup(db, "person", "show", second, "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["number"] == first and view["redirected_from"] == second
    history = json.loads(_joinedup(db, "person", "history", second, "--json").stdout)
    assert [e["event"] for e in history] == ["created", "merged_into"]

    missing = _joinedup(db, "person", "show", "9999999998")
    assert missing.returncode == ExitCode.NOT_FOUND
