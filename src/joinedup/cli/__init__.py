"""The `joinedup` command line (Typer + Rich).

Each capability keeps its commands in its own module here (`cli/records.py`,
`cli/identity.py`, ...) with a `register(app)` function; this module builds the app, holds the
global options and turns `JoinedupError`s into a message and an exit code (docs/cli.md).
Commands hold no business rules: they parse arguments, call one service function, print.
"""

from __future__ import annotations

import importlib
import sys

import typer

from joinedup.cli.common import CliState, console, err_console
from joinedup.errors import JoinedupError

app = typer.Typer(
    name="joinedup",
    help="joinedup: link partner records, give every person one stable number, share safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)

# Command modules, in the order their commands appear in `joinedup --help`.
COMMAND_MODULES = [
    "foundation",
    "synth",
    "records",
    "identity",
    "online",
    "governance",
    "serve",
]


@app.callback()
def _root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="JOINEDUP_DATABASE_URL",
        help="SQLAlchemy URL of the store (default: a SQLite file under ./var/).",
        show_default=False,
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", help="Logging level: DEBUG, INFO, WARNING, ERROR."
    ),
    log_json: bool = typer.Option(False, "--log-json", help="Write logs to stderr as JSON lines."),
) -> None:
    ctx.obj = CliState.create(database_url=database_url, log_level=log_level, log_json=log_json)


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"joinedup.cli.{_name}")
    _module.register(app)


def main() -> None:
    """Entry point of the `joinedup` script."""
    try:
        app()
    except JoinedupError as exc:
        err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[dim]Hint:[/] {exc.hint}", highlight=False)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        err_console.print("[yellow]Interrupted.[/]")
        sys.exit(130)


__all__ = ["app", "console", "main"]

if __name__ == "__main__":  # pragma: no cover
    main()
