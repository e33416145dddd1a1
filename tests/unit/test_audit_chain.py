"""The audit hash chain, without a store: every edit, deletion and insertion is found."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.domain.audit_chain import (
    ANCHOR_MISMATCH,
    BROKEN_LINK,
    DELETED,
    EDITED,
    GENESIS_HASH,
    HEAD_MISMATCH,
    INSERTED,
    TRUNCATED,
    ChainEntry,
    ChainPoint,
    canonical_json,
    chain_hash,
    verify_chain,
)


def build(contents: list[dict]) -> list[ChainEntry]:
    entries, prev = [], GENESIS_HASH
    for seq, content in enumerate(contents, start=1):
        body = {**content, "seq": seq}
        digest = chain_hash(prev, body)
        entries.append(ChainEntry(seq, body, prev, digest))
        prev = digest
    return entries


def head_of(entries: list[ChainEntry]) -> ChainPoint:
    return ChainPoint(entries[-1].seq, entries[-1].hash)


def kinds(entries: list[ChainEntry], head: ChainPoint | None, anchors=()) -> set[str]:
    return {p.kind for p in verify_chain(entries, head, anchors).problems}


CHAIN = build([{"actor": f"user{i}", "action": "policy.person_view", "n": i} for i in range(6)])


def test_intact_chain_verifies() -> None:
    report = verify_chain(CHAIN, head_of(CHAIN))
    assert report.ok and report.entries == 6 and report.last == head_of(CHAIN)


def test_canonical_json_ignores_key_order_but_not_values() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert chain_hash(GENESIS_HASH, {"a": 1}) != chain_hash(GENESIS_HASH, {"a": 2})
    assert chain_hash(GENESIS_HASH, {"a": 1}) != chain_hash("1" * 64, {"a": 1})


def test_edited_content_is_found() -> None:
    tampered = list(CHAIN)
    tampered[2] = replace(CHAIN[2], content={**CHAIN[2].content, "actor": "someone else"})
    assert kinds(tampered, head_of(CHAIN)) == {EDITED}


def test_edit_with_recomputed_hash_breaks_the_next_link() -> None:
    tampered = list(CHAIN)
    body = {**CHAIN[2].content, "actor": "someone else"}
    tampered[2] = replace(CHAIN[2], content=body, hash=chain_hash(CHAIN[2].prev_hash, body))
    report = verify_chain(tampered, head_of(CHAIN))
    assert [(p.kind, p.seq) for p in report.problems] == [(BROKEN_LINK, 4)]


def test_deleted_entry_is_found() -> None:
    tampered = CHAIN[:3] + CHAIN[4:]
    report = verify_chain(tampered, head_of(CHAIN))
    assert [(p.kind, p.seq) for p in report.problems] == [(DELETED, 4)]
    assert "entry 4 is missing" in report.problems[0].message


def test_deleted_tail_is_found_by_the_head() -> None:
    report = verify_chain(CHAIN[:4], head_of(CHAIN))
    assert [(p.kind, p.seq) for p in report.problems] == [(TRUNCATED, 5)]


def test_entry_appended_behind_the_services_back_is_found() -> None:
    # Chain it properly to the real last entry: only the head can tell.
    body = {"actor": "intruder", "seq": 7}
    forged = ChainEntry(7, body, CHAIN[-1].hash, chain_hash(CHAIN[-1].hash, body))
    assert kinds([*CHAIN, forged], head_of(CHAIN)) == {INSERTED}


def test_entry_inserted_in_the_middle_is_found() -> None:
    # Slip an entry in at 3 and renumber the rest (seq is the primary key).
    intruder = {"actor": "intruder", "seq": 3}
    renumbered = [replace(e, seq=e.seq + 1) for e in CHAIN[2:]]
    inserted = ChainEntry(3, intruder, CHAIN[1].hash, chain_hash(CHAIN[1].hash, intruder))
    found = kinds([*CHAIN[:2], inserted, *renumbered], head_of(CHAIN))
    assert EDITED in found


def test_replaced_last_entry_is_found_by_the_head() -> None:
    body = {**CHAIN[-1].content, "actor": "someone else"}
    tampered = [
        *CHAIN[:-1],
        replace(CHAIN[-1], content=body, hash=chain_hash(CHAIN[-1].prev_hash, body)),
    ]
    assert kinds(tampered, head_of(CHAIN)) == {HEAD_MISMATCH}


def test_a_rewritten_chain_is_found_only_by_an_anchor() -> None:
    """Someone who recomputes every hash and the head defeats the chain alone; an anchor
    written down elsewhere still catches it."""
    anchor = ChainPoint(3, CHAIN[2].hash)
    rewritten = build([{"actor": "forger", "n": i} for i in range(6)])
    assert kinds(rewritten, head_of(rewritten)) == set()
    assert kinds(rewritten, head_of(rewritten), [anchor]) == {ANCHOR_MISMATCH}
    assert kinds(CHAIN, head_of(CHAIN), [anchor]) == set()


def test_anchor_parsing() -> None:
    point = ChainPoint.parse(f"12:{'AB' * 32}")
    assert point == ChainPoint(12, "ab" * 32)
    assert ChainPoint.parse(str(point)) == point
    with pytest.raises(ValueError, match="SEQ:HASH"):
        ChainPoint.parse("12:abc")


tampers = st.sampled_from(["edit", "edit_rehash", "delete", "delete_tail", "append"])


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=8), max_size=3),
        min_size=2,
        max_size=12,
    ),
    tampers,
    st.data(),
)
def test_any_single_tampering_is_found(contents: list[dict], how: str, data: st.DataObject) -> None:
    chain = build(contents)
    head = head_of(chain)
    assert verify_chain(chain, head).ok
    i = data.draw(st.integers(0, len(chain) - 1))
    tampered = list(chain)
    if how == "edit":
        tampered[i] = replace(chain[i], content={**chain[i].content, "tampered": True})
    elif how == "edit_rehash":
        body = {**chain[i].content, "tampered": True}
        tampered[i] = replace(chain[i], content=body, hash=chain_hash(chain[i].prev_hash, body))
    elif how == "delete_tail":
        tampered = chain[: max(i, 1)]
    elif how == "append":
        body = {"seq": len(chain) + 1}
        tampered.append(
            ChainEntry(len(chain) + 1, body, chain[-1].hash, chain_hash(chain[-1].hash, body))
        )
    else:
        del tampered[i]
    assert not verify_chain(tampered, head).ok
