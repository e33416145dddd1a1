"""The vendor stylesheet is served without GOV.UK's reserved font and crown."""

from __future__ import annotations

from pathlib import Path

import pytest

from joinedup.web.assets import SYSTEM_FONT_STACK, build, missing_assets, strip_reserved_branding

SAMPLE = (
    '@font-face{font-family:"GDS Transport";src:url(/assets/fonts/light.woff2) format("woff2")}'
    ".govuk-body{font-family:GDS Transport,arial,sans-serif}"
    ".govuk-footer__copyright-logo{background-image:url(/assets/images/govuk-crest.svg)}"
    ".govuk-link{color:#1d70b8}\n/*# sourceMappingURL=govuk-frontend.min.css.map */"
)


def test_font_faces_crest_and_source_map_are_removed() -> None:
    css = strip_reserved_branding(SAMPLE)
    assert "GDS Transport" not in css
    assert "@font-face" not in css and "/assets/fonts/" not in css
    assert "govuk-crest" not in css and "sourceMappingURL" not in css
    assert f".govuk-body{{font-family:{SYSTEM_FONT_STACK}}}" in css
    assert ".govuk-link{color:#1d70b8}" in css


def test_build_copies_the_vendor_files(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    for rel, text in [
        ("govuk-frontend/dist/govuk/govuk-frontend.min.css", SAMPLE),
        ("govuk-frontend/dist/govuk/govuk-frontend.min.js", "export{initAll};"),
        ("htmx.org/dist/htmx.min.js", "var htmx={};\n//# sourceMappingURL=htmx.min.js.map"),
    ]:
        (modules / rel).parent.mkdir(parents=True, exist_ok=True)
        (modules / rel).write_text(text)
    dest = tmp_path / "vendor"
    assert len(missing_assets(dest)) == 3
    written = build(modules, dest)
    assert sorted(p.name for p in written) == [
        "govuk-frontend.min.css",
        "govuk-frontend.min.js",
        "htmx.min.js",
    ]
    assert missing_assets(dest) == []
    assert "GDS Transport" not in (dest / "govuk-frontend.min.css").read_text()
    assert (dest / "htmx.min.js").read_text().strip() == "var htmx={};"


def test_build_names_what_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm ci"):
        build(tmp_path / "node_modules", tmp_path / "vendor")
