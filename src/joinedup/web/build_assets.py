"""`python -m joinedup.web.build_assets`: build the web UI's vendor assets (`make web-assets`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.web.assets import VENDOR_DIR, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node-modules", type=Path, default=Path("node_modules"))
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    try:
        written = build(args.node_modules, args.dest)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.name} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
