"""API load benchmark: the known-to view under concurrent clients, on PostgreSQL.

    uv run python benchmarks/api_load.py --persons 1000000 --clients 50 --seconds 30
    uv run python benchmarks/api_load.py --database-url postgresql://...  # reuse a seeded store

Steps:
1. a database of its own on the PostgreSQL server (dropped at the end unless --keep), or the
   one given; the partnership (5 organisations, users with tokens, agreements at every
   detail level, a refusal) through the services;
2. `--persons` persons with 1 to 4 source records each across the five datasets, written
   with COPY (the benchmark measures the API, not ingest or linkage);
3. `joinedup serve` (uvicorn, `--workers`) on a free loopback port;
4. `--clients` concurrent clients (one asyncio process, httpx) each asking
   `GET /api/v1/persons/{number}?purpose=safeguarding` for random persons with one of four
   requesters' tokens: first closed-loop (each client sends its next request as soon as the
   last is answered: the most the server does), then at a fixed offered rate spread over
   the same clients (latency at a load the server keeps up with).

5. `POST /api/v1/match` closed-loop with the same clients, records sampled from the store
   as queries (given and family name, date of birth, postcode), after every worker has
   built its online matcher's candidate index (the first matches build it; timed apart).
   The model is joinedup's comparisons with their starting m/u values when the store has
   none (throughput does not depend on the trained values).

Prints throughput and latency percentiles (p50, p95, p99, max) of each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from joinedup.domain.person_number import draw_person_numbers
from joinedup.governance import agreements, consent, tokens, users
from joinedup.records.datasets import add_dataset
from joinedup.records.organisations import add_organisation
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.uow import transaction

ADMIN_URL = os.environ.get(
    "JOINEDUP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORGS = {
    "CSC": ("cases", "Children's social care", "child_protection"),
    "SCH": ("roll", "Riverside Primary", "enrolment"),
    "NHS": ("caseload", "School nursing", "episode"),
    "HSG": ("tenancies", "Tenancy services", "tenancy"),
    "EMP": ("clients", "Works programme", "programme"),
}
REQUESTERS = {
    "social": ("CSC", "practitioner"),
    "teacher": ("SCH", "practitioner"),
    "nurse": ("NHS", "practitioner"),
    "adviser": ("EMP", "practitioner"),
}
OWNERS = {f"{o.lower()}_owner": (o, "data_owner") for o in ORGS}
AGREEMENTS = {
    "CSC-SCH": ("CSC", "SCH", "rag", "public_task"),
    "NHS-CSC": ("NHS", "CSC", "coded", "public_task"),
    "SCH-CSC": ("SCH", "CSC", "known_to", "public_task"),
    "CSC-NHS": ("CSC", "NHS", "known_to", "public_task"),
    "HSG-SCH": ("HSG", "SCH", "known_to", "consent"),
    "EMP-CSC": ("EMP", "CSC", "full", "public_task"),
}
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Names and postcodes as varied as a town's (hundreds of given names, a thousand family
# names, ~200k postcodes), so the matcher's blocks are the size they would be.
GIVEN = [
    a + b
    for a in (
        "Al",
        "Be",
        "Ca",
        "Da",
        "El",
        "Fi",
        "Ga",
        "Ha",
        "Is",
        "Ja",
        "Ka",
        "Le",
        "Ma",
        "Na",
        "Ol",
        "Pa",
        "Ro",
        "Sa",
        "Ta",
        "Zo",
    )
    for b in (
        "n",
        "ra",
        "la",
        "ri",
        "na",
        "ssa",
        "den",
        "lie",
        "ron",
        "mes",
        "ya",
        "tt",
        "cy",
        "nor",
        "vin",
    )
]
FAMILY = [
    a + b
    for a in (
        "Ash",
        "Brad",
        "Carl",
        "Dun",
        "Ell",
        "Fair",
        "Green",
        "Hart",
        "Ing",
        "Kirk",
        "Lang",
        "Mill",
        "New",
        "Oak",
        "Pen",
        "Ray",
        "Shaw",
        "Thorn",
        "Wal",
        "York",
        "Bel",
        "Cran",
        "Dal",
        "Fen",
        "Gil",
        "Hol",
        "Ken",
        "Lind",
        "Mor",
        "Nor",
        "Pres",
        "Rad",
        "Sel",
        "Tod",
        "Up",
        "Ver",
        "Wes",
        "Wood",
        "Yar",
        "Ab",
    )
    for b in (
        "by",
        "ford",
        "ley",
        "ton",
        "field",
        "wood",
        "well",
        "worth",
        "ham",
        "ridge",
        "stone",
        "land",
        "more",
        "den",
        "brook",
        "gate",
        "wick",
        "cott",
        "hurst",
        "low",
        "man",
        "son",
        "er",
        "ing",
        "shaw",
    )
]


# ------------------------------------------------------------------ store and seeding
@contextlib.contextmanager
def database(url: str | None, keep: bool) -> Iterator[str]:
    if url:
        yield url
        return
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"joinedup_bench_api_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    made = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield made
    finally:
        if keep:
            print(f"kept database: {made}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_partnership(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Organisations, datasets, users, tokens and agreements; returns username -> token."""
    for code, (ds, name, _kind) in ORGS.items():
        add_organisation(engine, code, f"{name} ({code})", exist_ok=True)
        with contextlib.suppress(Exception):
            add_dataset(engine, code, ds, name=name)
    secrets = {}
    with transaction(engine) as session:
        for username, (org, role) in {**REQUESTERS, **OWNERS}.items():
            users.create_user(session, username, username)
            users.grant_role(session, username, org, role)
            secrets[username] = tokens.create_token(
                session, username, org, "benchmark", actor=username
            ).secret
        for code, (provider, recipient, detail, basis) in AGREEMENTS.items():
            owner = f"{provider.lower()}_owner"
            agreements.create_agreement(
                session,
                code,
                provider,
                agreements.AgreementChange(
                    title=code,
                    datasets=(ORGS[provider][0],),
                    recipient_organisations=(recipient,),
                    purposes=("safeguarding",),
                    max_detail=detail,
                    finest_aggregation="person",
                    legal_basis=basis,
                    valid_from=dt.date(2020, 1, 1),
                ),
                actor=owner,
            )
            agreements.approve_agreement(session, code, actor=owner)
    return secrets


def _copy(raw, table: str, columns: list[str], rows: io.StringIO) -> None:  # type: ignore[no-untyped-def]
    rows.seek(0)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        while chunk := rows.read(1 << 20):
            cp.write(chunk)


def seed_people(engine, persons: int, seed: int = 1) -> list[str]:  # type: ignore[no-untyped-def]
    """`persons` persons with 1-4 records each, by COPY; returns their numbers."""
    rng = random.Random(seed)
    numbers = draw_person_numbers(persons)
    # Records arrive over the past year, as a store's do: the online matcher re-reads the
    # rows changed in the two minutes before the latest change on every refresh, which a
    # store stamped with one time would be in its entirety.
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with engine.begin() as conn:
        ds_ids = {
            code: conn.execute(
                text(
                    "SELECT d.id FROM datasets d JOIN organisations o ON o.id = d.organisation_id "
                    "WHERE o.code = :c"
                ),
                {"c": code},
            ).scalar_one()
            for code in ORGS
        }
        batch_ids = {
            code: conn.execute(
                text(
                    "INSERT INTO ingest_batches (dataset_id, file_name, content_hash, snapshot, "
                    "status, rows_in, rows_loaded, rows_quarantined, rows_new, rows_changed, "
                    "rows_unchanged, rows_closed, rows_reopened, format_version, started_at) "
                    "VALUES (:d, 'bench.csv', '', 'full', 'done', 0, 0, 0, 0, 0, 0, 0, 0, 1, now()) "
                    "RETURNING id"
                ),
                {"d": ds_id},
            ).scalar_one()
            for code, ds_id in ds_ids.items()
        }
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        chunk = 200_000
        codes = list(ORGS)
        record_id = 0
        for start in range(0, persons, chunk):
            people, records, links = io.StringIO(), io.StringIO(), io.StringIO()
            for pid in range(start + 1, min(start + chunk, persons) + 1):
                number = numbers[pid - 1]
                when = (base - dt.timedelta(seconds=rng.randrange(31_536_000))).isoformat()
                people.write(f"{pid}\t{number}\tactive\t{when}\n")
                dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(29_000))
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                for code in rng.sample(codes, rng.randint(1, 4)):
                    record_id += 1
                    _ds, service, kind = ORGS[code]
                    local = f"{code}-{pid}"
                    digest = hashlib.md5(local.encode()).hexdigest() * 2
                    start_date = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(2500))
                    records.write(
                        "\t".join(
                            [
                                str(record_id),
                                str(ds_ids[code]),
                                local,
                                "active",
                                "1",
                                digest,
                                str(batch_ids[code]),
                                str(batch_ids[code]),
                                when,
                                given,
                                family,
                                dob.isoformat(),
                                rng.choice(["male", "female"]),
                                f"LS{rng.randint(1, 29)} {rng.randint(0, 9)}"
                                f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}",
                                service,
                                kind,
                                start_date.isoformat(),
                                "open",
                                rng.choice(["red", "amber", "green"]),
                                f"Lead {rng.randint(1, 500)}",
                                f"team{rng.randint(1, 50)}@{code.lower()}.example",
                                '["N1", "N2"]',
                                "A note.",
                            ]
                        )
                        + "\n"
                    )
                    links.write(f"{record_id}\t{pid}\t1.0\t{when}\n")
            _copy(dbapi, "persons", ["id", "person_number", "status", "created_at"], people)
            _copy(
                dbapi,
                "source_records",
                [
                    "id",
                    "dataset_id",
                    "local_id",
                    "status",
                    "version",
                    "content_hash",
                    "first_batch_id",
                    "last_batch_id",
                    "updated_at",
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "sex",
                    "postcode",
                    "service",
                    "involvement_type",
                    "start_date",
                    "episode_status",
                    "rag",
                    "lead_practitioner",
                    "lead_contact",
                    "reason_codes",
                    "note",
                ],
                records,
            )
            _copy(
                dbapi,
                "person_links",
                ["source_record_id", "person_id", "match_probability", "linked_at"],
                links,
            )
            dbapi.commit()
            print(f"  seeded {min(start + chunk, persons):,} persons", flush=True)
        with dbapi.cursor() as cur:
            cur.execute("SELECT setval('persons_id_seq', (SELECT max(id) FROM persons))")
            cur.execute(
                "SELECT setval('source_records_id_seq', (SELECT max(id) FROM source_records))"
            )
        dbapi.commit()
        dbapi.autocommit = True
        with dbapi.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    # A refusal, so the consent path has something to read.
    consent.record_consent(
        engine, "deny", actor="csc_owner", person_number=numbers[0], recipient="NHS"
    )
    return numbers


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(url: str, workers: int) -> Iterator[str]:
    port = free_port()
    exe = Path(sys.executable).parent / "joinedup"
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    env = {
        **os.environ,
        "JOINEDUP_API_RATE_LIMIT": "10000000/minute",
        "JOINEDUP_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [str(exe), "--database-url", url, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"server exited:\n{log.read().decode(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker still building its index, say
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.seek(0)
        tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
        if tail:
            print("server log (last lines):\n  " + "\n  ".join(tail))
        log.close()


# ------------------------------------------------------------------ load
Request = Callable[[random.Random, httpx.AsyncClient], Awaitable[httpx.Response]]


def known_to_request(secrets: dict[str, str], numbers: list[str]) -> Request:
    headers = [{"Authorization": f"Bearer {secrets[u]}"} for u in REQUESTERS]

    def make(rng: random.Random, http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return http.get(
            f"/api/v1/persons/{rng.choice(numbers)}",
            params={"purpose": "safeguarding"},
            headers=rng.choice(headers),
        )

    return make


def match_request(secrets: dict[str, str], queries: list[dict[str, str]]) -> Request:
    headers = [{"Authorization": f"Bearer {secrets[u]}"} for u in REQUESTERS]

    def make(rng: random.Random, http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return http.post("/api/v1/match", json=rng.choice(queries), headers=rng.choice(headers))

    return make


async def _run(
    base: str, make: Request, clients: int, seconds: float, rate: float | None
) -> tuple[list[float], int, float]:
    """Latencies (s) of requests finished after a 2 s warm-up, error count, elapsed."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    warmup = 2.0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        stop = start + warmup + seconds

        async def client(i: int) -> None:
            nonlocal errors
            rng = random.Random(i)
            interval = clients / rate if rate else 0.0
            next_at = start + rng.random() * interval
            while True:
                if interval:
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    next_at += interval
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                try:
                    response = await make(rng, http)
                except httpx.TransportError:
                    errors += 1  # e.g. a kept-alive connection the server had just closed
                    continue
                t1 = time.perf_counter()
                if response.status_code != 200:
                    errors += 1
                elif t0 >= start + warmup:
                    latencies.append(t1 - t0)

        await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors, seconds


async def _warm_matchers(base: str, make: Request, workers: int) -> float:
    """Until every worker has built its candidate index: rounds of concurrent matches until
    a round is fast. Returns the seconds it took."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=3600) as http:
        rng = random.Random(0)
        while True:
            t0 = time.perf_counter()
            try:
                answers = await asyncio.gather(*(make(rng, http) for _ in range(4 * workers)))
            except httpx.TransportError as exc:
                raise SystemExit(f"the server dropped a match while building ({exc!r})") from exc
            bad = [a for a in answers if a.status_code != 200]
            if bad:
                raise SystemExit(f"match failed: {bad[0].status_code} {bad[0].text[:300]}")
            if time.perf_counter() - t0 < 2.0:
                return time.perf_counter() - started


def ensure_model(engine) -> None:  # type: ignore[no-untyped-def]
    """A linkage model for the online matcher: joinedup's comparisons with their starting
    m and u values (untrained; this measures throughput, not accuracy)."""
    from joinedup.domain.comparisons import splink_settings

    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM linkage_models")).scalar_one():
            return
        settings = splink_settings(1e-4)
        settings["sql_dialect"] = "duckdb"
        # Levels without a starting value (learnt from data in training) get a plain one.
        for comparison in settings["comparisons"]:
            for level in comparison["comparison_levels"]:
                if not level.get("is_null_level"):
                    level["m_probability"] = level.get("m_probability") or 0.5
                    level["u_probability"] = level.get("u_probability") or 0.01
        conn.execute(
            text(
                "INSERT INTO linkage_models (version, trained_at, records_used, settings) "
                "VALUES (1, now(), 0, CAST(:s AS JSONB))"
            ),
            {"s": json.dumps(settings)},
        )


def match_queries(engine, n: int = 5000) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM source_records")).scalar_one()
        rows = conn.execute(
            text(
                "SELECT given_name, family_name, date_of_birth, postcode FROM source_records "
                "WHERE id % :step = 0 AND date_of_birth IS NOT NULL LIMIT :n"
            ),
            {"step": max(1, total // n), "n": n},
        ).all()
    return [
        {"given_name": g, "family_name": f, "date_of_birth": d.isoformat(), "postcode": p}
        for g, f, d, p in rows
    ]


def report(label: str, latencies: list[float], errors: int, seconds: float) -> None:
    if not latencies:
        print(f"{label}: no successful requests ({errors} errors)")
        return
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    ms = [q * 1000 for q in qs]
    print(
        f"{label}: {len(latencies) / seconds:7.1f} req/s  "
        f"p50 {ms[49]:6.1f} ms  p95 {ms[94]:6.1f} ms  p99 {ms[98]:6.1f} ms  "
        f"max {max(latencies) * 1000:6.1f} ms  ({len(latencies):,} requests, {errors} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="Offered rate (req/s) of the paced phase; default: half the closed-loop rate.",
    )
    parser.add_argument("--database-url", default=None, help="Reuse a seeded store.")
    parser.add_argument("--keep", action="store_true", help="Keep the database it made.")
    parser.add_argument("--seed-only", action="store_true", help="Seed (implies --keep) and stop.")
    parser.add_argument("--match-only", action="store_true", help="Skip the known-to phases.")
    args = parser.parse_args()

    with database(args.database_url, args.keep or args.seed_only) as url:
        engine = create_store_engine(url)
        ensure_schema(engine)
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        started = time.monotonic()
        if have == 0:
            print(f"seeding {args.persons:,} persons ...", flush=True)
            secrets = seed_partnership(engine)
            numbers = seed_people(engine, args.persons)
            print(f"seeded in {time.monotonic() - started:.0f} s")
        else:
            print(f"reusing a store with {have:,} persons (new tokens)")
            with transaction(engine) as session:
                secrets = {
                    u: tokens.create_token(session, u, org, "benchmark", actor=u).secret
                    for u, (org, _role) in REQUESTERS.items()
                }
            with engine.connect() as conn:
                numbers = list(conn.execute(text("SELECT person_number FROM persons")).scalars())
        with engine.connect() as conn:
            records = conn.execute(text("SELECT count(*) FROM source_records")).scalar_one()
        ensure_model(engine)
        queries = match_queries(engine)
        engine.dispose()
        if args.seed_only:
            return
        print(
            f"store: {len(numbers):,} persons, {records:,} source records; "
            f"server: {args.workers} workers; {args.clients} clients; {os.cpu_count()} cores"
        )
        with server(url, args.workers) as base:
            view = known_to_request(secrets, numbers)
            if not args.match_only:
                latencies, errors, secs = asyncio.run(
                    _run(base, view, args.clients, args.seconds, None)
                )
                report("known-to, closed loop", latencies, errors, secs)
                closed_rate = len(latencies) / secs
                rate = args.rate or max(1.0, round(closed_rate / 2))
                latencies, errors, secs = asyncio.run(
                    _run(base, view, args.clients, args.seconds, rate)
                )
                report(f"known-to, paced at {rate:.0f} req/s", latencies, errors, secs)
            matching = match_request(secrets, queries)
            warm = asyncio.run(_warm_matchers(base, matching, args.workers))
            print(f"online matcher indexes built in every worker after {warm:.0f} s")
            latencies, errors, secs = asyncio.run(
                _run(base, matching, args.clients, args.seconds, None)
            )
            report("POST /api/v1/match, closed loop", latencies, errors, secs)


if __name__ == "__main__":
    main()
