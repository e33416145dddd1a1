"""CLI commands of online identity (see docs/cli.md and docs/online-identity.md): match and
register one record, verify a person number, the clerical review queue, and manual merge
and split of persons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from joinedup.cli.common import console, print_json, state
from joinedup.errors import InvalidInput

review_app = typer.Typer(
    help="The clerical review queue: uncertain pairs, decided by a person.", no_args_is_help=True
)

RECORD_HELP = (
    "The record as JSON (core format fields: given_name, family_name, date_of_birth, "
    "postcode, nhs_number, ...), or @FILE, or - for standard input."
)


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """An existing command group of the root app (another capability's), or a new one."""
    for group in app.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
    app.command("match", help="Find the persons one record may belong to (no change).")(
        match_command
    )
    app.command(
        "register", help="Register one record: link it, hold it for review, or mint a number."
    )(register_command)
    app.command("verify", help="Check a person number against a name and date of birth.")(
        verify_command
    )
    app.add_typer(review_app, name="review")
    person = _group(app, "person", "Look up a person by number.")
    person.command("merge", help="Merge the second person into the first, with a reason.")(
        merge_command
    )
    person.command("split", help="Move records of a person to a new person, with a reason.")(
        split_command
    )


def _read_record(value: str) -> dict[str, Any]:
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            raise InvalidInput(f"No file {path}")
        text = path.read_text(encoding="utf-8")
    else:
        text = value
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The record is not valid JSON: {exc.msg} (at {exc.pos}).") from exc
    if not isinstance(record, dict):
        raise InvalidInput("The record is a JSON object of core format fields.")
    return record


def match_command(
    ctx: typer.Context,
    record: str = typer.Option(..., "--json", help=RECORD_HELP),
    limit: int = typer.Option(5, "--limit", help="At most this many candidate persons."),
    explain: bool = typer.Option(
        False, "--explain", help="Also print the per-comparison weights of the best candidate."
    ),
    as_json: bool = typer.Option(False, "--output-json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.online.matcher import match_record

    fields = _read_record(record)
    fields.pop("organisation", None), fields.pop("dataset", None), fields.pop("local_id", None)
    result = match_record(state(ctx).engine(), fields, max(1, min(limit, 100)))
    if as_json:
        print_json(result.as_dict())
        return
    console.print(f"Decision: [bold]{result.decision}[/] (model v{result.model_version})")
    table = Table("person", "status", "probability", "weight", "record")
    for c in result.candidates:
        table.add_row(
            c.person_number or "-",
            c.person_status or "-",
            f"{c.match_probability:.6f}",
            f"{c.match_weight:.2f}",
            str(c.record_id),
        )
    console.print(table)
    if explain and result.candidates:
        _print_contributions(list(result.candidates[0].contributions))


def _print_contributions(contributions: list[dict[str, Any]]) -> None:
    table = Table("comparison", "level", "weight")
    for c in contributions:
        table.add_row(str(c["comparison"]), str(c["level"]), f"{float(c['weight']):+.2f}")
    console.print(table)


def register_command(
    ctx: typer.Context,
    record: str = typer.Option(
        ..., "--json", help=RECORD_HELP + " Must also give organisation, dataset and local_id."
    ),
    actor: str | None = typer.Option(None, "--by", help="Who registers (kept in history)."),
    as_json: bool = typer.Option(False, "--output-json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.register import register as register_record

    result = register_record(state(ctx).engine(), _read_record(record), actor=actor)
    if as_json:
        print_json(result.as_dict())
        return
    words = {
        "linked": "linked to",
        "pending": "held for review on provisional number",
        "created": "new person",
        "existing": "already registered as",
    }[result.outcome]
    p = f" (p={result.match_probability:.4f})" if result.match_probability is not None else ""
    console.print(f"{result.outcome}: {words} [bold]{result.person_number}[/]{p}")
    if result.review_item_ids:
        console.print(f"review items: {', '.join(map(str, result.review_item_ids))}")


def verify_command(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="The person number to verify."),
    given: str = typer.Option(..., "--given", help="Given name."),
    family: str = typer.Option(..., "--family", help="Family name."),
    dob: str = typer.Option(..., "--dob", help="Date of birth, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.verify import verify

    result = verify(state(ctx).engine(), number, given, family, dob)
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(f"{result.result}: {result.reason}")
    if result.result != "match":
        raise typer.Exit(1)


def _print_item(view: Any) -> None:
    console.print(
        f"Item [bold]{view.id}[/] ({view.kind}, {view.status}): probability "
        f"{view.match_probability:.4f}, weight {view.match_weight:.2f}"
    )
    if view.reason:
        console.print(view.reason)
    if view.note:
        console.print(f"note: {view.note} ({view.decided_by or 'unknown'})")
    table = Table("field", "left", "right")
    keys = [k for k in view.left if k != "record_id"]
    for key in keys:
        a, b = view.left.get(key), view.right.get(key)
        if a is None and b is None:
            continue
        table.add_row(key, "" if a is None else str(a), "" if b is None else str(b))
    console.print(table)
    if view.contributions:
        _print_contributions(view.contributions)


@review_app.command("next", help="Show the next open item: both records side by side.")
def review_next(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.review import next_item

    view = next_item(state(ctx).engine())
    if as_json:
        print_json(view.as_dict() if view else None)
    elif view is None:
        console.print("The review queue is empty.")
    else:
        _print_item(view)


@review_app.command("show", help="Show one item by id.")
def review_show(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="Review item id."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.review import show_item

    view = show_item(state(ctx).engine(), item_id)
    if as_json:
        print_json(view.as_dict())
    else:
        _print_item(view)


@review_app.command("list", help="List review items (open by default).")
def review_list(
    ctx: typer.Context,
    status: str = typer.Option("open", "--status", help="open, decided or superseded."),
    limit: int = typer.Option(50, "--limit", help="At most this many items."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.identity.review import list_items

    items = list_items(state(ctx).engine(), status, limit)
    if as_json:
        print_json([i.as_dict() for i in items])
        return
    table = Table("id", "kind", "probability", "left", "right", "decision")
    for i in items:
        table.add_row(
            str(i.id),
            i.kind,
            f"{i.match_probability:.4f}",
            f"{i.left['record']} {i.left.get('given_name') or ''} {i.left.get('family_name') or ''}",
            f"{i.right['record']} {i.right.get('given_name') or ''} "
            f"{i.right.get('family_name') or ''}",
            i.decision or "",
        )
    console.print(table)


@review_app.command("decide", help="Decide an item: same person, not the same, or unsure.")
def review_decide(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help="Review item id."),
    decision: str = typer.Argument(..., help="same, different or unsure."),
    note: str | None = typer.Option(None, "--note", help="Why (required when unsure)."),
    actor: str | None = typer.Option(None, "--by", help="Who decided."),
) -> None:
    from joinedup.identity.review import decide

    view = decide(state(ctx).engine(), item_id, decision, note=note, actor=actor)
    console.print(
        f"Item {view.id}: {view.decision}; {view.left['record']} is now "
        f"{view.left['person_number']}, {view.right['record']} is {view.right['person_number']}."
    )


def merge_command(
    ctx: typer.Context,
    keep: str = typer.Argument(..., help="Person number that stays."),
    absorb: str = typer.Argument(..., help="Person number merged into it (redirects)."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in both histories)."),
    actor: str | None = typer.Option(None, "--by", help="Who merges."),
) -> None:
    from joinedup.identity.merge_split import merge_persons

    change = merge_persons(state(ctx).engine(), keep, absorb, reason=reason, actor=actor)
    console.print(
        f"{change.other_number} merged into {change.person_number} "
        f"({len(change.records_moved)} records moved)."
    )


def split_command(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="Person number to split."),
    records: list[str] = typer.Option(
        ..., "--record", help="ORGANISATION/DATASET/LOCAL_ID (or id) to move; repeat."
    ),
    reason: str = typer.Option(..., "--reason", help="Why (kept in both histories)."),
    actor: str | None = typer.Option(None, "--by", help="Who splits."),
) -> None:
    from joinedup.identity.merge_split import split_person

    change = split_person(state(ctx).engine(), number, records, reason=reason, actor=actor)
    console.print(
        f"{len(change.records_moved)} records of {change.person_number} moved to new person "
        f"{change.other_number}."
    )
