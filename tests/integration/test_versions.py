"""A version keeps no copy of the record, only what was received otherwise, and loses nothing.

An ingest writes `source_record_versions.record` as NULL and `received` as the values
received otherwise than stored (`joinedup.records.versions`). These tests load the same
files into two stores, one as shipped and one whose transform copies every record whole (as
before), and require every version's record as received to be the same in both; and they
check that such versions are filled in before anything changes the stored fields.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ingest_helpers import person, records, setup_org, versions, write_csv
from sqlalchemy import Engine, select

from joinedup.records import transform_sql
from joinedup.records.challenges import accept_challenge, raise_challenge
from joinedup.records.ingest import ingest_file
from joinedup.records.manifest import load_manifest
from joinedup.records.versions import record_versions, version_record
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.records import SourceRecord, SourceRecordVersion
from joinedup.synth import ErrorRates, generate

AS_OF = dt.date(2025, 3, 31)


def _as_received(engine: Engine) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    """(organisation, dataset, local id, version) -> the record as received, for every
    version of every record, implied first versions included."""
    with engine.connect() as conn:
        recs = conn.execute(
            select(Organisation.code, Dataset.code, SourceRecord.local_id, SourceRecord.id)
            .join(Dataset, Dataset.id == SourceRecord.dataset_id)
            .join(Organisation, Organisation.id == Dataset.organisation_id)
        ).all()
        return {
            (org, ds, lid, v["version"]): version_record(conn, v)
            for org, ds, lid, rid in recs
            for v in record_versions(conn, rid)
        }


def test_every_synthetic_record_as_received_survives(engine, tmp_path, monkeypatch) -> None:
    """The synthetic partnership (every extract format and mapping feature, with injected
    errors) loads into the store as shipped and into one that copies every record: the record
    as received of every version is the same, and most versions hold no copy."""
    rates = ErrorRates(typo=0.1, missing=0.1, postcode_typo=0.1, identifier_typo=0.1)
    generate(400, 7, tmp_path / "synth", rates=rates)
    load_manifest(engine, tmp_path / "synth")
    shipped = _as_received(engine)

    # A store whose versions keep every value in `received`: the whole record as received.
    monkeypatch.setattr(transform_sql, "RECEIVED_WHEN", "true")
    reference_engine = create_store_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    ensure_schema(reference_engine)
    try:
        load_manifest(reference_engine, tmp_path / "synth")
        reference = _as_received(reference_engine)
        with reference_engine.connect() as conn:
            # the reference keeps the whole record in `received`
            whole = conn.execute(select(SourceRecordVersion.received)).scalars().all()
    finally:
        reference_engine.dispose()

    assert len(shipped) > 900 and shipped.keys() == reference.keys()
    assert all(w is not None for w in whole)
    differ = [k for k in shipped if shipped[k] != reference[k]]
    assert not differ, [(k, shipped[k], reference[k]) for k in differ[:3]]
    with engine.connect() as conn:
        kept = conn.execute(select(SourceRecordVersion.received)).scalars().all()
    # Dates in other formats, untidy postcodes and the injected errors are kept; the rest
    # is the stored fields.
    kept_bytes = sum(len(json.dumps(k)) for k in kept if k)
    whole_bytes = sum(len(json.dumps(w)) for w in whole)
    assert 0 < kept_bytes < 0.3 * whole_bytes, (kept_bytes, whole_bytes)


def test_a_record_received_as_stored_keeps_no_copy_until_it_changes(engine, tmp_path) -> None:
    setup_org(engine)
    rows = [person(1), person(2, nhs_number="9434765918"), person(3, postcode="fe1 2ab")]
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", rows), as_of=AS_OF)
    recs = records(engine)
    first = {lid: versions(engine, recs[lid]["id"])[0] for lid in ("L0001", "L0002", "L0003")}
    # Valid and normalised: nothing kept. An invalid NHS number or an untidy postcode: kept.
    assert all(v["stored"] is None for v in first.values())
    assert first["L0001"]["received"] is None
    # L0001's first version is implied by the record; the others' are rows.
    assert first["L0001"]["id"] is None and first["L0002"]["id"] and first["L0003"]["id"]
    assert first["L0002"]["received"] == {"nhs_number": "9434765918"}
    assert first["L0003"]["received"] == {"postcode": "fe1 2ab"}
    assert first["L0002"]["record"]["nhs_number"] == "9434765918"
    assert first["L0003"]["record"]["postcode"] == "fe1 2ab"
    assert recs["L0003"]["postcode"] == "FE1 2AB" and recs["L0002"]["nhs_number"] is None
    original = first["L0001"]["record"]
    assert original["family_name"] == "Smith1" and original["local_id"] == "L0001"
    assert original == {k: v for k, v in person(1).items() if v not in ("", None)} | {
        "reason_codes": ["N1", "N5"]
    }

    # A full snapshot without L0001 closes it: the stored fields do not change.
    ingest_file(
        engine, "CSC", "cases", write_csv(tmp_path / "b.csv", rows[1:]), as_of=AS_OF,
        snapshot="full",
    )  # fmt: skip
    hist = versions(engine, recs["L0001"]["id"])
    assert [v["change"] for v in hist] == ["new", "closed"]
    assert [v["stored"] for v in hist] == [None, None]
    assert hist[1]["record"] == original

    # It comes back changed: the versions that pointed at the old fields get their copy first.
    rows[0]["family_name"] = "Jones"
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "c.csv", rows), as_of=AS_OF)
    hist = versions(engine, recs["L0001"]["id"])
    assert [v["change"] for v in hist] == ["new", "closed", "reopened"]
    assert hist[0]["stored"] == original and hist[1]["stored"] == original
    assert hist[2]["stored"] is None and hist[2]["record"]["family_name"] == "Jones"


def test_a_correction_keeps_the_version_it_corrects(engine, tmp_path) -> None:
    setup_org(engine)
    setup_org(engine, "SCH")
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", [person(1)]), as_of=AS_OF)
    rec = records(engine)["L0001"]
    assert versions(engine, rec["id"])[0]["stored"] is None
    challenge = raise_challenge(
        engine, "CSC", "cases", "L0001", "family_name", "Smyth", "School roll says Smyth",
        by_org="SCH",
    )  # fmt: skip
    accept_challenge(engine, challenge.id, by_org="CSC")
    hist = versions(engine, rec["id"])
    assert [v["change"] for v in hist] == ["new", "corrected"]
    assert hist[0]["stored"] is not None and hist[0]["stored"]["family_name"] == "Smith1"
    assert hist[1]["record"]["family_name"] == "Smyth"
    assert records(engine)["L0001"]["family_name"] == "Smyth"
    # Raw JSON in the column, not only through the helper.
    with engine.connect() as conn:
        raw = conn.scalar(
            select(SourceRecordVersion.record).where(
                SourceRecordVersion.source_record_id == rec["id"], SourceRecordVersion.version == 1
            )
        )
    assert json.loads(json.dumps(raw))["family_name"] == "Smith1"


def test_the_stored_fields_give_back_identifiers_lists_and_attributes(engine, tmp_path) -> None:
    setup_org(engine)
    row = person(1, **{"identifier:MOSAIC": "M77", "Extra": "kept"})
    ingest_file(engine, "CSC", "cases", write_csv(tmp_path / "a.csv", [row]), as_of=AS_OF)
    v = versions(engine, records(engine)["L0001"]["id"])[0]
    assert v["stored"] is None
    assert v["record"]["identifier:MOSAIC"] == "M77"
    assert v["record"]["attributes"] == {"Extra": "kept"}
    assert v["record"]["reason_codes"] == ["N1", "N5"]
