"""Shared pieces of the CLI: Rich consoles, the state object and progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine

from joinedup.config import Settings, get_settings
from joinedup.logging import configure_logging

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class CliState:
    """What every command gets through `ctx.obj`: settings and a lazily opened store."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def create(cls, *, database_url: str | None, log_level: str | None, log_json: bool) -> CliState:
        settings = get_settings().model_copy()
        if database_url:
            settings.database_url = database_url
        if log_level:
            settings.log_level = log_level
        if log_json:
            settings.log_format = "json"
        configure_logging(settings.log_level, settings.log_format)
        return cls(settings=settings)

    @property
    def database_url(self) -> str:
        return self.settings.resolved_database_url()

    def engine(self) -> Engine:
        """The store's Engine, with every pending migration applied (start-up migration)."""
        if self._engine is None:
            from joinedup.store import create_store_engine, ensure_schema

            engine = create_store_engine(self.database_url)
            ensure_schema(engine)
            self._engine = engine
        return self._engine


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields `advance(n)`. Silent when stderr is not a TTY."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def advance(
            n: int = 1, *, total: int | None = None, description: str | None = None
        ) -> None:
            if total is not None:
                progress.update(task, total=total)
            if description is not None:
                progress.update(task, description=description)
            progress.advance(task, n)

        yield advance


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (for `--json` options)."""
    console.print_json(json.dumps(data, default=str))
