"""CLI commands of the records capability: organisations, datasets, ingest, data quality,
quarantine and data challenges (see docs/cli.md and docs/ingest.md).

Values from partners' files are shown through `inert()`: never as Rich markup, with control
characters made visible, so a name like `[red]x` or an escape sequence prints as text.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from joinedup.cli.common import console, err_console, print_json, progress_bar, state
from joinedup.errors import ExitCode

org_app = typer.Typer(help="Organisations: the partners that send extracts.", no_args_is_help=True)
dataset_app = typer.Typer(help="Datasets and their mappings.", no_args_is_help=True)
dq_app = typer.Typer(help="Data-quality reports.", no_args_is_help=True)
challenge_app = typer.Typer(
    help="Data challenges: question a value; its owner decides.", no_args_is_help=True
)
quarantine_app = typer.Typer(help="Rows that could not be loaded.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
    app.add_typer(org_app, name="org")
    app.add_typer(dataset_app, name="dataset")
    app.command(
        "ingest",
        help="Load an extract (CSV, Excel .xlsx, Parquet or JSON Lines) into a dataset as one batch.",
    )(ingest_command)
    app.command(
        "ingest-manifest",
        help="Load every extract listed in a `joinedup synth` manifest.json (orgs, datasets, files).",
    )(ingest_manifest_command)
    app.add_typer(dq_app, name="dq")
    app.add_typer(challenge_app, name="challenge")
    app.add_typer(quarantine_app, name="quarantine")


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def inert(value: Any, limit: int = 120) -> Text:
    """A partner-supplied value as plain text: no markup, control characters shown escaped."""
    if value is None:
        return Text("")
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    shown = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
    return Text(shown)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


# --- organisations and datasets ---------------------------------------------------------


@org_app.command("add", help="Register an organisation (a partner).")
def org_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short code, e.g. FEN-CSC."),
    name: str = typer.Option(..., "--name", help="Full name of the organisation."),
    kind: str | None = typer.Option(None, "--kind", help="Kind: council, health, education, ..."),
) -> None:
    from joinedup.records.organisations import add_organisation

    info = add_organisation(state(ctx).engine(), code, name, kind=kind)
    console.print(Text.assemble("Added organisation ", (info.code, "bold"), " (", info.name, ")."))


@org_app.command("list", help="List the organisations.")
def org_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.organisations import list_organisations

    orgs = list_organisations(state(ctx).engine())
    if as_json:
        print_json([o.__dict__ for o in orgs])
        return
    table = Table(title="Organisations")
    for col in ("Code", "Name", "Kind"):
        table.add_column(col)
    for o in orgs:
        table.add_row(inert(o.code), inert(o.name), inert(o.kind))
    console.print(table)


@dataset_app.command("add", help="Register a dataset of an organisation, with its mapping file.")
def dataset_add(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organisation code."),
    dataset: str = typer.Argument(..., help="Dataset code, e.g. csc_cases."),
    mapping: Path = typer.Option(..., "--mapping", help="Mapping file (YAML, docs/mappings.md)."),
    name: str | None = typer.Option(None, "--name", help="Human-readable dataset name."),
    replace: bool = typer.Option(
        False, "--replace", help="Put a new mapping in force for an existing dataset."
    ),
) -> None:
    from joinedup.records.datasets import add_dataset
    from joinedup.records.mapping_file import read_mapping_file

    text, _ = read_mapping_file(mapping)
    info = add_dataset(state(ctx).engine(), org, dataset, text, name=name, replace=replace)
    console.print(
        Text.assemble(
            "Registered dataset ",
            (f"{info.organisation}/{info.code}", "bold"),
            f" (core record format v{info.format_version}).",
        )
    )


@dataset_app.command("list", help="List datasets, with their record and batch counts.")
def dataset_list(
    ctx: typer.Context,
    org: str | None = typer.Argument(None, help="Only this organisation's datasets."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.datasets import list_datasets

    items = list_datasets(state(ctx).engine(), org)
    if as_json:
        print_json([d.__dict__ for d in items])
        return
    table = Table(title="Datasets")
    for col in ("Organisation", "Dataset", "Name", "Format", "Mapping", "Records", "Batches"):
        table.add_column(col)
    for d in items:
        table.add_row(
            inert(d.organisation),
            inert(d.code),
            inert(d.name),
            f"v{d.format_version}",
            "yes" if d.has_mapping else "core format",
            f"{d.records:,}",
            f"{d.batches:,}",
        )
    console.print(table)


# --- ingest -----------------------------------------------------------------------------


def _print_report(report: Any) -> None:
    status_style = {"done": "green", "unchanged": "cyan", "failed": "red"}.get(report.status, "")
    table = Table(
        title=Text.assemble(
            "Batch ",
            str(report.batch_id),
            ": ",
            (f"{report.organisation}/{report.dataset}", "bold"),
            " ← ",
            report.file_name,
        ),
        show_header=False,
    )
    table.add_row("Status", Text(report.status, style=status_style))
    table.add_row("Read as", f"{report.source_format or '?'} ({report.encoding or 'typed'})")
    table.add_row("Snapshot", report.snapshot)
    table.add_row("Rows in", f"{report.rows_in:,}")
    table.add_row("Loaded", f"{report.rows_loaded:,}")
    table.add_row("Quarantined", f"{report.rows_quarantined:,}")
    table.add_row(
        "Records",
        f"{report.rows_new:,} new, {report.rows_changed:,} changed, "
        f"{report.rows_reopened:,} reopened, {report.rows_unchanged:,} unchanged, "
        f"{report.rows_closed:,} closed",
    )
    table.add_row("Time", f"{report.seconds:.1f} s")
    console.print(table)
    for reason, count in sorted(report.quarantine_reasons.items(), key=lambda kv: -kv[1]):
        console.print(Text.assemble(("Quarantined ", "yellow"), f"{count:,}: ", reason))
    for warning in report.warnings:
        console.print(Text.assemble(("Warning: ", "yellow"), warning))
    problems = [
        (f["field"], code, entry["count"])
        for f in report.quality
        for code, entry in (f.get("problems") or {}).items()
    ]
    if problems:
        dq = Table(title="Values flagged (kept as received, left out of matching)")
        for col in ("Field", "Problem", "Rows"):
            dq.add_column(col)
        for field_name, code, count in sorted(problems, key=lambda p: -p[2])[:15]:
            dq.add_row(field_name, code, f"{count:,}")
        console.print(dq)
    if report.message:
        err_console.print(Text.assemble(("Error: ", "bold red"), report.message))


def ingest_command(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organisation code."),
    dataset: str = typer.Argument(..., help="Dataset code (registered when new)."),
    file: Path = typer.Argument(..., help="The extract: .csv, .xlsx, .parquet or .jsonl."),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        help="Mapping file (YAML); registers the dataset when new, else becomes its mapping.",
    ),
    snapshot: str = typer.Option(
        "delta",
        "--snapshot",
        help="full: records missing from the file are closed; delta: only adds and changes.",
    ),
    actor: str | None = typer.Option(None, "--actor", help="Who loads it (default: cli:USER)."),
    as_json: bool = typer.Option(False, "--json", help="Print the batch report as JSON."),
) -> None:
    """Exit code 0 when at least one row was loaded, 3 when nothing could be."""
    from joinedup.records.ingest import ingest_file
    from joinedup.records.mapping_file import read_mapping_file

    text = read_mapping_file(mapping)[0] if mapping is not None else None
    engine = state(ctx).engine()
    with progress_bar(f"Loading {file.name}") as advance:
        report = ingest_file(
            engine,
            org,
            dataset,
            file,
            mapping=text,
            snapshot=snapshot,
            actor=actor or default_actor(),
            progress=advance,
        )
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        sys.exit(int(ExitCode.INVALID_INPUT))


def ingest_manifest_command(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Folder written by `joinedup synth`."),
    snapshot: str = typer.Option("full", "--snapshot", help="full or delta (see `ingest`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the batch reports as JSON."),
) -> None:
    from joinedup.records.manifest import load_manifest

    engine = state(ctx).engine()
    with progress_bar("Loading extracts") as advance:
        reports = load_manifest(
            engine,
            directory,
            snapshot=snapshot,
            actor=default_actor(),
            progress=lambda label, n: advance(n, description=f"Loading {label}"),
        )
    if as_json:
        print_json([r.as_dict() for r in reports])
        return
    table = Table(title="Extracts loaded")
    for col in ("Organisation", "Dataset", "Status", "Rows in", "Loaded", "Quarantined", "Seconds"):
        table.add_column(col)
    for r in reports:
        table.add_row(
            inert(r.organisation),
            inert(r.dataset),
            r.status,
            f"{r.rows_in:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{r.seconds:.1f}",
        )
    console.print(table)
    if not any(r.ok for r in reports):
        sys.exit(int(ExitCode.INVALID_INPUT))


# --- data quality -----------------------------------------------------------------------


@dq_app.command("report", help="Data-quality report of a dataset: fields, problems, trend.")
def dq_report(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organisation code."),
    dataset: str = typer.Argument(..., help="Dataset code."),
    batch: int | None = typer.Option(
        None, "--batch", help="Report on this batch (default: latest)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.quality import dataset_quality

    report = dataset_quality(state(ctx).engine(), org, dataset, batch_id=batch)
    if as_json:
        print_json(report)
        return
    rec = report["records"]
    console.print(
        Text.assemble(
            ("Data quality of ", "bold"),
            (f"{report['organisation']}/{report['dataset']}", "bold"),
            f"  ({rec['active']:,} active records, {rec['closed']:,} closed, "
            f"{rec['active_with_problems']:,} active with a flagged value)",
        )
    )
    b = report["batch"]
    if b is None:
        console.print("No batch has loaded rows yet.")
        return
    fields = Table(title=f"Batch {b['id']} ({b['file_name']}, {b['rows_loaded']:,} rows loaded)")
    for col in ("Field", "Complete", "Valid", "Unique", "Problems"):
        fields.add_column(col)
    for f in report["fields"]:
        problems = ", ".join(f"{code} {e['count']:,}" for code, e in (f["problems"] or {}).items())
        fields.add_row(
            f["field"],
            _pct(f["completeness"]),
            _pct(f["validity"]),
            _pct(f["uniqueness"]),
            problems,
        )
    console.print(fields)
    if report["top_problems"]:
        top = Table(title="Most common problems")
        for col in ("Field", "Problem", "Rows", "Rate", "Examples (row: value)"):
            top.add_column(col)
        for p in report["top_problems"][:10]:
            examples = Text("; ").join(
                Text.assemble(f"{e['row']}: ", inert(e["value"], 40)) for e in p["examples"]
            )
            top.add_row(p["field"], p["description"], f"{p['count']:,}", _pct(p["rate"]), examples)
        console.print(top)
    trend = Table(title="Trend across batches")
    for col in (
        "Batch",
        "When",
        "Status",
        "In",
        "Loaded",
        "Quarantined",
        "New",
        "Changed",
        "Closed",
        "Complete",
        "Valid",
    ):
        trend.add_column(col)
    for t in report["trend"]:
        trend.add_row(
            str(t["id"]),
            (t["started_at"] or "")[:16].replace("T", " "),
            t["status"],
            f"{t['rows_in']:,}",
            f"{t['rows_loaded']:,}",
            f"{t['rows_quarantined']:,}",
            f"{t['rows_new']:,}",
            f"{t['rows_changed']:,}",
            f"{t['rows_closed']:,}",
            _pct(t["completeness"]),
            _pct(t["validity"]),
        )
    console.print(trend)


# --- quarantine -------------------------------------------------------------------------


@quarantine_app.command("list", help="Rows of a batch that could not be loaded, with the reason.")
def quarantine_list(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organisation code."),
    dataset: str = typer.Argument(..., help="Dataset code."),
    batch: int | None = typer.Option(None, "--batch", help="Batch id (default: the latest)."),
    csv_file: Path | None = typer.Option(
        None, "--csv", help="Write the rows to this CSV file (formula-safe) instead."
    ),
    limit: int = typer.Option(1000, "--limit", help="At most this many rows (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.quarantine import list_quarantine
    from joinedup.records.safe_csv import write_safe_csv

    rows = list_quarantine(state(ctx).engine(), org, dataset, batch_id=batch, limit=limit or None)
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as f:
            n = write_safe_csv(
                f,
                ["batch", "file", "line", "local_id", "reason", "raw"],
                (
                    [r.batch_id, r.file_name, r.row_number, r.local_id, r.reason, r.raw]
                    for r in rows
                ),
            )
        console.print(f"Wrote {n:,} quarantined row(s) to {csv_file}.")
        return
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table(title=f"Quarantined rows of {org}/{dataset}")
    for col in ("Batch", "Line", "Local id", "Reason", "Raw content"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.batch_id), str(r.row_number), inert(r.local_id), inert(r.reason), inert(r.raw, 80)
        )
    console.print(table)


# --- challenges -------------------------------------------------------------------------


def _print_challenges(items: list[Any]) -> None:
    table = Table(title="Data challenges")
    for col in (
        "Id",
        "Record",
        "Field",
        "Current",
        "Proposed",
        "By",
        "Status",
        "Reason / decision",
    ):
        table.add_column(col)
    for c in items:
        table.add_row(
            str(c.id),
            inert(f"{c.organisation}/{c.dataset}/{c.local_id}"),
            c.field,
            inert(c.current_value, 40),
            inert(c.proposed_value, 40),
            inert(c.raised_by_organisation),
            c.status,
            inert(c.decision_reason or c.reason, 60),
        )
    console.print(table)


@challenge_app.command("add", help="Challenge one value of another organisation's record.")
def challenge_add(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organisation that holds the record."),
    dataset: str = typer.Argument(..., help="Its dataset."),
    local_id: str = typer.Argument(..., help="The record's local id."),
    field: str = typer.Argument(..., help="Core field, e.g. date_of_birth."),
    value: str = typer.Argument(..., help="The value proposed instead."),
    reason: str = typer.Option(..., "--reason", help="Why the value is wrong."),
    by: str = typer.Option(..., "--by", help="Code of the organisation raising the challenge."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.challenges import raise_challenge

    info = raise_challenge(
        state(ctx).engine(),
        org,
        dataset,
        local_id,
        field,
        value,
        reason,
        by_org=by,
        actor=default_actor(),
    )
    if as_json:
        print_json(info.as_dict())
        return
    console.print(
        Text.assemble(
            "Challenge ", (str(info.id), "bold"), f" raised; {info.organisation} decides."
        )
    )


@challenge_app.command("list", help="List data challenges.")
def challenge_list(
    ctx: typer.Context,
    org: str | None = typer.Option(
        None, "--org", help="Challenges of this organisation's records."
    ),
    dataset: str | None = typer.Option(None, "--dataset", help="Only this dataset (with --org)."),
    status: str | None = typer.Option(None, "--status", help="open, accepted or rejected."),
    raised_by: str | None = typer.Option(None, "--raised-by", help="Raised by this organisation."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.records.challenges import list_challenges

    items = list_challenges(
        state(ctx).engine(), org=org, dataset=dataset, status=status, raised_by=raised_by
    )
    if as_json:
        print_json([c.as_dict() for c in items])
        return
    _print_challenges(items)


@challenge_app.command(
    "accept", help="Accept a challenge: the value is corrected, with provenance."
)
def challenge_accept(
    ctx: typer.Context,
    challenge_id: int = typer.Argument(..., help="Challenge id."),
    by: str = typer.Option(..., "--by", help="Code of the organisation that holds the record."),
    note: str | None = typer.Option(None, "--note", help="Optional note on the decision."),
) -> None:
    from joinedup.records.challenges import accept_challenge

    info = accept_challenge(
        state(ctx).engine(), challenge_id, by_org=by, actor=default_actor(), note=note
    )
    console.print(
        Text.assemble(
            f"Challenge {info.id} accepted: {info.field} corrected in version {info.corrected_version} of ",
            inert(f"{info.organisation}/{info.dataset}/{info.local_id}"),
            ".",
        )
    )


@challenge_app.command("reject", help="Reject a challenge, with a reason.")
def challenge_reject(
    ctx: typer.Context,
    challenge_id: int = typer.Argument(..., help="Challenge id."),
    by: str = typer.Option(..., "--by", help="Code of the organisation that holds the record."),
    reason: str = typer.Option(..., "--reason", help="Why the value stands."),
) -> None:
    from joinedup.records.challenges import reject_challenge

    info = reject_challenge(
        state(ctx).engine(), challenge_id, by_org=by, reason=reason, actor=default_actor()
    )
    console.print(f"Challenge {info.id} rejected.")
