"""The error rates of the synthetic extracts: what can go wrong in a partner's record, how often.

Each rate is a probability applied independently to every *eligible* record (see
`RATE_HELP` and docs/synthetic-data.md): a nickname can only replace a given name that has
one, a day/month transposition needs a day of 12 or less, an old address needs a person who
moved. Rates are set per run (`joinedup synth --rate typo=0.05`, a YAML file, or `generate(...,
rates=...)`) and written to the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from joinedup.errors import InvalidInput

RATE_HELP: dict[str, str] = {
    "typo": "a typing error (substitution, omission, doubling, transposition) in the given "
    "or the family name; per record",
    "nickname": "a common short form instead of the given name (William -> Bill); per record "
    "whose given name has one",
    "swapped_names": "given and family name swapped; per record",
    "family_name_change": "the former family name, or former and current hyphenated, instead "
    "of the current one; per record of a person whose family name changed (marriage)",
    "dob_transposed": "day and month of the date of birth swapped; per record whose day is 12 "
    "or less and differs from the month (and whose swapped date is not in the future)",
    "dob_typo": "a mistyped date of birth (a day, month or year digit off); per record",
    "missing": "a value left blank; per record and field, for each of date of birth, sex, "
    "postcode and the partner's main identifier",
    "old_address": "the previous address instead of the current one; per record of a person "
    "who moved house",
    "postcode_typo": "a mistyped postcode (a wrong unit letter or digit, or O for 0); per record",
    "identifier_typo": "a mistyped identifier (two digits swapped or one changed); per record "
    "holding the partner's main identifier",
    "duplicate": "a second record, with its own local id, for the same person; per person in "
    "the extract",
}


@dataclass(frozen=True)
class ErrorRates:
    """Probabilities of each kind of error (documented in docs/synthetic-data.md)."""

    typo: float = 0.03
    nickname: float = 0.15
    swapped_names: float = 0.01
    family_name_change: float = 0.25
    dob_transposed: float = 0.02
    dob_typo: float = 0.01
    missing: float = 0.02
    old_address: float = 0.3
    postcode_typo: float = 0.01
    identifier_typo: float = 0.005
    duplicate: float = 0.02

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"Error rate {f.name!r} must be a number, not {value!r}.")
            if not 0.0 <= float(value) <= 1.0:
                raise InvalidInput(
                    f"Error rate {f.name!r} is {value}; rates are probabilities from 0 to 1."
                )

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def none(cls) -> ErrorRates:
        """Clean extracts: every rate 0."""
        return cls(**dict.fromkeys(cls.names(), 0.0))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_overrides(self, overrides: Mapping[str, Any]) -> ErrorRates:
        """A copy with some rates replaced; unknown names are an InvalidInput."""
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise InvalidInput(
                f"Unknown error rate(s): {', '.join(unknown)}.",
                hint=f"Known rates: {', '.join(self.names())}.",
            )
        values: dict[str, float] = {}
        for key, raw in overrides.items():
            try:
                values[key] = float(raw)
            except (TypeError, ValueError):
                raise InvalidInput(f"Error rate {key!r} must be a number, not {raw!r}.") from None
        return replace(self, **values)

    @classmethod
    def parse_assignments(cls, items: list[str], base: ErrorRates | None = None) -> ErrorRates:
        """Rates from `name=value` strings (the CLI's `--rate` options)."""
        overrides: dict[str, str] = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise InvalidInput(
                    f"Cannot read the rate {item!r}.",
                    hint="Write it as NAME=VALUE, e.g. typo=0.05.",
                )
            overrides[key.strip()] = value.strip()
        return (base or cls()).with_overrides(overrides)

    @classmethod
    def from_yaml(cls, path: Path, base: ErrorRates | None = None) -> ErrorRates:
        """Rates from a YAML mapping of name: value (missing names keep their defaults)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"Cannot read the rates file {path}: {exc.strerror}.") from None
        except yaml.YAMLError as exc:
            raise InvalidInput(f"The rates file {path} is not valid YAML: {exc}.") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidInput(
                f"The rates file {path} must hold a mapping of rate names to values."
            )
        return (base or cls()).with_overrides(data)
