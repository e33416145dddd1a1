"""File writers for the synthetic extracts, each byte-identical for identical input.

CSV and JSON Lines are deterministic by nature. Parquet is too (pyarrow writes no timestamp).
Excel files carry the save time twice (docProps/core.xml and every zip entry's date), so the
workbook is rewritten after saving with a fixed time: the extract date.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Sequence
from json.encoder import encode_basestring as _encode_string
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

Table = dict[str, Any]


def _as_list(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        items: list[Any] = values.tolist()
        return items
    return list(values)


def write_csv(
    table: Table,
    path: Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    lineterminator: str = "\n",
    quote_all: bool = False,
) -> None:
    """A CSV file the way a partner's system writes it (quoting only where needed, or all).

    The bytes are what Python's csv module writes with the same settings; rows are joined
    column-wise in chunks instead, which is about a third faster.
    """
    columns = list(table.values())
    n = len(columns[0]) if columns else 0
    with path.open("w", encoding=encoding, newline="") as handle:
        handle.write(csv_text([list(table)], delimiter, lineterminator, quote_all))
        for start in range(0, n, CHUNK_ROWS):
            chunk = [_as_list(c[start : start + CHUNK_ROWS]) for c in columns]
            handle.write(csv_text(chunk, delimiter, lineterminator, quote_all, by_column=True))


CHUNK_ROWS = 50_000


def csv_text(
    rows_or_columns: Sequence[Sequence[Any]],
    delimiter: str,
    lineterminator: str,
    quote_all: bool = False,
    *,
    by_column: bool = False,
) -> str:
    """CSV text of rows (or, with by_column, of columns of equal length), each line ended."""
    columns = rows_or_columns if by_column else list(zip(*rows_or_columns, strict=True))
    if not columns or not len(columns[0]):
        return ""
    special = ('"', delimiter, *lineterminator)
    quoted = [_quote_column(list(c), special, quote_all) for c in columns]
    lines = map(delimiter.join, zip(*quoted, strict=True))
    return lineterminator.join(lines) + lineterminator


def _quote_column(values: list[Any], special: tuple[str, ...], quote_all: bool) -> list[str]:
    """Quoted as the csv module quotes: fields holding the quote, the delimiter or a character
    of the line terminator (or all fields), quotes doubled."""
    try:
        whole = "\x00".join(values)
    except TypeError:  # not all text: write as the csv module does (None as blank)
        values = ["" if v is None else str(v) for v in values]
        whole = "\x00".join(values)
    if quote_all:
        if '"' in whole:
            values = [v.replace('"', '""') for v in values]
        return ['"' + v + '"' for v in values]
    if not any(ch in whole for ch in special):
        return values
    return [
        '"' + v.replace('"', '""') + '"' if any(ch in v for ch in special) else v for v in values
    ]


def write_jsonl(table: Table, path: Path) -> None:
    """One JSON object per line; "" values are written as null (the partner's API omits them).

    The bytes are what `json.dumps(row, ensure_ascii=False)` writes for each row of text
    values; lines are built column-wise, which is faster.
    """
    names = list(table)
    columns = list(table.values())
    n = len(columns[0]) if columns else 0
    keys = [json.dumps(name, ensure_ascii=False) + ": " for name in names]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for start in range(0, n, CHUNK_ROWS):
            encoded = [
                [
                    key + ("null" if v == "" or v is None else _json_value(v))
                    for v in _as_list(column[start : start + CHUNK_ROWS])
                ]
                for key, column in zip(keys, columns, strict=True)
            ]
            handle.write(
                "".join("{" + ", ".join(row) + "}\n" for row in zip(*encoded, strict=True))
            )


def _json_value(value: Any) -> str:
    return _encode_string(value) if type(value) is str else json.dumps(value, ensure_ascii=False)


def write_parquet(table: Table, path: Path, date_columns: Sequence[str] = ()) -> None:
    """Parquet with string columns ("" as null) and typed date columns (NaT as null)."""
    arrays = {}
    for name, values in table.items():
        if name in date_columns:
            arrays[name] = pa.array(
                np.asarray(values, dtype="datetime64[D]"), type=pa.date32(), from_pandas=True
            )
        else:
            data = _as_list(values)
            arrays[name] = pa.array([None if v == "" else v for v in data], type=pa.string())
    pq.write_table(pa.table(arrays), path, compression="zstd")


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_xlsx(
    table: Table,
    path: Path,
    *,
    sheet: str,
    title_rows: Sequence[Sequence[str]] = (),
    fixed_time: dt.datetime,
) -> None:
    """An .xlsx file (openpyxl, write-only) with optional title rows above the header."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.creator = "joinedup synth"
    wb.properties.created = fixed_time
    ws = wb.create_sheet(sheet)
    for row in title_rows:
        ws.append(list(row))
    ws.append(list(table))
    columns = [_as_list(v) for v in table.values()]
    for row in zip(*columns, strict=True):
        ws.append([None if v == "" else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    _freeze_zip(buffer.getvalue(), path, fixed_time)


def _freeze_zip(data: bytes, path: Path, fixed_time: dt.datetime) -> None:
    """Rewrite a zip with a fixed entry date and fixed document times."""
    stamp = fixed_time.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (fixed_time.year, fixed_time.month, fixed_time.day, 0, 0, 0)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
