"""CLI commands that manage the store itself: `init` and `status`."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import func, select

from joinedup.cli.common import console, print_json, state


def register(app: typer.Typer) -> None:
    app.command("init", help="Create the store or bring its schema up to date (migrations).")(
        init_command
    )
    app.command("status", help="Show which store is in use, its schema revision and counts.")(
        status_command
    )


def init_command(ctx: typer.Context) -> None:
    st = state(ctx)
    from joinedup.store.engine import table_names

    engine = st.engine()
    console.print(
        f"Store ready at [bold]{engine.url.render_as_string(hide_password=True)}[/] "
        f"({len(table_names(engine))} tables, schema up to date)."
    )


def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from alembic.runtime.migration import MigrationContext

    from joinedup.store.schema.core import Dataset, Organisation
    from joinedup.store.schema.identity import Person
    from joinedup.store.schema.records import SourceRecord

    st = state(ctx)
    engine = st.engine()
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        for label, model in [
            ("organisations", Organisation),
            ("datasets", Dataset),
            ("source_records", SourceRecord),
            ("persons", Person),
        ]:
            counts[label] = conn.execute(select(func.count()).select_from(model)).scalar_one()
    info = {
        "database_url": engine.url.render_as_string(hide_password=True),
        "backend": engine.dialect.name,
        "schema_revision": revision,
        "counts": counts,
    }
    if as_json:
        print_json(info)
        return
    table = Table(title="joinedup store", show_header=False)
    table.add_row("Database", str(info["database_url"]))
    table.add_row("Backend", engine.dialect.name)
    table.add_row("Schema revision", str(revision))
    for label, n in counts.items():
        table.add_row(label.replace("_", " ").capitalize(), f"{n:,}")
    console.print(table)
