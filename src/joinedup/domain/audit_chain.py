"""The audit log's hash chain: hashing an entry and checking a whole chain, without I/O.

Each entry carries a sequence number (1, 2, 3, ...), the hash of the entry before it and its
own hash, SHA-256 over the previous hash and the canonical JSON of its content (which holds
the sequence number). Changing, removing or slipping in an entry therefore breaks either the
entry's own hash, the link to its neighbour, or the run of sequence numbers. The store also
records the chain's head (last sequence number and hash), which catches a cut-off tail; an
anchor (a sequence number and hash written down outside the store) catches a chain rewritten
from some point on by someone able to recompute hashes. `joinedup.governance.audit` writes
and reads the entries; this module only computes and checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

GENESIS_HASH = "0" * 64

# Problem kinds a verification can report.
EDITED = "edited"  # content no longer matches the entry's hash
BROKEN_LINK = "broken_link"  # the entry does not follow the one before it
DELETED = "deleted"  # a gap in the sequence numbers
INSERTED = "inserted"  # entries beyond the recorded head, or before the first
TRUNCATED = "truncated"  # the recorded head is beyond the last entry
HEAD_MISMATCH = "head_mismatch"  # the last entry is not the one the head recorded
HEAD_MISSING = "head_missing"
ANCHOR_MISMATCH = "anchor_mismatch"


def canonical_json(content: Mapping[str, object]) -> bytes:
    """The one byte string an entry's content hashes to: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_hash(prev_hash: str, content: Mapping[str, object]) -> str:
    """SHA-256 (hex) over the previous entry's hash and this entry's canonical content."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(content))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """An entry as read back from the store."""

    seq: int
    content: Mapping[str, object]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainPoint:
    """A position in the chain: the recorded head, or an anchor kept elsewhere."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainPoint:
        """`"1234:ab12..."` -> ChainPoint(1234, "ab12...")."""
        seq_text, _, hash_text = text.strip().partition(":")
        if not seq_text.isdigit() or len(hash_text) != 64:
            raise ValueError(f"an anchor looks like SEQ:HASH (64 hex digits), not {text!r}")
        return cls(int(seq_text), hash_text.lower())


@dataclass(frozen=True, slots=True)
class ChainProblem:
    kind: str
    seq: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    last: ChainPoint | None
    problems: tuple[ChainProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ChainVerifier:
    """Checks entries fed in sequence order; `finish()` compares the end with the head.

    Streaming, so a long log is verified in constant memory.
    """

    anchors: Mapping[int, str] = field(default_factory=dict)
    _expected_seq: int = 1
    _prev_hash: str = GENESIS_HASH
    _count: int = 0
    _last: ChainPoint | None = None
    _problems: list[ChainProblem] = field(default_factory=list)
    _anchors_seen: set[int] = field(default_factory=set)

    def feed(self, entry: ChainEntry) -> None:
        problems = self._problems
        seq = entry.seq
        gap = False
        if seq < self._expected_seq:
            problems.append(ChainProblem(INSERTED, seq, f"entry {seq} is out of sequence"))
        elif seq > self._expected_seq:
            gap = True
            first, last = self._expected_seq, seq - 1
            span = f"entry {first} is" if first == last else f"entries {first} to {last} are"
            problems.append(ChainProblem(DELETED, first, f"{span} missing (deleted)"))
        if entry.content.get("seq") != seq:
            problems.append(
                ChainProblem(EDITED, seq, f"entry {seq} claims sequence {entry.content.get('seq')}")
            )
        if chain_hash(entry.prev_hash, entry.content) != entry.hash:
            problems.append(
                ChainProblem(EDITED, seq, f"entry {seq} does not match its hash (edited)")
            )
        if entry.prev_hash != self._prev_hash and not gap:
            problems.append(
                ChainProblem(
                    BROKEN_LINK,
                    seq,
                    f"entry {seq} does not follow the entry before it "
                    "(an entry was inserted or rewritten)",
                )
            )
        if seq in self.anchors:
            self._anchors_seen.add(seq)
            if self.anchors[seq] != entry.hash:
                problems.append(
                    ChainProblem(
                        ANCHOR_MISMATCH, seq, f"entry {seq} differs from the anchor kept for it"
                    )
                )
        self._expected_seq = max(self._expected_seq, seq + 1)
        self._prev_hash = entry.hash
        self._count += 1
        self._last = ChainPoint(seq, entry.hash)

    def feed_all(self, entries: Iterable[ChainEntry]) -> None:
        for entry in entries:
            self.feed(entry)

    def finish(self, head: ChainPoint | None) -> ChainReport:
        problems = list(self._problems)
        last = self._last
        if head is None:
            if last is not None:
                problems.append(
                    ChainProblem(HEAD_MISSING, None, "the chain head record is missing")
                )
        elif last is None:
            if head.seq > 0:
                problems.append(
                    ChainProblem(TRUNCATED, 1, f"the log is empty but its head is entry {head.seq}")
                )
        elif last.seq < head.seq:
            problems.append(
                ChainProblem(
                    TRUNCATED,
                    last.seq + 1,
                    f"entries {last.seq + 1} to {head.seq} are missing from the end (truncated)",
                )
            )
        elif last.seq > head.seq:
            problems.append(
                ChainProblem(
                    INSERTED,
                    head.seq + 1,
                    f"entries {head.seq + 1} to {last.seq} were added outside the audit service",
                )
            )
        elif last.hash != head.hash:
            problems.append(
                ChainProblem(HEAD_MISMATCH, last.seq, f"entry {last.seq} is not the recorded head")
            )
        for seq in sorted(set(self.anchors) - self._anchors_seen):
            problems.append(ChainProblem(ANCHOR_MISMATCH, seq, f"anchored entry {seq} is missing"))
        return ChainReport(self._count, last, tuple(problems))


def verify_chain(
    entries: Iterable[ChainEntry],
    head: ChainPoint | None,
    anchors: Iterable[ChainPoint] = (),
) -> ChainReport:
    """Check a whole chain (entries in sequence order) against its head and any anchors."""
    verifier = ChainVerifier(anchors={a.seq: a.hash for a in anchors})
    verifier.feed_all(entries)
    return verifier.finish(head)
