"""Load a whole synthetic partnership: every extract listed in a `joinedup synth` manifest.

For each extract: add its organisation (if new), register its dataset with its mapping,
and ingest the file as a full snapshot. `make demo` and the acceptance checks use this.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from joinedup.errors import InvalidInput
from joinedup.records.ingest import BatchReport, ingest_file
from joinedup.records.organisations import add_organisation


def read_manifest(directory: Path | str) -> dict[str, Any]:
    path = Path(directory) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(
            f"{path} does not exist: give the folder `joinedup synth` wrote."
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("extracts"), list):
        raise InvalidInput(f"{path} is not a synth manifest (no 'extracts' list).")
    return manifest


def _labelled(
    progress: Callable[[str, int], None] | None, label: str
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    report = progress

    def advance(n: int) -> None:
        report(label, n)

    return advance


def load_manifest(
    engine: Engine,
    directory: Path | str,
    *,
    snapshot: str = "full",
    actor: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[BatchReport]:
    """Ingest every extract of the manifest in `directory`; returns one report per extract.

    `progress(label, rows)` is called as rows are read (label: "ORG/dataset")."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    reports = []
    for item in manifest["extracts"]:
        try:
            org, dataset, file = item["organisation"], item["dataset"], item["file"]
        except KeyError as exc:
            raise InvalidInput(f"A manifest extract lacks {exc.args[0]!r}.") from None
        add_organisation(
            engine,
            org,
            item.get("organisation_name") or org,
            kind=item.get("organisation_kind"),
            exist_ok=True,
        )
        mapping = None
        if item.get("mapping"):
            mapping = (directory / item["mapping"]).read_text(encoding="utf-8")
        label = f"{org}/{dataset}"
        report = ingest_file(
            engine,
            org,
            dataset,
            directory / file,
            mapping=mapping,
            snapshot=snapshot,
            actor=actor,
            progress=_labelled(progress, label),
        )
        reports.append(report)
    return reports
