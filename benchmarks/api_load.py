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
4. `--clients` concurrent clients, spread over `--client-processes` processes (a light
   client: pre-built HTTP/1.1 requests on kept-alive asyncio streams), each asking
   `GET /api/v1/persons/{number}?purpose=safeguarding` for random persons with one of four
   requesters' tokens: first closed-loop (each client sends its next request as soon as the
   last is answered: the most the server does), then paced (each client waits its turn so
   that together they offer `--rates` requests a second: the latency at a load the server
   keeps up with).
5. `POST /api/v1/match` closed-loop with the same clients (and paced at `--match-rates`),
   records sampled from the store as queries (given and family name, date of birth,
   postcode), once every worker has built its online matcher's candidate index (workers
   build it in the background from start-up and answer 503 until then; timed apart). The
   model is joinedup's comparisons with their starting m/u values when the store has none
   (throughput does not depend on the trained values).

Prints throughput and latency percentiles (p50, p95, p99, max) of each phase, with the CPU
seconds the clients, the server's processes and PostgreSQL's used, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
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
from collections.abc import Iterator
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
def server(url: str, workers: int, warm_matcher: bool) -> Iterator[tuple[str, int, int]]:
    port = free_port()
    exe = Path(sys.executable).parent / "joinedup"
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    env = {
        **os.environ,
        "JOINEDUP_API_RATE_LIMIT": "10000000/minute",
        "JOINEDUP_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            str(exe),
            "--database-url",
            url,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--warm-matcher" if warm_matcher else "--no-warm-matcher",
        ],
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
        yield base, proc.pid, port
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
#
# The load client is deliberately light: pre-built HTTP/1.1 requests written on kept-alive
# asyncio streams, responses read by Content-Length, spread over several processes, so that
# the client does not need more of the two cores than the server it measures (its CPU time
# is printed with the figures).


def known_to_requests(secrets: dict[str, str], numbers: list[str], n: int = 20_000) -> list[bytes]:
    rng = random.Random(7)
    tokens_ = [secrets[u] for u in REQUESTERS]
    return [
        (
            f"GET /api/v1/persons/{rng.choice(numbers)}?purpose=safeguarding HTTP/1.1\r\n"
            f"Host: bench\r\nAuthorization: Bearer {rng.choice(tokens_)}\r\n\r\n"
        ).encode()
        for _ in range(n)
    ]


def match_requests(secrets: dict[str, str], queries: list[dict[str, str]]) -> list[bytes]:
    rng = random.Random(7)
    tokens_ = [secrets[u] for u in REQUESTERS]
    out = []
    for query in queries:
        body = json.dumps(query).encode()
        head = (
            f"POST /api/v1/match HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {rng.choice(tokens_)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request, read its whole response; returns the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _clients(
    port: int,
    requests: list[bytes],
    first: int,
    count: int,
    total_clients: int,
    start: float,
    warmup: float,
    seconds: float,
    rate: float | None,
) -> tuple[list[float], int, dict[int, int]]:
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    stop = start + warmup + seconds

    async def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        interval = total_clients / rate if rate else 0.0
        next_at = start + rng.random() * interval
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
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
                    status = await _exchange(reader, writer, rng.choice(requests))
                except (OSError, asyncio.IncompleteReadError):
                    errors += 1  # a dropped connection: open another
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                t1 = time.perf_counter()
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200:
                    errors += 1
                elif t0 >= start + warmup:
                    latencies.append(t1 - t0)
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(first, first + count)))
    return latencies, errors, statuses


def _client_process(conn, *args) -> None:  # type: ignore[no-untyped-def]
    result = asyncio.run(_clients(*args))
    conn.send((*result, time.process_time()))
    conn.close()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _pids(command: str) -> list[int]:
    """Processes whose command name is `command` (e.g. postgres)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
    return found


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


@dataclasses.dataclass
class Phase:
    label: str
    latencies: list[float]
    errors: int
    statuses: dict[int, int]
    seconds: float
    wall: float
    client_cpu: float
    server_cpu: float
    postgres_cpu: float
    machine_busy: float
    load: tuple[float, float]


def run_phase(
    label: str,
    server_pid: int,
    port: int,
    requests: list[bytes],
    clients: int,
    seconds: float,
    rate: float | None,
    processes: int,
    warmup: float = 2.0,
) -> Phase:
    """`clients` clients over `processes` processes; closed loop, or each client paced so
    that together they offer `rate` requests a second."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    server_pids = _tree(server_pid)
    pg_pids = _pids("postgres")
    load_before = os.getloadavg()[0]
    cpu0 = _cpu_seconds(server_pids), {p: _cpu_seconds([p]) for p in pg_pids}
    busy0 = _machine_busy_seconds()
    wall0 = time.perf_counter()
    start = time.perf_counter() + 0.5  # time for the processes to connect
    pipes, procs = [], []
    per, extra = divmod(clients, processes)
    first = 0
    for p in range(processes):
        count = per + (1 if p < extra else 0)
        mine, theirs = ctx.Pipe(duplex=False)
        args = (port, requests, first, count, clients, start, warmup, seconds, rate)
        proc = ctx.Process(target=_client_process, args=(theirs, *args))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
        first += count
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    client_cpu = 0.0
    for pipe, proc in zip(pipes, procs, strict=True):
        lat, err, st, cpu = pipe.recv()
        proc.join()
        latencies.extend(lat)
        errors += err
        for k, v in st.items():
            statuses[k] = statuses.get(k, 0) + v
        client_cpu += cpu
    wall = time.perf_counter() - wall0
    busy = _machine_busy_seconds() - busy0
    server_cpu = _cpu_seconds(server_pids) - cpu0[0]
    # Backends started during the phase count from zero; the pool's are long-lived.
    pg_cpu = sum(_cpu_seconds([p]) - cpu0[1].get(p, 0.0) for p in _pids("postgres"))
    return Phase(
        label,
        latencies,
        errors,
        statuses,
        seconds,
        wall,
        client_cpu,
        server_cpu,
        pg_cpu,
        busy,
        (load_before, os.getloadavg()[0]),
    )


async def _warm_matchers(base: str, requests: list[bytes], port: int, workers: int) -> float:
    """Until every worker has built its online matcher index (they answer 503 while they
    build): rounds of concurrent matches on new connections until a whole round succeeds.
    Returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(0)

    async def one() -> tuple[int, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            t0 = time.perf_counter()
            status = await _exchange(reader, writer, rng.choice(requests))
            return status, time.perf_counter() - t0
        finally:
            writer.close()

    while True:
        answers = await asyncio.gather(*(one() for _ in range(8 * workers)))
        statuses = {status for status, _ in answers}
        # Every worker answers (none 503): the indexes are built. (Not "answers fast": a
        # matcher refresh can hold some matches for seconds, which the phase then shows.)
        if statuses == {200}:
            return time.perf_counter() - started
        if statuses - {200, 503}:
            raise SystemExit(f"match failed while warming: statuses {sorted(statuses)}")
        await asyncio.sleep(2.0)


def seed_features(engine) -> None:  # type: ignore[no-untyped-def]
    """What a full link run leaves behind for the online matcher: every active record's
    features in `linkage_features` and a finished run, so each worker's index loads from
    the stored features as on a linked store (not by featurising every record)."""
    from joinedup.identity import feature_store
    from joinedup.identity.online.loader import FeatureBuilder
    from joinedup.identity.record_source import read_linkage_records

    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM linkage_features LIMIT 1")).first() is not None:
            return
    print("writing the stored features ...", flush=True)
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    builder = FeatureBuilder()
    written = 0
    with engine.begin() as conn:
        for batch in read_linkage_records(engine).to_batches(max_chunksize=50_000):
            written += feature_store.write_rows(conn, [builder.row(r) for r in batch.to_pylist()])
        conn.execute(
            text(
                "INSERT INTO link_runs (kind, started_at, finished_at, status) "
                "VALUES ('full', :started, now(), 'done')"
            ),
            {"started": started},
        )
    print(f"  {written:,} records' features in {time.monotonic() - clock:.0f} s", flush=True)


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


def report(phase: Phase) -> None:
    lat = phase.latencies
    cpu = (
        f"CPU s: clients {phase.client_cpu:.1f}, server {phase.server_cpu:.1f}, "
        f"postgres {phase.postgres_cpu:.1f}, whole machine {phase.machine_busy:.1f} "
        f"(of {os.cpu_count() or 1} cores x {phase.wall:.1f} s wall); "
        f"load {phase.load[0]:.1f}->{phase.load[1]:.1f}"
    )
    if len(lat) < 2:
        print(
            f"{phase.label}: {len(lat)} successful requests ({phase.errors} errors, {phase.statuses})"
        )
        print(f"    {cpu}")
        return
    qs = statistics.quantiles(lat, n=100, method="inclusive")
    ms = [q * 1000 for q in qs]
    print(
        f"{phase.label}: {len(lat) / phase.seconds:7.1f} req/s  "
        f"p50 {ms[49]:6.1f} ms  p95 {ms[94]:6.1f} ms  p99 {ms[98]:6.1f} ms  "
        f"max {max(lat) * 1000:6.1f} ms  ({len(lat):,} requests, {phase.errors} errors)"
    )
    print(f"    {cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--client-processes", type=int, default=2, help="Processes the clients are spread over."
    )
    parser.add_argument(
        "--rates",
        default=None,
        help="Offered rates (req/s, comma-separated) of the paced known-to phases; "
        "default: half the closed-loop rate.",
    )
    parser.add_argument("--database-url", default=None, help="Reuse a seeded store.")
    parser.add_argument("--keep", action="store_true", help="Keep the database it made.")
    parser.add_argument("--seed-only", action="store_true", help="Seed (implies --keep) and stop.")
    parser.add_argument("--match-only", action="store_true", help="Skip the known-to phases.")
    parser.add_argument("--no-match", action="store_true", help="Skip the match phase.")
    parser.add_argument(
        "--match-rates",
        default=None,
        help="Offered rates (req/s, comma-separated) of paced match phases after the closed one.",
    )
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
        if not args.no_match:
            seed_features(engine)
        queries = match_queries(engine)
        engine.dispose()
        if args.seed_only:
            return
        print(
            f"store: {len(numbers):,} persons, {records:,} source records; "
            f"server: {args.workers} workers; {args.clients} clients in "
            f"{args.client_processes} processes; {os.cpu_count()} cores",
            flush=True,
        )
        if not args.match_only:
            # Without the matcher's warm-up: a worker building a million-record index takes
            # the CPU (and the GIL) from the views it serves meanwhile.
            with server(url, args.workers, warm_matcher=False) as (_base, pid, port):
                view = known_to_requests(secrets, numbers)
                closed = run_phase(
                    "known-to, closed loop",
                    pid,
                    port,
                    view,
                    args.clients,
                    args.seconds,
                    None,
                    args.client_processes,
                )
                report(closed)
                rates = (
                    [float(r) for r in args.rates.split(",")]
                    if args.rates
                    else [max(1.0, round(len(closed.latencies) / closed.seconds / 2))]
                )
                for rate in rates:
                    report(
                        run_phase(
                            f"known-to, paced at {rate:.0f} req/s",
                            pid,
                            port,
                            view,
                            args.clients,
                            args.seconds,
                            rate,
                            args.client_processes,
                        )
                    )
        if args.no_match:
            return
        with server(url, args.workers, warm_matcher=True) as (base, pid, port):
            matching = match_requests(secrets, queries)
            warm = asyncio.run(_warm_matchers(base, matching, port, args.workers))
            print(f"online matcher indexes built in every worker after {warm:.0f} s", flush=True)
            report(
                run_phase(
                    "POST /api/v1/match, closed loop",
                    pid,
                    port,
                    matching,
                    args.clients,
                    args.seconds,
                    None,
                    args.client_processes,
                )
            )
            for rate in [float(r) for r in args.match_rates.split(",")] if args.match_rates else []:
                report(
                    run_phase(
                        f"POST /api/v1/match, paced at {rate:.0f} req/s",
                        pid,
                        port,
                        matching,
                        args.clients,
                        args.seconds,
                        rate,
                        args.client_processes,
                    )
                )


if __name__ == "__main__":
    main()
