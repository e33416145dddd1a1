"""Online identity from the command line: match, register, verify, review, merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from joinedup.errors import ExitCode
from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.store import create_store_engine, ensure_schema
from linkage_fixtures import install_model, make_people, write_partnership


def _joinedup(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("joinedup")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "joinedup.cli"]
    env = dict(os.environ, JOINEDUP_DATABASE_URL=f"sqlite:///{db}", COLUMNS="200")
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        input=stdin,
    )


def test_match_register_verify_review_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    engine = create_store_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    partnership = write_partnership(engine, make_people(30, seed=5), seed=6, error_rate=0.3)
    install_model(engine)
    run_link(engine, thresholds=Thresholds(upper=0.99, lower=0.70, guard=0.05))
    engine.dispose()
    person = next(iter(partnership.persons.values()))
    record = {
        "given_name": person.given,
        "family_name": person.family,
        "date_of_birth": person.dob.isoformat(),
        "postcode": person.postcode,
        "address_line_1": person.address,
        "nhs_number": person.ids["nhs_number"],
    }

    found = _joinedup(db, "match", "--json", json.dumps(record), "--output-json")
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    best = result["candidates"][0]
    assert result["decision"] == "link" and best["match_probability"] >= 0.99
    assert {c["comparison"] for c in best["contributions"]} >= {"given_name", "nhs_number"}

    bad = _joinedup(db, "match", "--json", "{not json")
    assert bad.returncode == ExitCode.INVALID_INPUT and "not valid JSON" in bad.stderr

    new = {**record, "organisation": "EDU", "dataset": "pupils", "local_id": "CLI1"}
    reg = _joinedup(db, "register", "--json", "-", "--output-json", stdin=json.dumps(new))
    assert reg.returncode == 0, reg.stderr
    registered = json.loads(reg.stdout)
    assert registered["outcome"] == "linked"
    assert registered["person_number"] == best["person_number"]

    ok = _joinedup(
        db,
        "verify",
        best["person_number"],
        "--given",
        person.given,
        "--family",
        person.family,
        "--dob",
        person.dob.isoformat(),
    )
    assert ok.returncode == 0 and ok.stdout.startswith("match"), ok.stdout + ok.stderr
    wrong = _joinedup(
        db,
        "verify",
        best["person_number"],
        "--given",
        "Nobody",
        "--family",
        "Else",
        "--dob",
        "1900-01-01",
        "--json",
    )
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["result"] == "no_match"

    queue = _joinedup(db, "review", "next", "--json")
    assert queue.returncode == 0, queue.stderr
    item = json.loads(queue.stdout)
    assert item["left"]["record"] and item["right"]["record"]
    listed = _joinedup(db, "review", "list")
    assert listed.returncode == 0 and str(item["id"]) in listed.stdout
    decided = _joinedup(db, "review", "decide", str(item["id"]), "different", "--by", "tester")
    assert decided.returncode == 0, decided.stderr
    again = _joinedup(db, "review", "decide", str(item["id"]), "same")
    assert again.returncode == ExitCode.CONFLICT
    shown = _joinedup(db, "review", "show", str(item["id"]), "--json")
    assert json.loads(shown.stdout)["decision"] == "different"

    merged = _joinedup(
        db,
        "person",
        "merge",
        item["left"]["person_number"],
        item["right"]["person_number"],
        "--reason",
        "cli test",
    )
    assert merged.returncode == 0, merged.stderr
    history = _joinedup(db, "person", "history", item["right"]["person_number"], "--json")
    assert any(e["event"] == "merged_into" for e in json.loads(history.stdout))
    incremental = _joinedup(db, "link", "run", "--json")
    assert incremental.returncode == 0, incremental.stderr
    ran = json.loads(incremental.stdout)
    # The registration above is the one record new since the batch run.
    assert ran["kind"] == "incremental" and ran["records_changed"] == 1
