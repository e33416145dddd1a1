"""File writers for the synthetic extracts, each byte-identical for identical input.

CSV and JSON Lines are deterministic by nature. Parquet is too (pyarrow writes no timestamp).
Excel files carry the save time twice (docProps/core.xml and every zip entry's date), so the
workbook is rewritten after saving with a fixed time: the extract date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Sequence
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
) -> None:
    """A CSV file the way a partner's system writes it (quoting only where needed)."""
    columns = [_as_list(v) for v in table.values()]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=lineterminator)
        writer.writerow(list(table))
        writer.writerows(zip(*columns, strict=True))


def write_jsonl(table: Table, path: Path) -> None:
    """One JSON object per line; "" values are written as null (the partner's API omits them)."""
    names = list(table)
    columns = [_as_list(v) for v in table.values()]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in zip(*columns, strict=True):
            obj = {k: (None if v == "" else v) for k, v in zip(names, row, strict=True)}
            handle.write(json.dumps(obj, ensure_ascii=False))
            handle.write("\n")


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
