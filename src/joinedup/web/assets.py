"""The front-end assets the pages use, built from the npm packages by `make web-assets`.

`python -m joinedup.web.build_assets [--node-modules DIR]` copies GOV.UK Frontend's compiled CSS and
JavaScript and HTMX into `static/vendor/` (not committed). It leaves behind what GOV.UK
keeps for itself: the GDS Transport font files and their `@font-face` rules, and the crown
images; the stylesheet's font stack becomes the system font stack. Nothing is fetched from
elsewhere at run time: the pages load every script and style from `/assets/`.
"""

from __future__ import annotations

import re
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

SYSTEM_FONT_STACK = 'system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif'

# (file under node_modules, name under static/vendor)
VENDOR_FILES: list[tuple[str, str]] = [
    ("govuk-frontend/dist/govuk/govuk-frontend.min.css", "govuk-frontend.min.css"),
    ("govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk-frontend.min.js"),
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
]

_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
_GDS_FONT = re.compile(r"(?:\"GDS Transport\"|'GDS Transport'|GDS Transport)")
_CREST = re.compile(r"url\([^)]*govuk-crest[^)]*\)")
_SOURCE_MAP = re.compile(r"/[/*]# sourceMappingURL=[^\n]*")


def strip_reserved_branding(css: str) -> str:
    """GOV.UK Frontend's stylesheet without the GDS Transport font and the crown crest."""
    css = _FONT_FACE.sub("", css)
    css = css.replace("GDS Transport,arial,sans-serif", SYSTEM_FONT_STACK)
    css = _GDS_FONT.sub("system-ui", css)
    css = _CREST.sub("none", css)
    return _SOURCE_MAP.sub("", css)


def build(node_modules: Path, dest: Path = VENDOR_DIR) -> list[Path]:
    """Copy the vendor assets from `node_modules` into `dest`; return the files written."""
    missing = [src for src, _ in VENDOR_FILES if not (node_modules / src).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Not installed under {node_modules}: {', '.join(missing)} (run `npm ci` first)"
        )
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for src, name in VENDOR_FILES:
        text = (node_modules / src).read_text(encoding="utf-8")
        text = strip_reserved_branding(text) if name.endswith(".css") else _SOURCE_MAP.sub("", text)
        target = dest / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def missing_assets(dest: Path = VENDOR_DIR) -> list[str]:
    """Vendor files the pages need that have not been built."""
    return [name for _, name in VENDOR_FILES if not (dest / name).is_file()]
