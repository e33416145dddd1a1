"""CLI commands of the identity capability (see docs/cli.md): person numbers, the linkage
model, batch linking, evaluation, the links export and person look-ups."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from joinedup.cli.common import console, print_json, progress_bar, state

id_app = typer.Typer(help="Person numbers: issue new ones, check one.", no_args_is_help=True)
link_app = typer.Typer(
    help="Record linkage: train the model, link all records, evaluate, decide pairs.",
    no_args_is_help=True,
)
person_app = typer.Typer(help="Look up a person by number.", no_args_is_help=True)


def _export_group(app: typer.Typer) -> typer.Typer:
    """The shared `export` group (another capability may have created it already)."""
    for group in app.registered_groups:
        if group.name == "export" and group.typer_instance is not None:
            return group.typer_instance
    export_app = typer.Typer(help="Export data to files.", no_args_is_help=True)
    app.add_typer(export_app, name="export")
    return export_app


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
    app.add_typer(id_app, name="id")
    app.add_typer(link_app, name="link")
    app.add_typer(person_app, name="person")
    _export_group(app).command(
        "links", help="Write every current record with its person number to a CSV file."
    )(export_links_command)


@id_app.command("new", help="Issue new person numbers (recorded, never reused).")
def id_new(
    ctx: typer.Context,
    count: int = typer.Option(1, "--count", "-n", help="How many numbers to issue."),
) -> None:
    from joinedup.identity.numbers import issue_numbers

    for number in issue_numbers(state(ctx).engine(), count):
        console.print(number)


@id_app.command("validate", help="Check a person number: format, check digit, issued here.")
def id_validate(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="The 10-digit person number."),
    offline: bool = typer.Option(
        False, "--offline", help="Check format and check digit only, without the store."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.numbers import validate_number

    result = validate_number(number, None if offline else state(ctx).engine())
    if as_json:
        print_json(result.__dict__)
    elif result.valid:
        known = {True: ", issued here", False: ", not issued here", None: ""}[result.known]
        console.print(f"{result.number}: valid{known}")
    else:
        console.print(f"{result.number}: invalid: {result.reason}")
    if not result.valid:
        raise typer.Exit(1)


@link_app.command("train", help="Train the linkage model on the store's records (new version).")
def link_train(
    ctx: typer.Context,
    u_max_pairs: float = typer.Option(
        5e6, "--u-max-pairs", help="Random pairs sampled to estimate u probabilities."
    ),
    em_max_pairs: float = typer.Option(
        2e6, "--em-max-pairs", help="Most blocked pairs used by expectation maximisation."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed of the u sampling."),
    report: Path | None = typer.Option(
        None, "--report", help="Also write the model's HTML report to this file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.model import load_model, train_model
    from joinedup.identity.splink_engine import TrainingOptions

    engine = state(ctx).engine()
    options = TrainingOptions(u_max_pairs=u_max_pairs, em_max_pairs=em_max_pairs, seed=seed)
    with progress_bar("Training") as advance:
        summary = train_model(engine, options, lambda msg: advance(0, description=msg))
    if report:
        model = load_model(engine, summary.version)
        report.write_bytes(model.report_html or b"")
    if as_json:
        print_json(summary.__dict__)
        return
    console.print(
        f"Model version [bold]{summary.version}[/] trained on {summary.records_used:,} records "
        f"in {summary.seconds:.1f}s (prior {summary.prior:.3g})."
    )
    table = Table("comparison", "level", "m", "u", "weight")
    for row in summary.levels:
        table.add_row(
            row["comparison"],
            row["level"],
            f"{row['m']:.4g}" if row["m"] is not None else "-",
            f"{row['u']:.4g}" if row["u"] is not None else "-",
            f"{row['weight']:.2f}" if row["weight"] is not None else "-",
        )
    console.print(table)


@link_app.command(
    "run",
    help="Link the records: only those new, changed or closed since the last run "
    "(incremental), or all of them with --full. The first run, and the first after a new "
    "model, is full.",
)
def link_run(
    ctx: typer.Context,
    full: bool = typer.Option(
        False, "--full", help="Re-link every record: score, cluster, keep numbers stable."
    ),
    model_version: int | None = typer.Option(
        None, "--model-version", help="Model version to use (default: the latest; implies --full)."
    ),
    upper: float | None = typer.Option(
        None, "--upper", help="Automatic link at or above this probability (default: config)."
    ),
    lower: float | None = typer.Option(
        None, "--lower", help="Review at or above this probability (default: config)."
    ),
    guard: float | None = typer.Option(
        None, "--guard", help="Least direct probability between two records of one person."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from dataclasses import asdict

    from joinedup.identity.batch_link import RunSummary, thresholds_from_settings
    from joinedup.identity.incremental import link

    engine = state(ctx).engine()
    limits = thresholds_from_settings(upper, lower, guard)
    with progress_bar("Linking") as advance:
        summary = link(
            engine,
            full=True if full else None,
            model_version=model_version,
            thresholds=limits,
            progress=lambda msg: advance(0, description=msg),
        )
    if as_json:
        data = asdict(summary)
        data.setdefault("kind", "full")
        print_json(data)
        return
    if isinstance(summary, RunSummary):
        console.print(
            f"Run {summary.run_id} (full, model v{summary.model_version}): "
            f"{summary.records:,} records, {summary.pairs_scored:,} pairs scored, "
            f"{summary.clusters:,} persons in {summary.seconds:.1f}s."
        )
        review = f"open review items {summary.review_items_open:,}"
    else:
        console.print(
            f"Run {summary.run_id} (incremental, model v{summary.model_version}): "
            f"{summary.records_changed:,} records new or changed, {summary.records_closed:,} "
            f"closed; {summary.region_records:,} records re-clustered, "
            f"{summary.pairs_scored:,} pairs scored in {summary.seconds:.1f}s."
        )
        review = f"review items opened {summary.review_items_opened:,}"
    console.print(
        f"persons kept {summary.persons_kept:,}, created {summary.persons_created:,} "
        f"(split {summary.persons_split:,}), merged {summary.persons_merged:,}, "
        f"retired {summary.persons_retired:,}; links changed {summary.links_changed:,}; "
        f"{review}; chains cut {summary.chains_cut:,}."
    )


@link_app.command("evaluate", help="Score the current links against a ground-truth CSV.")
def link_evaluate(
    ctx: typer.Context,
    truth: Path = typer.Option(
        ..., "--truth", help="CSV with organisation,dataset,local_id,person_key."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.evaluation import evaluate

    result = evaluate(state(ctx).engine(), truth)
    if as_json:
        print_json(result.as_dict())
        return
    table = Table("metric", "value")
    for key, value in result.as_dict().items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else f"{value:,}")
    console.print(table)


@link_app.command("decide", help="Record that two records are (not) the same person.")
def link_decide(
    ctx: typer.Context,
    record_a: str = typer.Argument(..., help="ORGANISATION/DATASET/LOCAL_ID or record id."),
    record_b: str = typer.Argument(..., help="ORGANISATION/DATASET/LOCAL_ID or record id."),
    same: bool = typer.Option(
        ..., "--same/--different", help="Same person (must-link) or different (cannot-link)."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept with the decision)."),
    actor: str | None = typer.Option(None, "--by", help="Who decided."),
) -> None:
    from joinedup.identity.constraints import add_constraint

    info = add_constraint(
        state(ctx).engine(),
        "must_link" if same else "cannot_link",
        record_a,
        record_b,
        reason=reason,
        actor=actor,
    )
    console.print(
        f"Recorded {info.kind.replace('_', '-')} between records {info.record_id_l} and "
        f"{info.record_id_r}; every later link run honours it."
    )


def export_links_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    from joinedup.identity.export import export_links

    n = export_links(state(ctx).engine(), out)
    console.print(f"Wrote {n:,} records to {out}")


@person_app.command("show", help="Show a person: number, status, records and history.")
def person_show(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="Person number (merged numbers redirect)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.persons import show_person

    view = show_person(state(ctx).engine(), number)
    if as_json:
        print_json(view.as_dict())
        return
    if view.redirected_from:
        console.print(f"{view.redirected_from} was merged into {view.number}.")
    console.print(f"Person [bold]{view.number}[/] ({view.status}), {len(view.records)} records")
    table = Table("organisation", "dataset", "local id", "name", "date of birth", "link")
    for r in view.records:
        name = " ".join(x for x in (r["given_name"], r["family_name"]) if x)
        table.add_row(
            r["organisation"],
            r["dataset"],
            r["local_id"],
            name,
            r["date_of_birth"] or "",
            f"{r['match_probability']:.3f}",
        )
    console.print(table)
    _print_history(view.history)


@person_app.command("history", help="The history of a person number (created, merged, split).")
def person_history_command(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="Person number."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.persons import person_history

    events = person_history(state(ctx).engine(), number)
    if as_json:
        print_json(events)
        return
    _print_history(events)


def _print_history(events: list[dict[str, object]]) -> None:
    table = Table("when", "event", "other person", "run", "reason")
    for e in events:
        table.add_row(
            str(e["at"])[:19],
            str(e["event"]),
            str(e["other_person"] or ""),
            str(e["run_id"] or ""),
            str(e["reason"] or ""),
        )
    console.print(table)
