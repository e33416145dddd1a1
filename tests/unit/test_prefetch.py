"""The ingest pipeline's stages: order, bounded look-ahead, errors and closing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from joinedup.records.prefetch import Prefetch, ordered_map


def test_ordered_map_keeps_order_when_later_items_finish_first() -> None:
    def slow_for_even(i: int) -> int:
        time.sleep(0.02 if i % 2 == 0 else 0)
        return i * 10

    assert list(ordered_map(slow_for_even, range(12), workers=2, ahead=3)) == [
        i * 10 for i in range(12)
    ]


def test_ordered_map_reads_at_most_ahead_items_beyond_what_was_consumed() -> None:
    taken: list[int] = []

    def source() -> Iterator[int]:
        for i in range(100):
            taken.append(i)
            yield i

    results = ordered_map(lambda i: i, source(), workers=2, ahead=3)
    assert next(results) == 0
    assert len(taken) == 3
    assert next(results) == 1
    assert len(taken) == 4
    results.close()


def test_ordered_map_raises_the_workers_error_in_the_consumer() -> None:
    def fail_on_three(i: int) -> int:
        if i == 3:
            raise ValueError("bad chunk")
        return i

    seen: list[int] = []
    with pytest.raises(ValueError, match="bad chunk"):
        for value in ordered_map(fail_on_three, range(10), workers=2, ahead=2):
            seen.append(value)
    assert seen == [0, 1, 2]


def test_closing_a_prefetch_closes_its_source_and_stops_its_thread() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.set()

    stage = Prefetch(source(), name="test-stage")
    it = iter(stage)
    assert next(it) == 0
    stage.close()
    assert closed.is_set()
    assert not stage._thread.is_alive()


def test_chained_prefetch_passes_items_in_order_and_raises_errors() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("unreadable")

    outer = Prefetch(iter(Prefetch(source(), name="inner")), name="outer")
    got: list[int] = []
    with pytest.raises(RuntimeError, match="unreadable"):
        for item in outer:
            got.append(item)
    assert got == [1, 2]
