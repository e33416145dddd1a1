"""Run an iterator one step ahead in a worker thread.

Ingest reads and transforms the next chunk (DuckDB, which releases the GIL) while the
current chunk is written to the store (sqlite3 also releases the GIL while it steps), so
the two overlap instead of taking turns; stages can be chained (the CSV reader runs ahead
of the transform, which runs ahead of the writer). Items keep their order; an exception
raised by the iterator is raised again in the consumer, and a consumer that stops early (an
error while writing) stops the worker too, and closes the iterator (so a chained stage
stops its own worker).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch(Generic[T]):
    """`for item in Prefetch(it): ...` with `it` running up to `depth` items ahead."""

    def __init__(self, source: Iterator[T], depth: int = 1, name: str = "ingest-prefetch") -> None:
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
        except BaseException as exc:  # re-raised in the consumer's thread
            self._put(_Failure(exc))
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                item = self._queue.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker and wait for it, so nothing else uses its connections; then close
        the iterator (a generator's `finally` blocks run here)."""
        self._stop.set()
        self._thread.join()
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def ordered_map(
    fn: Callable[[T], U], source: Iterable[T], workers: int = 2, ahead: int = 3
) -> Iterator[U]:
    """`fn` over `source` in `workers` threads, results in the order of `source`.

    At most `ahead` items are in flight, so a large file is never read far ahead of its
    consumer. Ingest transforms chunks this way: each chunk's query runs in C++ with the GIL
    released, so two chunks are transformed at once on two cores. An exception from `fn`
    is raised in the consumer; closing the generator waits for the chunks in flight."""
    pending: deque[Future[U]] = deque()
    items = iter(source)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-map") as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()
