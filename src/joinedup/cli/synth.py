"""CLI command `joinedup synth`: the synthetic partnership (see docs/synthetic-data.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from joinedup.cli.common import console, print_json, progress_bar


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
    app.command(
        "synth",
        help="Generate a synthetic partnership: nine partner extracts, mappings and truth.",
    )(synth_command)


def synth_command(
    persons: int = typer.Option(
        10_000, "--persons", "-n", min=1, help="How many people live in the locality."
    ),
    seed: int = typer.Option(
        1, "--seed", min=0, help="Random seed; the same seed gives byte-identical files."
    ),
    out: Path = typer.Option(
        Path("out"), "--out", "-o", help="Folder to write into (created when missing)."
    ),
    rate: list[str] | None = typer.Option(
        None,
        "--rate",
        metavar="NAME=VALUE",
        help="Set one error rate (repeatable), e.g. --rate typo=0.05 --rate duplicate=0.1.",
        show_default=False,
    ),
    rates_file: Path | None = typer.Option(
        None,
        "--rates-file",
        help="YAML file of error rates (NAME: VALUE); --rate options override it.",
        show_default=False,
    ),
    no_errors: bool = typer.Option(
        False, "--no-errors", help="Start from clean extracts: every error rate 0."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Write nine partner extracts about one fictional locality (about 2.6 records per
    person), each in its own layout, with a mapping file each, the ground truth (truth.csv), every injected error
    (errors.csv) and a manifest.json. Error rates: see docs/synthetic-data.md."""
    from joinedup.synth import PROGRESS_TOTAL, ErrorRates, generate

    rates = ErrorRates.none() if no_errors else ErrorRates()
    if rates_file is not None:
        rates = ErrorRates.from_yaml(rates_file, base=rates)
    if rate:
        rates = ErrorRates.parse_assignments(rate, base=rates)

    with progress_bar(f"Generating {persons:,} persons", total=PROGRESS_TOTAL) as advance:
        manifest = generate(persons=persons, seed=seed, out_dir=out, rates=rates, progress=advance)

    if as_json:
        print_json(manifest)
        return
    table = Table(title=f"Synthetic partnership: {persons:,} persons, seed {seed}, in {out}")
    for col in ("Organisation", "Dataset", "File"):
        table.add_column(col)
    table.add_column("Rows", justify="right")
    table.add_column("Persons", justify="right")
    for item in manifest["extracts"]:
        table.add_row(
            item["organisation_name"],
            item["dataset"],
            item["file"],
            f"{item['rows']:,}",
            f"{item['persons']:,}",
        )
    console.print(table)

    errors = Table(title="Injected errors (see errors.csv)")
    for col in ("Error", "Rate", "Eligible", "Applied"):
        errors.add_column(col, justify="left" if col == "Error" else "right")
    for name, counts in manifest["error_counts"].items():
        errors.add_row(
            name,
            f"{manifest['rates'][name]:g}",
            f"{counts['eligible']:,}",
            f"{counts['applied']:,}",
        )
    console.print(errors)
    files = manifest["files"]
    console.print(
        f"Also written: a .mapping.yaml per extract, {files['truth']} (ground truth), "
        f"{files['errors']}, {files['population']} (the true people), {files['geography']}, "
        "manifest.json."
    )
