"""`make demo`: the hub on the embedded store with a synthetic partnership.

Each step is a service call any user could make from the CLI; this module only strings
them together and says what it made and what to try next.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from joinedup.store import create_store_engine, ensure_schema
from joinedup.synth import generate

console = Console(highlight=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("var/demo"))
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    demo_dir: Path = args.dir
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    extracts = demo_dir / "extracts"
    db_path = demo_dir / "joinedup.db"
    url = f"sqlite:///{db_path.as_posix()}"

    engine = create_store_engine(url)
    revision = ensure_schema(engine)
    console.print(f"[bold]Store[/] {url} (schema {revision})")

    manifest = generate(persons=args.persons, seed=args.seed, out_dir=extracts)
    table = Table(title=f"Synthetic partnership: {args.persons:,} persons, seed {args.seed}")
    for col in ("Organisation", "Dataset", "File", "Rows"):
        table.add_column(col)
    for item in manifest["extracts"]:
        table.add_row(item["organisation_name"], item["dataset"], item["file"], f"{item['rows']:,}")
    console.print(table)
    console.print(f"Ground truth: {extracts / 'truth.csv'}; manifest: {extracts / 'manifest.json'}")
    console.print(
        "\n[bold]Next steps[/]\n"
        f"  export JOINEDUP_DATABASE_URL={url}\n"
        "  uv run joinedup status\n"
        "  uv run joinedup --help"
    )


if __name__ == "__main__":
    main()
