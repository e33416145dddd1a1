"""Read mapping files (YAML) into `MappingSpec`s, with errors a person can act on."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from joinedup.domain.mapping_spec import MappingError, MappingSpec, parse_mapping
from joinedup.errors import InvalidInput


def parse_mapping_text(text: str, *, origin: str = "mapping") -> MappingSpec:
    """A `MappingSpec` from YAML text; `InvalidInput` names the problem and where it is."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(f"{origin} is not valid YAML{where}: {problem}") from None
    try:
        return parse_mapping(doc)
    except MappingError as exc:
        raise InvalidInput(f"{origin}: {exc}", hint="See docs/mappings.md.") from None


def read_mapping_file(path: Path | str) -> tuple[str, MappingSpec]:
    """The text and parsed mapping of a mapping file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"Mapping file {str(path)!r} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read mapping file {str(path)!r}: {exc}") from None
    return text, parse_mapping_text(text, origin=f"mapping file {path.name}")


def mapping_hash(text: str | None) -> str | None:
    """A short fingerprint of a mapping's text, recorded on each batch."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
