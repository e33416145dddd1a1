"""CSV export that spreadsheets cannot turn into formulas (CSV/formula injection).

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as
a formula by Excel, LibreOffice or Google Sheets when the file is opened (`=cmd|' /C calc'!A0`).
Such text gets a leading apostrophe, which spreadsheets show as text and hide. Numbers are
written as they are. Every capability that exports CSV uses this module.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell value made inert: formula-looking text is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class SafeCsvWriter:
    """`csv.writer` whose every cell passes through `neutralise`."""

    def __init__(self, stream: TextIO, **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_safe_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and rows safely; returns the number of data rows written."""
    writer = SafeCsvWriter(stream)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n
