"""Policy decision point benchmark: microseconds per decision (target: at most 200).

    uv run python benchmarks/policy.py
    uv run python benchmarks/policy.py --organisations 60 --agreements 600 --calls 20000

A random partnership (organisations with two datasets each, agreements of every status,
consents) and random requests about persons known to several partners. Measures the pure
`joinedup.domain.policy.decide`:

- "view rows": agreements indexed once (`AgreementIndex`), as a view deciding row after row
  does; one call decides all of a person's datasets.
- "one call": agreements passed as the list the service loads for the person's providers,
  the index built inside the call (what `governance.pdp.decide_for_person` does).
- "all agreements": every agreement in the partnership passed as a list (worst case).

"per decision" divides by the number of source datasets decided.

`--service N` also times N calls of the service `governance.pdp.decide_for_person` on a
fresh store (SQLite in a temporary folder, or `--database-url`): loading the person's
datasets, agreements, consents and grants, deciding, and appending the audit entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from joinedup.domain.levels import Aggregation, Detail
from joinedup.domain.policy import (
    AGREEMENT_STATUSES,
    LEGAL_BASES,
    PURPOSES,
    AgreementIndex,
    AgreementTerms,
    BreakGlassGrant,
    ConsentEntry,
    Request,
    Requester,
    SourceDataset,
    decide,
)

NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)


def build(rng: random.Random, n_orgs: int, n_agreements: int):  # type: ignore[no-untyped-def]
    datasets = [SourceDataset(o, o * 10 + k) for o in range(1, n_orgs + 1) for k in (0, 1)]
    agreements = []
    for i in range(1, n_agreements + 1):
        provider = rng.randint(1, n_orgs)
        agreements.append(
            AgreementTerms(
                agreement_id=i,
                version=1,
                code=f"DSA-{i}",
                provider_organisation_id=provider,
                dataset_ids=frozenset(
                    rng.sample([provider * 10, provider * 10 + 1], rng.randint(1, 2))
                ),
                recipient_organisation_ids=frozenset(
                    rng.sample(range(1, n_orgs + 1), rng.randint(1, 8))
                ),
                recipient_roles=frozenset(
                    rng.sample(["practitioner", "analyst"], rng.randint(0, 1))
                ),
                purposes=frozenset(rng.sample(PURPOSES, rng.randint(1, 3))),
                max_detail=rng.choice(list(Detail)[1:]),
                finest_aggregation=rng.choice([Aggregation.PERSON] * 3 + list(Aggregation)),
                legal_basis=rng.choice(LEGAL_BASES),
                status=rng.choice(["active"] * 4 + list(AGREEMENT_STATUSES)),
                valid_from=dt.date(2024, 1, 1),
                valid_to=rng.choice([None, dt.date(2026, 1, 1), dt.date(2025, 1, 1)]),
            )
        )
    return datasets, agreements


def scenarios(rng: random.Random, datasets, agreements, n: int, n_orgs: int):  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        person_datasets = tuple(rng.sample(datasets, rng.randint(2, 6)))
        providers = {d.organisation_id for d in person_datasets}
        requester = Requester(
            rng.randint(1, 50), rng.randint(1, n_orgs), frozenset({"practitioner"})
        )
        consents = [
            ConsentEntry(
                rng.choice(["permit", "deny"]),
                rng.choice([None, requester.organisation_id, rng.randint(1, n_orgs)]),
                rng.choice([None, *PURPOSES]),
                consent_id=j,
            )
            for j in range(rng.randint(0, 3))
        ]
        grant = None
        if rng.random() < 0.05:
            grant = BreakGlassGrant(
                1, requester.user_id, requester.organisation_id, 1, "safeguarding", Detail.FULL,
                NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=3),
            )  # fmt: skip
        out.append(
            {
                "requester": requester,
                "purpose": rng.choice(PURPOSES),
                "request": Request(
                    "person_view", person_datasets, Detail.FULL, Aggregation.PERSON, 1
                ),
                "relevant": [a for a in agreements if a.provider_organisation_id in providers],
                "consents": consents,
                "grant": grant,
            }
        )
    return out


def run(label: str, cases, agreements_for) -> None:  # type: ignore[no-untyped-def]
    rounds = []
    decisions = sum(len(c["request"].datasets) for c in cases)
    allowed = 0
    for _ in range(5):
        start = time.perf_counter()
        for c in cases:
            result = decide(
                c["requester"],
                c["purpose"],
                c["request"],
                agreements_for(c),
                c["consents"],
                c["grant"],
                NOW,
            )
        rounds.append(time.perf_counter() - start)
    for c in cases:
        result = decide(
            c["requester"],
            c["purpose"],
            c["request"],
            agreements_for(c),
            c["consents"],
            c["grant"],
            NOW,
        )
        allowed += sum(d.allowed for d in result)
    best = min(rounds)
    print(
        f"{label:<16} {best / len(cases) * 1e6:8.1f} µs per call   "
        f"{best / decisions * 1e6:6.1f} µs per decision   "
        f"(median of 5: {statistics.median(rounds) / decisions * 1e6:.1f}; "
        f"{decisions:,} decisions, {allowed / decisions:.0%} allowed)"
    )


def service_benchmark(calls: int, database_url: str | None) -> None:
    """Decide + audit through the service layer against a real store."""
    import tempfile
    from pathlib import Path

    from joinedup.domain.person_number import draw_person_numbers
    from joinedup.governance import audit, pdp, users
    from joinedup.governance.agreements import AgreementChange, approve_agreement, create_agreement
    from joinedup.governance.auth import principal_for
    from joinedup.store import create_store_engine, ensure_schema
    from joinedup.store.schema.core import Dataset, Organisation
    from joinedup.store.schema.identity import Person, PersonLink
    from joinedup.store.schema.records import IngestBatch, SourceRecord
    from joinedup.store.uow import UnitOfWork

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_store_engine(url)
        ensure_schema(engine)
        rng = random.Random(2)
        codes = [f"ORG{i:02d}" for i in range(12)]
        with UnitOfWork(engine) as uow:
            s = uow.session
            ds_ids = []
            for code in codes:
                org = Organisation(code=code, name=code)
                s.add(org)
                s.flush()
                ds = Dataset(organisation_id=org.id, code="main")
                s.add(ds)
                s.flush()
                batch = IngestBatch(dataset_id=ds.id, file_name="b", content_hash="0" * 64)
                s.add(batch)
                s.flush()
                ds_ids.append((ds.id, batch.id))
            person_ids = []
            for n, number in enumerate(draw_person_numbers(500)):
                person = Person(person_number=number)
                s.add(person)
                s.flush()
                person_ids.append(person.id)
                for ds_id, batch_id in rng.sample(ds_ids, rng.randint(2, 5)):
                    rec = SourceRecord(
                        dataset_id=ds_id, local_id=f"R{n}", content_hash="1" * 64,
                        first_batch_id=batch_id, last_batch_id=batch_id,
                    )  # fmt: skip
                    s.add(rec)
                    s.flush()
                    s.add(PersonLink(source_record_id=rec.id, person_id=person.id))
            uow.commit()
        users.create_user(engine, "owner", "Owner")
        users.create_user(engine, "asker", "Asker")
        users.grant_role(engine, "asker", codes[0], "practitioner")
        for code in codes[1:]:
            users.grant_role(engine, "owner", code, "data_owner")
            create_agreement(
                engine, f"DSA-{code}", code,
                AgreementChange(
                    title=code, datasets=("main",), recipient_organisations=(codes[0],),
                    recipient_roles=(), purposes=("safeguarding",),
                    max_detail=rng.choice(["known_to", "rag", "coded"]),
                    finest_aggregation="person", legal_basis="public_task",
                    valid_from=dt.date(2024, 1, 1),
                ),
                actor="owner",
            )  # fmt: skip
            approve_agreement(engine, f"DSA-{code}", actor="owner")
        with UnitOfWork(engine) as uow:
            principal = principal_for(uow.session, "asker", codes[0])
        times = []
        for i in range(calls):
            start = time.perf_counter()
            with UnitOfWork(engine) as uow:
                pdp.decide_for_person(
                    uow.session, principal, "safeguarding", person_ids[i % len(person_ids)]
                )
                uow.commit()
            times.append(time.perf_counter() - start)
        times.sort()
        report = audit.verify(engine)
        print(
            f"service ({engine.dialect.name}): decide_for_person + audit entry, {calls:,} calls: "
            f"median {statistics.median(times) * 1e3:.2f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1e3:.2f} ms; audit chain ok: {report.ok}"
        )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--agreements", type=int, default=300)
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--service", type=int, default=0, help="also time N service calls")
    parser.add_argument("--database-url", default=None, help="store for --service")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    datasets, agreements = build(rng, args.organisations, args.agreements)
    cases = scenarios(rng, datasets, agreements, args.calls, args.organisations)
    print(
        f"{args.organisations} organisations, {len(datasets)} datasets, {len(agreements)} agreements; "
        f"{args.calls:,} requests of 2-6 source datasets each"
    )
    index = AgreementIndex.build(agreements)
    run("view rows", cases, lambda c: index)
    run("one call", cases, lambda c: c["relevant"])
    run("all agreements", cases[: max(1, args.calls // 10)], lambda c: agreements)
    if args.service:
        service_benchmark(args.service, args.database_url)


if __name__ == "__main__":
    main()
