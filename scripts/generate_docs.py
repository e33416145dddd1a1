"""Generate the documents that are derived from code, or check that they are current.

`python scripts/generate_docs.py` rewrites them; `--check` fails (exit 1) when a checked-in
document differs from what the code now says (run by `make test`). Each generator is a
function returning the document's text; capabilities add theirs to GENERATORS.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# path relative to the repository -> "module:function" returning the document's text
GENERATORS: dict[str, str] = {
    "docs/cli.md": "joinedup.cli.docs:cli_reference",
    "docs/data-definitions.md": "joinedup.records.data_definitions:data_definitions",
    "docs/policy.md": "joinedup.governance.policy_doc:policy_reference",
}


def _load(spec: str) -> Callable[[], str]:
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a document is stale")
    args = parser.parse_args()
    stale = []
    for rel, spec in GENERATORS.items():
        path = ROOT / rel
        text = _load(spec)()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {rel}")
    if stale:
        print("Stale generated documents (run `uv run python scripts/generate_docs.py`):")
        for rel in stale:
            print(f"  {rel}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
