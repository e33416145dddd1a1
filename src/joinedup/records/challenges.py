"""Data challenges: any partner may challenge one value of a record; its owner decides.

A challenge names the record (organisation, dataset, local id), the field, the proposed
value and the reason. The owning organisation accepts it — the value is corrected in a new
version of the record (`change = "corrected"`, with the challenge's id as provenance) — or
rejects it with a reason. Nothing is deleted: the challenge, the decision and every version
stay. An accepted correction also survives the next extract when the source still sends the
old value (see `reapply_corrections`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from joinedup.domain.core_format import core_format, identifier_scheme, spec_for
from joinedup.domain.validation import check_value, describe
from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.records.bulk_write import utc_now
from joinedup.records.versions import current_version, materialise, version_record
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.records import DataChallenge, SourceRecord, SourceRecordVersion

STATUSES = ("open", "accepted", "rejected")


@dataclass(frozen=True)
class ChallengeInfo:
    id: int
    organisation: str
    dataset: str
    local_id: str
    field: str
    current_value: str | None
    proposed_value: str
    reason: str
    raised_by_organisation: str
    raised_by: str | None
    raised_at: dt.datetime
    status: str
    decided_by_organisation: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    corrected_version: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in self.__dict__.items()
        }


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _org_id(conn: Connection, code: str) -> int:
    org_id = conn.scalar(select(Organisation.id).where(Organisation.code == code))
    if org_id is None:
        raise NotFound(f"Organisation {code!r} does not exist.")
    return int(org_id)


def _info(conn: Connection, challenge_id: int) -> ChallengeInfo:
    owner = Organisation.__table__.alias("owner")
    raiser = Organisation.__table__.alias("raiser")
    decider = Organisation.__table__.alias("decider")
    ch = DataChallenge.__table__
    row = (
        conn.execute(
            select(
                ch,
                owner.c.code.label("owner_code"),
                Dataset.code.label("dataset_code"),
                SourceRecord.local_id,
                raiser.c.code.label("raiser_code"),
                decider.c.code.label("decider_code"),
            )
            .select_from(ch)
            .join(SourceRecord, SourceRecord.id == ch.c.source_record_id)
            .join(Dataset, Dataset.id == SourceRecord.dataset_id)
            .join(owner, owner.c.id == Dataset.organisation_id)
            .join(raiser, raiser.c.id == ch.c.raised_by_organisation_id)
            .outerjoin(decider, decider.c.id == ch.c.decided_by_organisation_id)
            .where(ch.c.id == challenge_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Challenge {challenge_id} does not exist.")
    return _row_info(row)


def _row_info(row: Any) -> ChallengeInfo:
    return ChallengeInfo(
        id=row["id"],
        organisation=row["owner_code"],
        dataset=row["dataset_code"],
        local_id=row["local_id"],
        field=row["field"],
        current_value=row["current_value"],
        proposed_value=row["proposed_value"],
        reason=row["reason"],
        raised_by_organisation=row["raiser_code"],
        raised_by=row["raised_by"],
        raised_at=row["raised_at"],
        status=row["status"],
        decided_by_organisation=row["decider_code"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        corrected_version=row["corrected_version"],
    )


def _checked(fmt_version: int, field: str, value: str) -> Any:
    """The typed value of a proposed value; `InvalidInput` when it would fail validation."""
    fmt = core_format(fmt_version)
    if field == "local_id" or not (fmt.has(field) or identifier_scheme(field)):
        raise InvalidInput(
            f"{field!r} is not a field that can be challenged "
            f"(fields: {', '.join(n for n in fmt.names if n != 'local_id')}, or identifier:SCHEME)."
        )
    spec = spec_for(fmt, field)
    received: str | list[str] = value
    if spec.is_list:
        received = [v.strip() for v in value.split(";") if v.strip()]
    checked = check_value(spec, received, as_of=dt.datetime.now(dt.UTC).date())
    if checked.problem:
        raise InvalidInput(f"The proposed {field} {value!r} is {describe(checked.problem)}.")
    return checked.typed


def raise_challenge(
    engine: Engine,
    org: str,
    dataset: str,
    local_id: str,
    field: str,
    proposed_value: str,
    reason: str,
    *,
    by_org: str,
    actor: str | None = None,
) -> ChallengeInfo:
    """Challenge one value of `org`'s record `local_id` in `dataset`, on behalf of `by_org`."""
    if not reason.strip():
        raise InvalidInput("A challenge needs a reason.")
    proposed_value = proposed_value.strip()
    if not proposed_value:
        raise InvalidInput("A challenge needs a proposed value.")
    with engine.begin() as conn:
        owner_id = _org_id(conn, org)
        raiser_id = _org_id(conn, by_org)
        ds = conn.execute(
            select(Dataset.id, Dataset.format_version).where(
                Dataset.organisation_id == owner_id, Dataset.code == dataset
            )
        ).first()
        if ds is None:
            raise NotFound(f"Dataset {org}/{dataset} does not exist.")
        record_id = conn.scalar(
            select(SourceRecord.id).where(
                SourceRecord.dataset_id == ds.id, SourceRecord.local_id == local_id
            )
        )
        if record_id is None:
            raise NotFound(f"Record {local_id!r} is not in {org}/{dataset}.")
        _checked(int(ds.format_version or 1), field, proposed_value)
        record = version_record(conn, current_version(conn, record_id))
        current = _as_text(record.get(field))
        if current == proposed_value:
            raise InvalidInput(f"The record's {field} is already {proposed_value!r}.")
        challenge_id = conn.execute(
            insert(DataChallenge)
            .values(
                source_record_id=record_id,
                field=field,
                current_value=current,
                proposed_value=proposed_value,
                reason=reason.strip(),
                raised_by_organisation_id=raiser_id,
                raised_by=actor,
                raised_at=utc_now(),
                status="open",
            )
            .returning(DataChallenge.id)
        ).scalar_one()
        return _info(conn, challenge_id)


def list_challenges(
    engine: Engine,
    *,
    org: str | None = None,
    dataset: str | None = None,
    status: str | None = None,
    raised_by: str | None = None,
) -> list[ChallengeInfo]:
    """Challenges, newest first: of `org`'s records (and `dataset`), or raised by `raised_by`."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}.")
    with engine.connect() as conn:
        query = (
            select(DataChallenge.id)
            .join(SourceRecord, SourceRecord.id == DataChallenge.source_record_id)
            .join(Dataset, Dataset.id == SourceRecord.dataset_id)
            .order_by(DataChallenge.id.desc())
        )
        if org is not None:
            query = query.where(Dataset.organisation_id == _org_id(conn, org))
            if dataset is not None:
                query = query.where(Dataset.code == dataset)
        if raised_by is not None:
            query = query.where(DataChallenge.raised_by_organisation_id == _org_id(conn, raised_by))
        if status is not None:
            query = query.where(DataChallenge.status == status)
        return [_info(conn, cid) for cid in conn.scalars(query)]


def _decidable(conn: Connection, challenge_id: int, by_org: str) -> tuple[ChallengeInfo, int]:
    info = _info(conn, challenge_id)
    if info.organisation != by_org:
        raise Forbidden(
            f"Only {info.organisation}, which holds the record, can decide challenge {challenge_id}."
        )
    if info.status != "open":
        raise Conflict(f"Challenge {challenge_id} was already {info.status}.")
    return info, _org_id(conn, by_org)


def _apply_correction(
    conn: Connection,
    record_id: int,
    field: str,
    proposed: str,
    challenge_id: int,
    batch_id: int | None,
    actor: str | None,
    now: Any,
) -> int:
    """Write the corrected value as a new version; returns that version's number."""
    rec = conn.execute(
        select(
            SourceRecord.version,
            SourceRecord.identifiers,
            SourceRecord.quality_flags,
            SourceRecord.last_batch_id,
            Dataset.format_version,
        )
        .join(Dataset, Dataset.id == SourceRecord.dataset_id)
        .where(SourceRecord.id == record_id)
    ).one()
    typed = _checked(int(rec.format_version or 1), field, proposed)
    record = version_record(conn, current_version(conn, record_id))
    # Versions that point at the stored fields get their own copy before those change.
    materialise(conn, [record_id])
    record[field] = typed if isinstance(typed, list) else proposed
    flags = dict(rec.quality_flags or {})
    flags.pop(field, None)
    values: dict[str, Any] = {
        "version": rec.version + 1,
        "quality_flags": flags or None,
        "updated_at": now,
    }
    scheme = identifier_scheme(field)
    if scheme is not None:
        identifiers = dict(rec.identifiers or {})
        identifiers[scheme] = typed
        values["identifiers"] = identifiers
    else:
        values[field] = typed
    conn.execute(update(SourceRecord).where(SourceRecord.id == record_id).values(**values))
    digest = hashlib.sha256(
        json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()[:32]
    conn.execute(
        insert(SourceRecordVersion).values(
            source_record_id=record_id,
            version=rec.version + 1,
            batch_id=batch_id if batch_id is not None else rec.last_batch_id,
            content_hash=digest,
            record=record,
            quality_flags=flags or None,
            change="corrected",
            changed_by=actor,
            challenge_id=challenge_id,
            created_at=now,
        )
    )
    return int(rec.version + 1)


def accept_challenge(
    engine: Engine,
    challenge_id: int,
    *,
    by_org: str,
    actor: str | None = None,
    note: str | None = None,
) -> ChallengeInfo:
    """The owner accepts: the value is corrected in a new version that cites the challenge."""
    with engine.begin() as conn:
        info, org_id = _decidable(conn, challenge_id, by_org)
        record_id = conn.scalar(
            select(DataChallenge.source_record_id).where(DataChallenge.id == challenge_id)
        )
        assert record_id is not None
        now = utc_now()
        version = _apply_correction(
            conn,
            int(record_id),
            info.field,
            info.proposed_value,
            challenge_id,
            None,
            actor or by_org,
            now,
        )
        conn.execute(
            update(DataChallenge)
            .where(DataChallenge.id == challenge_id)
            .values(
                status="accepted",
                decided_by_organisation_id=org_id,
                decided_by=actor,
                decided_at=now,
                decision_reason=note,
                corrected_version=version,
            )
        )
        return _info(conn, challenge_id)


def reject_challenge(
    engine: Engine, challenge_id: int, *, by_org: str, reason: str, actor: str | None = None
) -> ChallengeInfo:
    """The owner rejects, with a reason; the record is unchanged."""
    if not reason.strip():
        raise InvalidInput("Rejecting a challenge needs a reason.")
    with engine.begin() as conn:
        _, org_id = _decidable(conn, challenge_id, by_org)
        conn.execute(
            update(DataChallenge)
            .where(DataChallenge.id == challenge_id)
            .values(
                status="rejected",
                decided_by_organisation_id=org_id,
                decided_by=actor,
                decided_at=utc_now(),
                decision_reason=reason.strip(),
            )
        )
        return _info(conn, challenge_id)


def reapply_corrections(
    conn: Connection, batch_id: int, changed_ids: Iterable[int], actor: str | None, now: Any
) -> int:
    """After a batch changed records: where an accepted correction's record came again with
    the value the challenge corrected, correct it again (a new `corrected` version)."""
    ids = set(changed_ids)
    accepted = conn.execute(
        select(
            DataChallenge.id,
            DataChallenge.source_record_id,
            DataChallenge.field,
            DataChallenge.current_value,
            DataChallenge.proposed_value,
        )
        .where(DataChallenge.status == "accepted")
        .order_by(DataChallenge.id)
    ).all()
    done = 0
    for ch in accepted:
        if ch.source_record_id not in ids:
            continue
        version = current_version(conn, ch.source_record_id)
        received = _as_text(version_record(conn, version).get(ch.field))
        if received == ch.current_value:
            _apply_correction(
                conn, ch.source_record_id, ch.field, ch.proposed_value, ch.id, batch_id, actor, now
            )
            done += 1
    return done
