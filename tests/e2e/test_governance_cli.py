"""Governance through the `joinedup` command as an administrator runs it: real processes,
a SQLite store on disk, exit codes. The partnership itself (organisations, datasets, a
linked person) is written straight into the store; other capabilities load it for real."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from joinedup.errors import ExitCode
from joinedup.governance import users
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.identity import Person, PersonLink
from joinedup.store.schema.records import IngestBatch, SourceRecord
from joinedup.store.uow import UnitOfWork

PERSON = "1000000014"


def _seed(url: str) -> None:
    engine = create_store_engine(url)
    ensure_schema(engine)
    with UnitOfWork(engine) as uow:
        s = uow.session
        person = Person(person_number=PERSON)
        s.add(person)
        for code in ("CSC", "SCH"):
            org = Organisation(code=code, name=code)
            s.add(org)
            s.flush()
            ds = Dataset(organisation_id=org.id, code="main")
            s.add(ds)
            s.flush()
            batch = IngestBatch(dataset_id=ds.id, file_name="x.csv", content_hash="0" * 64)
            s.add(batch)
            s.flush()
            rec = SourceRecord(
                dataset_id=ds.id, local_id="R1", content_hash="1" * 64,
                first_batch_id=batch.id, last_batch_id=batch.id,
            )  # fmt: skip
            s.add(rec)
            s.flush()
            s.add(PersonLink(source_record_id=rec.id, person_id=person.id))
        uow.commit()
    for user, org, role in [("csc-owner", "CSC", "data_owner"), ("teacher", "SCH", "practitioner")]:
        users.create_user(engine, user, user.title())
        users.grant_role(engine, user, org, role)
    engine.dispose()


@pytest.fixture
def run(tmp_path: Path):
    db = tmp_path / "gov.db"
    url = f"sqlite:///{db}"
    _seed(url)
    script = Path(sys.executable).with_name("joinedup")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "joinedup.cli"]
    env = dict(os.environ, JOINEDUP_DATABASE_URL=url, COLUMNS="200")

    def joinedup(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, input=stdin,
            timeout=120, check=False,
        )  # fmt: skip

    joinedup.db = db  # type: ignore[attr-defined]
    return joinedup


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.mark.slow
def test_governance_journey(run) -> None:
    # Users and roles (the others were created in-process by the fixture).
    _ok(run("user", "add", "social", "--name", "Sam Social"))
    _ok(run("user", "grant", "social", "--org", "CSC", "--role", "practitioner"))
    listed = json.loads(_ok(run("user", "list", "--json")))
    assert {u["username"]: u["roles"] for u in listed}["social"] == ["practitioner@CSC"]

    # An API token is printed once, alone on the last line.
    out = _ok(run("token", "create", "teacher", "--org", "SCH", "--name", "mis"))
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("jdu_")
    tokens = json.loads(_ok(run("token", "list", "--json")))
    assert [t["status"] for t in tokens] == ["active"] and secret not in json.dumps(tokens)

    # An agreement: drafted, refused to a non-owner, approved by the data owner.
    # A practitioner may not draft an agreement.
    refused = run(
        "agreement", "create", "DSA-SAFE", "--provider", "CSC", "--title", "Safeguarding",
        "--dataset", "main", "--recipient-org", "SCH", "--purpose", "safeguarding",
        "--max-detail", "rag", "--legal-basis", "public_task", "--valid-from", "2024-01-01",
        "--as", "social",
    )  # fmt: skip
    assert refused.returncode == ExitCode.FORBIDDEN and "Traceback" not in refused.stderr
    _ok(
        run(
            "agreement", "create", "DSA-SAFE", "--provider", "CSC", "--title", "Safeguarding",
            "--dataset", "main", "--recipient-org", "SCH", "--purpose", "safeguarding",
            "--max-detail", "rag", "--legal-basis", "public_task", "--valid-from", "2024-01-01",
            "--as", "csc-owner",
        )
    )  # fmt: skip
    assert "is active" in _ok(run("agreement", "approve", "DSA-SAFE", "--as", "csc-owner"))

    # The decision point: the school sees CSC's record at RAG, its own in full.
    check = json.loads(
        _ok(
            run("policy", "check", PERSON, "--as", "teacher", "--purpose", "safeguarding", "--json")
        )
    )
    by_dataset = {d["dataset"]: d for d in check["decisions"]}
    assert by_dataset["CSC/main"]["allowed"] and by_dataset["CSC/main"]["detail"] == "rag"
    assert by_dataset["SCH/main"]["detail"] == "full"

    # A refusal is honoured...
    _ok(
        run(
            "consent",
            "record",
            PERSON,
            "--decision",
            "deny",
            "--recipient",
            "SCH",
            "--as",
            "social",
        )
    )
    check = json.loads(
        _ok(
            run("policy", "check", PERSON, "--as", "teacher", "--purpose", "safeguarding", "--json")
        )
    )
    csc = next(d for d in check["decisions"] if d["dataset"] == "CSC/main")
    assert not csc["allowed"] and csc["reasons"] == ["the person has refused sharing with you"]

    # ...unless glass is broken, which is flagged and waits for review.
    _ok(
        run(
            "breakglass", "request", PERSON, "--as", "teacher",
            "--justification", "Pupil disclosed harm at home today; need the social worker now.",
        )
    )  # fmt: skip
    pending = json.loads(_ok(run("breakglass", "list", "--pending", "--json")))
    assert [p["notified"] for p in pending] == [["CSC"]]
    _ok(run("breakglass", "review", str(pending[0]["id"]), "--as", "csc-owner",
            "--outcome", "appropriate", "--note", "Confirmed with the DSL."))  # fmt: skip

    # The subject report says who looked and under which agreement; the chain verifies.
    report = json.loads(_ok(run("audit", "report", PERSON, "--as", "csc-owner", "--json")))
    views = [e for e in report["entries"] if e["action"] == "policy.person_view"]
    assert [(e["actor"], e["agreements"]) for e in views] == [
        ("teacher", ["DSA-SAFE v1"]),
        ("teacher", []),
    ]
    assert "Audit log intact" in _ok(run("audit", "verify"))

    # Someone edits the log behind joinedup's back: verify fails with exit code 5.
    with sqlite3.connect(run.db) as conn:
        conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE action = 'policy.person_view'")
    broken = run("audit", "verify")
    assert broken.returncode == ExitCode.CONFLICT
    assert "edited" in broken.stdout and "tampered" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_pseudonyms_and_help(run) -> None:
    _ok(run("pseudo", "create", "neet", "--name", "NEET pathways"))
    out = _ok(run("pseudo", "apply", "neet", PERSON, "1000000022"))
    lines = [line.split("\t") for line in out.strip().splitlines()]
    assert [n for n, _ in lines] == [PERSON, "1000000022"]
    assert all(len(p) == 64 and p != n for n, p in lines)
    assert lines[0][1] != lines[1][1]
    help_text = _ok(run("--help"))
    for group in ("user", "token", "agreement", "consent", "breakglass", "audit", "pseudo"):
        assert group in help_text
