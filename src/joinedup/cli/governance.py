"""CLI commands of the governance capability (see docs/cli.md)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
