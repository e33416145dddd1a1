"""`make demo`: the hub on the embedded store with a synthetic partnership.

Each step is a service call any user could make from the CLI (synth, ingest-manifest,
link train, link run, user, agreement, token, serve); this module only strings them together,
then says what it made, how to sign in and what to try.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from joinedup.store import create_store_engine, ensure_schema
from joinedup.synth import generate

console = Console(highlight=False)

HUB = ("FEN-HUB", "Fenmoor Partnership Hub")
# A demo store only: printed for people to sign in with, never used outside `make demo`.
DEMO_PASSWORD = "joinedup-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    organisation: str
    roles: tuple[str, ...]
    what: str


def demo_users(children_services: str, schools: str) -> list[DemoUser]:
    return [
        DemoUser(
            "sam.worker",
            "Sam Okafor",
            children_services,
            ("practitioner",),
            "social worker: search, known-to view, break-glass",
        ),
        DemoUser(
            "pat.teacher",
            "Pat Lewis",
            schools,
            ("practitioner",),
            "designated safeguarding lead: sees less than the social worker",
        ),
        DemoUser(
            "dana.owner",
            "Dana Whitfield",
            children_services,
            ("data_owner",),
            "data owner: uploads, quality, agreements, consent, audit",
        ),
        DemoUser(
            "lee.linkage",
            "Lee Marsh",
            HUB[0],
            ("linkage_officer",),
            "linkage officer: review queue, merge and split",
        ),
        DemoUser("ana.analyst", "Ana Patel", HUB[0], ("analyst",), "analyst: aggregates only"),
        DemoUser(
            "admin",
            "Partnership Admin",
            HUB[0],
            ("partnership_admin",),
            "partnership admin: organisations, users, agreements",
        ),
    ]


def _seed_governance(
    engine: Engine, organisations: list[str], children_services: str, schools: str
) -> tuple[list[DemoUser], dict[str, str]]:
    """Demo users, a data owner per partner, agreements in force, and one token per user."""
    from joinedup.governance.agreements import (
        AgreementChange,
        approve_agreement,
        create_agreement,
    )
    from joinedup.governance.tokens import create_token
    from joinedup.governance.users import create_user, grant_role
    from joinedup.records.organisations import add_organisation
    from joinedup.store import UnitOfWork
    from joinedup.store.schema.core import Dataset, Organisation

    add_organisation(engine, HUB[0], HUB[1])
    users = demo_users(children_services, schools)
    for user in users:
        create_user(engine, user.username, user.display_name, password=DEMO_PASSWORD)
        for role in user.roles:
            grant_role(engine, user.username, user.organisation, role)
    # Every partner's data owner approves the agreements that share its data.
    owners = {children_services: "dana.owner"}
    for org in organisations:
        if org not in owners:
            name = f"owner.{org.lower()}"
            create_user(engine, name, f"Data owner of {org}", password=DEMO_PASSWORD)
            grant_role(engine, name, org, "data_owner")
            owners[org] = name

    with UnitOfWork(engine) as uow:
        datasets: dict[str, list[str]] = {}
        rows = uow.session.query(Organisation.code, Dataset.code).join(
            Dataset, Dataset.organisation_id == Organisation.id
        )
        for org_code, ds_code in rows:
            datasets.setdefault(org_code, []).append(ds_code)

    def agree(code: str, provider: str, recipients: tuple[str, ...], **terms: object) -> None:
        change = AgreementChange(
            title=str(terms.pop("title")),
            datasets=tuple(datasets.get(provider, [])),
            recipient_organisations=recipients,
            valid_from=dt.date.today(),
            **terms,  # type: ignore[arg-type]
        )
        create_agreement(engine, code, provider, change, actor=owners[provider])
        approve_agreement(engine, code, actor=owners[provider])

    for org in organisations:
        if org == children_services or not datasets.get(org):
            continue
        agree(
            f"DSA-SAFE-{org}",
            org,
            (children_services,),
            title=f"{org} to children's social care for safeguarding",
            purposes=("safeguarding", "care_coordination"),
            max_detail="coded",
            finest_aggregation="person",
            legal_basis="public_task",
        )
    agree(
        "DSA-CSC-SCHOOLS",
        children_services,
        (schools,),
        title="Children's social care to schools: who is involved, and the RAG rating",
        purposes=("safeguarding",),
        max_detail="rag",
        finest_aggregation="person",
        legal_basis="public_task",
    )
    tokens = {}
    for user in users:
        issued = create_token(engine, user.username, user.organisation, "demo", days=30)
        tokens[user.username] = issued.secret
    return users, tokens


def _busiest_person(engine: Engine) -> str:
    """The person number known to the most partners: the best first look at the hub."""
    from sqlalchemy import func, select

    from joinedup.store.schema.identity import Person, PersonLink

    with engine.connect() as conn:
        number = conn.execute(
            select(Person.person_number)
            .join(PersonLink, PersonLink.person_id == Person.id)
            .group_by(Person.person_number)
            .order_by(func.count().desc(), Person.person_number)
            .limit(1)
        ).scalar()
    return number or "PERSON_NUMBER"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("var/demo"))
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--no-serve", action="store_true", help="Set everything up, print, and stop."
    )
    args = parser.parse_args(argv)

    demo_dir: Path = args.dir
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    extracts = demo_dir / "extracts"
    url = f"sqlite:///{(demo_dir / 'joinedup.db').as_posix()}"
    started = time.monotonic()

    engine = create_store_engine(url)
    revision = ensure_schema(engine)
    console.print(f"[bold]Store[/] {url} (schema {revision})")

    with console.status("Generating the synthetic partnership"):
        manifest = generate(persons=args.persons, seed=args.seed, out_dir=extracts)

    from joinedup.identity.batch_link import run_link
    from joinedup.identity.model import train_model
    from joinedup.records.manifest import load_manifest

    with console.status("Loading every extract (ingest with validation)"):
        reports = load_manifest(engine, extracts, actor="demo")
    table = Table(title=f"Synthetic partnership: {args.persons:,} persons, seed {args.seed}")
    for col in ("Organisation", "Dataset", "Format", "Rows in", "Loaded", "Quarantined"):
        table.add_column(col, justify="right" if col[0] in "RLQ" else "left")
    names = {e["organisation"]: e["organisation_name"] for e in manifest["extracts"]}
    for r in reports:
        table.add_row(
            names.get(r.organisation, r.organisation),
            r.dataset,
            r.source_format or "",
            f"{r.rows_in:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
        )
    console.print(table)

    with console.status("Training the linkage model and linking"):
        model = train_model(engine)
        run = run_link(engine)
    console.print(
        f"[bold]Linked[/] {run.records:,} records into {run.clusters:,} persons "
        f"(model v{model.version}); {run.review_items_open:,} pairs wait for clerical review."
    )

    organisations = list(dict.fromkeys(e["organisation"] for e in manifest["extracts"]))
    children_services = next((o for o in organisations if o.endswith("CSC")), organisations[0])
    schools = next((o for o in organisations if o.endswith("EDU")), organisations[-1])
    users, tokens = _seed_governance(engine, organisations, children_services, schools)

    base = f"http://{args.host}:{args.port}"
    logins = Table(title=f"Sign in at {base}/ (password for every demo user: {DEMO_PASSWORD})")
    for col in ("Username", "Organisation", "Role", "What to try"):
        logins.add_column(col)
    for user in users:
        logins.add_row(user.username, user.organisation, ", ".join(user.roles), user.what)
    console.print(logins)
    console.print("[bold]API tokens[/] (one per demo user, valid 30 days)")
    for user in users:
        console.print(f"  {user.username:<12} {tokens[user.username]}", soft_wrap=True)
    worker = tokens["sam.worker"]
    number = _busiest_person(engine)
    console.print(
        "[bold]Try the API[/]\n"
        f"  curl -s {base}/api/v1/health\n"
        f"  curl -s -H 'Authorization: Bearer {worker}' "
        f"'{base}/api/v1/persons/{number}?purpose=safeguarding'\n"
        f"  API reference: {base}/docs\n"
        f"[bold]Or the CLI[/]\n"
        f"  export JOINEDUP_DATABASE_URL={url}\n"
        "  uv run joinedup status\n"
        "  uv run joinedup export links --out var/demo/links.csv\n"
        f"Set up in {time.monotonic() - started:.0f} s. Ground truth: {extracts / 'truth.csv'}"
    )
    engine.dispose()
    if args.no_serve:
        return

    import uvicorn

    from joinedup.api import create_app
    from joinedup.config import Settings

    os.environ["JOINEDUP_DATABASE_URL"] = url
    settings = Settings(database_url=url, var_dir=demo_dir)
    console.print(f"\n[bold green]joinedup is running at {base}/[/] (Ctrl-C to stop)")
    uvicorn.run(
        create_app(settings=settings, served=True),
        host=args.host,
        port=args.port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
