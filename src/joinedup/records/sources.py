"""An extract as received: a local file (or an uploaded stream spooled to one), its hash,
format and text encoding.

Detection is deliberate and explainable rather than clever: the mapping's `source` settings
win; otherwise the file's magic bytes, then its extension, decide the format, and a byte-order
mark, UTF-16's zero bytes or a clean UTF-8 decode decide the encoding (cp1252 otherwise, the
usual encoding of Windows exports in the UK). Text that is not UTF-8, or holds NUL bytes, is
transcoded once to a temporary UTF-8 file so that the CSV reader sees one encoding.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from joinedup.errors import InvalidInput

SAMPLE_BYTES = 1 << 20
_COPY_CHUNK = 1 << 20

_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".psv": "csv",
    ".dat": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf8-sig": "utf-8",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "ascii": "utf-8",
}


@dataclass
class SourceFile:
    """A readable local copy of an extract, with what is known about it."""

    path: Path
    name: str
    size: int
    sha256: str
    head: bytes
    warnings: list[str] = field(default_factory=list)
    # Found in the same pass as the hash, so a CSV reader need not read the file again.
    has_nul: bool = False
    double_quotes: int = 0


@contextmanager
def open_source(source: Path | str | BinaryIO, name: str | None = None) -> Iterator[SourceFile]:
    """A `SourceFile` for a path or a binary stream (spooled to a temporary file)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise InvalidInput(f"File {str(path)!r} does not exist.")
        if not path.is_file():
            raise InvalidInput(f"{str(path)!r} is not a file.")
        try:
            yield _describe(path, name or path.name)
        except PermissionError as exc:
            raise InvalidInput(f"Cannot read {str(path)!r}: {exc.strerror}.") from None
        return
    with tempfile.TemporaryDirectory(prefix="joinedup-upload-") as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as out:
            shutil.copyfileobj(source, out, _COPY_CHUNK)
        yield _describe(path, name or getattr(source, "name", None) or "upload")


def _describe(path: Path, name: str) -> SourceFile:
    digest = hashlib.sha256()
    size = quotes = 0
    nul = False
    with path.open("rb") as f:
        head = chunk = f.read(SAMPLE_BYTES)
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            quotes += chunk.count(b'"')
            nul = nul or b"\x00" in chunk
            chunk = f.read(_COPY_CHUNK * 4)
    return SourceFile(
        path=path,
        name=Path(name).name,
        size=size,
        sha256=digest.hexdigest(),
        head=head,
        has_nul=nul,
        double_quotes=quotes,
    )


def detect_format(src: SourceFile, declared: str | None) -> str:
    """csv | xlsx | parquet | jsonl: by magic bytes, then the mapping, then the extension."""
    head = src.head
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            f"{src.name} is an old Excel (.xls) workbook, which cannot be read.",
            hint="Save it as .xlsx or CSV and load that.",
        )
    by_magic = None
    if head.startswith(b"PK\x03\x04"):
        by_magic = "xlsx"
    elif head.startswith(b"PAR1"):
        by_magic = "parquet"
    if by_magic is not None:
        if declared not in (None, by_magic):
            src.warnings.append(
                f"The mapping says {declared}, but the file is {by_magic}; read as {by_magic}."
            )
        return by_magic
    if declared in ("xlsx", "parquet"):
        raise InvalidInput(f"{src.name} is not a {declared} file (its first bytes say otherwise).")
    if declared is not None:
        return declared
    by_ext = _EXTENSIONS.get(Path(src.name).suffix.lower())
    if by_ext in ("xlsx", "parquet"):
        raise InvalidInput(f"{src.name} is not a {by_ext} file (its first bytes say otherwise).")
    if by_ext is not None:
        return by_ext
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if stripped.startswith((b"{", b"[")) else "csv"


def _utf16_by_zeros(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.3 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.3 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def _is_utf8(head: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return good > 0 and bad <= good


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters: not text."""
    sample = head[:65536]
    if not sample:
        return False
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    return sample.count(0) > 0.01 * len(sample) or controls > 0.05 * len(sample)


def detect_encoding(src: SourceFile, declared: str | None) -> str:
    """The text encoding: utf-8, utf-16-le/-be, cp1252 or another Python codec name."""
    head = src.head
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InvalidInput(f"{src.name} is UTF-32 text, which cannot be read; save it as UTF-8.")
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be"
    if declared:
        name = _ENCODING_ALIASES.get(declared.lower().replace("_", "-"), declared)
        try:
            codecs.lookup(name)
        except LookupError:
            raise InvalidInput(
                f"The mapping's encoding {declared!r} is not one Python knows."
            ) from None
        if name == "utf-16":
            return _utf16_by_zeros(head) or "utf-16-le"
        return name
    utf16 = _utf16_by_zeros(head)
    if utf16:
        return utf16
    if _is_utf8(head, complete=src.size <= len(head)):
        return "utf-8"
    if _mostly_utf8(head):
        # A UTF-8 file with a few corrupt bytes: read as UTF-8; the rows holding them are
        # quarantined as unreadable rather than the whole file being misread as cp1252.
        return "utf-8"
    if looks_binary(head):
        raise InvalidInput(
            f"{src.name} does not look like text (it holds binary data).",
            hint="Export the data as CSV, Excel (.xlsx), Parquet or JSON Lines.",
        )
    return "cp1252"


def to_utf8_file(src: SourceFile, encoding: str, directory: Path) -> tuple[Path, int]:
    """Transcode to a UTF-8 file without NUL bytes; returns it and how many characters
    could not be decoded (each became U+FFFD)."""
    out_path = directory / "transcoded.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad = 0
    with src.path.open("rb") as f, out_path.open("w", encoding="utf-8", newline="") as out:
        first = True
        while True:
            chunk = f.read(_COPY_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            if "\x00" in text:
                text = text.replace("\x00", "")
            bad += text.count("\ufffd")
            out.write(text)
            if not chunk:
                break
    return out_path, bad
