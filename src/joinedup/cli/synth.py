"""CLI command `joinedup synth`: the synthetic partnership (see docs/synthetic-data.md)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
