"""Readers: turn an extract into a stream of Arrow batches of text columns.

Every reader yields `pyarrow.RecordBatch`es whose columns are named `c0`, `c1`, ... (the
source's own names are kept in `TableSource.columns`, so no column name ever reaches SQL) and
hold text or nulls, in file order. Rows that cannot be read at all (a CSV line with the wrong
number of fields, bytes that are not UTF-8, a JSON line that is not an object) are collected
as `Reject`s with their raw content and the reason; they are never silently dropped.

CSV is read by DuckDB's CSV reader (fast, streaming, and it reports rejected lines with their
line numbers); Excel by openpyxl in read-only mode; Parquet by pyarrow; JSON Lines line by
line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from joinedup.errors import InvalidInput
from joinedup.records.sources import SourceFile, to_utf8_file

BATCH_ROWS = 100_000
MAX_LINE_BYTES = 64 * 1024 * 1024
_DELIMITERS = [",", "\t", ";", "|"]


@dataclass
class Reject:
    """A row that could not be read: where it was, what it held, and why."""

    line: int
    raw: str
    reason: str


@dataclass
class TableSource:
    """What a reader found: the source's column names and its rows, batch by batch."""

    columns: list[str]
    batches: Iterator[pa.RecordBatch]
    format: str
    encoding: str | None = None
    header_line: int = 1  # the line (or sheet row) holding the column names
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Filled by readers that learn of rejects only once the rows are read (CSV).
    finish: Any = None


def clean_header(names: list[Any]) -> tuple[list[str], list[str]]:
    """Column names made usable: blanks named by position, duplicates numbered."""
    out: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = "" if raw is None else str(raw).strip().removeprefix("\ufeff").strip()
        if not name:
            name = f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            warnings.append(f"Column name {name!r} appears more than once; the copy is {new!r}.")
            name = new
        else:
            seen[name] = 1
        out.append(name)
    return out, warnings


def _strings(values: list[Any]) -> pa.Array:
    return pa.array(values, type=pa.string())


def _batch(columns: list[list[Any]], width: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [_strings(col) for col in columns], names=[f"c{i}" for i in range(width)]
    )


# --- CSV --------------------------------------------------------------------------------


def _sniff_delimiter(line: str) -> str:
    counts = {d: 0 for d in _DELIMITERS}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _header_lines(path: Path, header_row: int) -> list[str]:
    lines: list[str] = []
    with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
        for _ in range(header_row):
            line = f.readline(MAX_LINE_BYTES)
            if not line:
                break
            lines.append(line)
    return lines


def read_csv(
    src: SourceFile,
    *,
    encoding: str,
    delimiter: str | None,
    quote: str | None,
    header_row: int,
    workdir: Path,
) -> TableSource:
    warnings: list[str] = []
    path = src.path
    if encoding != "utf-8" or src.has_nul:
        path, bad = to_utf8_file(src, encoding, workdir)
        if bad:
            warnings.append(
                f"{bad:,} character(s) could not be decoded as {encoding} and were replaced; "
                "the fields holding them are flagged 'undecodable'."
            )
    quote_char = quote or '"'
    # The quotes of the file as received were counted when it was hashed.
    counted = src.double_quotes if path == src.path and quote_char == '"' else None
    path, unmatched = _blank_unmatched_quote(path, quote_char, workdir, counted)
    lines = _header_lines(path, header_row)
    if len(lines) < header_row or not lines[-1].strip("\r\n\ufeff \t"):
        raise InvalidInput(
            f"{src.name} has no header on line {header_row}"
            + (" (the file is empty)." if src.size == 0 else ".")
        )
    header_text = lines[-1].removeprefix("\ufeff")
    delim = delimiter or _sniff_delimiter(header_text)
    names = next(csv.reader(io.StringIO(header_text), delimiter=delim, quotechar=quote_char), [])
    columns, header_warnings = clean_header(names)
    warnings += header_warnings
    con = duckdb.connect(config={"threads": 1})
    con.execute("SET enable_progress_bar = false")
    col_types = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns))) + "}"
    query = (
        f"SELECT * FROM read_csv({_lit(str(path))}, delim={_lit(delim)}, "
        f"quote={_lit(quote_char)}, escape={_lit(quote_char)}, header=false, "
        f"skip={header_row}, columns={col_types}, store_rejects=true, strict_mode=true, "
        f"max_line_size={MAX_LINE_BYTES}, auto_detect=false, parallel=false, encoding='utf-8')"
    )
    source = TableSource(
        columns=columns, batches=iter(()), format="csv", encoding=encoding, header_line=header_row
    )
    source.warnings = warnings
    source.rejects.extend(unmatched)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
            yield from reader
        except duckdb.Error as exc:
            raise InvalidInput(f"{src.name} cannot be read as CSV: {_duck_message(exc)}") from None

    def finish() -> None:
        rows = con.execute(
            "SELECT line, any_value(csv_line), string_agg(DISTINCT error_message, '; ') "
            "FROM reject_errors GROUP BY line ORDER BY line"
        ).fetchall()
        source.rejects.extend(
            Reject(int(line), raw or "", _reject_reason(msg)) for line, raw, msg in rows
        )
        con.close()

    source.batches = batches()
    source.finish = finish
    return source


def _blank_unmatched_quote(
    path: Path, quote: str, workdir: Path, total: int | None = None
) -> tuple[Path, list[Reject]]:
    """A quote that is never closed would swallow the rest of the file into one value (and
    DuckDB then drops it). When the file holds an odd number of quote characters, find the
    line that opens the unclosed quote, reject that line, and read a copy in which it is
    blank (blank lines are skipped, so every other line keeps its number)."""
    q = quote.encode()
    if total is None:
        total = 0
        with path.open("rb") as f:
            while chunk := f.read(1 << 22):
                total += chunk.count(q)
    if total % 2 == 0:
        return path, []
    start, inside = 0, False
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if line.count(q) % 2:
                if not inside:
                    start = number
                inside = not inside
    if not inside:
        return path, []
    out = workdir / "unmatched-quote-blanked.csv"
    rejected: list[Reject] = []
    with path.open("rb") as f, out.open("wb") as w:
        for number, line in enumerate(f, start=1):
            if number == start:
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                rejected.append(
                    Reject(number, text, f"a quote ({quote}) opened on this line is never closed")
                )
                w.write(b"\n")
            else:
                w.write(line)
    return out, rejected


def _reject_reason(message: str | None) -> str:
    text = (message or "unreadable row").strip()
    text = text.replace("Expected Number of Columns:", "expected").replace(
        " Found:", " fields, found"
    )
    if "Invalid unicode" in text:
        return "bytes that are not valid UTF-8 (wrong file encoding?)"
    if "Maximum line size" in text:
        return f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    return text


def _duck_message(exc: Exception) -> str:
    return str(exc).splitlines()[0].split("Error: ", 1)[-1]


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- Excel ------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A spreadsheet or JSON value as text: whole numbers without `.0`, dates as ISO."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(t for t in (cell_text(v) for v in value) if t is not None)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def read_xlsx(src: SourceFile, *, sheet: str | None, header_row: int) -> TableSource:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(f"{src.name} is not a readable Excel workbook ({exc}).") from None
    if sheet is not None and sheet not in wb.sheetnames:
        raise InvalidInput(
            f"{src.name} has no sheet {sheet!r}; its sheets are: {', '.join(wb.sheetnames)}."
        )
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header: tuple[Any, ...] | None = None
    for i, row in enumerate(rows, start=1):
        if i == header_row:
            header = row
            break
    if header is None or all(v is None for v in header):
        wb.close()
        raise InvalidInput(f"{src.name} (sheet {ws.title!r}) has no header on row {header_row}.")
    # Trailing blank header cells are formatting, not columns.
    last = max(i for i, v in enumerate(header) if v is not None and str(v).strip())
    columns, warnings = clean_header(list(header[: last + 1]))
    width = len(columns)
    source = TableSource(columns=columns, batches=iter(()), format="xlsx", header_line=header_row)
    source.warnings = warnings

    def batches() -> Iterator[pa.RecordBatch]:
        cols: list[list[Any]] = [[] for _ in range(width)]
        n = 0
        line = header_row
        for row in rows:
            line += 1
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            extra = [v for v in row[width:] if v is not None and str(v).strip()]
            if extra:
                source.rejects.append(
                    Reject(
                        line,
                        ",".join("" if v is None else str(v) for v in row),
                        f"row {line} has values beyond the last named column",
                    )
                )
                continue
            for j in range(width):
                cols[j].append(cell_text(row[j]) if j < len(row) else None)
            n += 1
            if n >= BATCH_ROWS:
                yield _batch(cols, width)
                cols = [[] for _ in range(width)]
                n = 0
        if n:
            yield _batch(cols, width)
        wb.close()

    source.batches = batches()
    return source


# --- Parquet ----------------------------------------------------------------------------


def _to_text(array: pa.Array) -> pa.Array:
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array.cast(pa.string())
    if pa.types.is_dictionary(t):
        return _to_text(array.dictionary_decode())
    if (
        pa.types.is_integer(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
        or pa.types.is_time(t)
    ):
        text = array.cast(pa.string())
        if pa.types.is_boolean(t):
            return text
        return text
    return _strings([cell_text(v) for v in array.to_pylist()])


def read_parquet(src: SourceFile) -> TableSource:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{src.name} is not a readable Parquet file ({exc}).") from None
    columns, warnings = clean_header(list(pf.schema_arrow.names))
    names = [f"c{i}" for i in range(len(columns))]
    source = TableSource(columns=columns, batches=iter(()), format="parquet", header_line=0)
    source.warnings = warnings

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                arrays = [_to_text(batch.column(i)) for i in range(batch.num_columns)]
                yield pa.RecordBatch.from_arrays(arrays, names=names)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"{src.name} could not be read to the end ({exc}).") from None

    source.batches = batches()
    return source


# --- JSON Lines -------------------------------------------------------------------------


def _flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """Top-level `identifiers: {scheme: value}` become `identifier:SCHEME` columns."""
    ids = obj.get("identifiers")
    if isinstance(ids, dict):
        obj = {k: v for k, v in obj.items() if k != "identifiers"}
        for scheme, value in ids.items():
            obj[f"identifier:{scheme}"] = value
    return obj


def read_jsonl(src: SourceFile) -> TableSource:
    head = src.head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return _read_json_array(src)
    columns: list[str] = []
    index: dict[str, int] = {}
    source = TableSource(
        columns=columns, batches=iter(()), format="jsonl", encoding="utf-8", header_line=0
    )

    def batches() -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, Any]] = []
        with src.path.open("rb") as f:
            for line_no, raw in enumerate(f, start=1):
                text = raw.strip()
                if line_no == 1:
                    text = text.removeprefix(b"\xef\xbb\xbf")
                if not text:
                    continue
                try:
                    obj = json.loads(text.decode("utf-8"))
                except UnicodeDecodeError:
                    source.rejects.append(
                        Reject(
                            line_no,
                            raw.decode("utf-8", "replace"),
                            "bytes that are not valid UTF-8",
                        )
                    )
                    continue
                except json.JSONDecodeError as exc:
                    source.rejects.append(
                        Reject(
                            line_no, raw.decode("utf-8", "replace"), f"not valid JSON: {exc.msg}"
                        )
                    )
                    continue
                if not isinstance(obj, dict):
                    source.rejects.append(
                        Reject(
                            line_no,
                            raw.decode("utf-8", "replace"),
                            "a JSON line must be an object {...}",
                        )
                    )
                    continue
                obj = _flatten(obj)
                for key in obj:
                    if key not in index:
                        index[key] = len(columns)
                        columns.append(key)
                rows.append(obj)
                if len(rows) >= BATCH_ROWS:
                    yield _rows_batch(rows, columns)
                    rows = []
        if rows:
            yield _rows_batch(rows, columns)

    source.batches = batches()
    return source


def _rows_batch(rows: list[dict[str, Any]], columns: list[str]) -> pa.RecordBatch:
    cols = [[cell_text(r.get(c)) for r in rows] for c in columns]
    return _batch(cols, len(columns))


def _read_json_array(src: SourceFile) -> TableSource:
    try:
        data = json.loads(src.path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{src.name} is not valid JSON ({exc}).") from None
    if not isinstance(data, list):
        raise InvalidInput(f"{src.name}: expected JSON Lines or an array of objects.")
    columns: list[str] = []
    rows: list[dict[str, Any]] = []
    source = TableSource(
        columns=columns, batches=iter(()), format="jsonl", encoding="utf-8", header_line=0
    )
    for i, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            source.rejects.append(
                Reject(i, json.dumps(obj)[:10000], "an array item must be an object {...}")
            )
            continue
        obj = _flatten(obj)
        for key in obj:
            if key not in columns:
                columns.append(key)
        rows.append(obj)
    source.batches = iter(
        [_rows_batch(rows[i : i + BATCH_ROWS], columns) for i in range(0, len(rows), BATCH_ROWS)]
    )
    return source
