"""The online matcher's refresh under concurrent requests: when the index is stale, one
thread refreshes it and the others match against it as it is; a caller asking for the
store as it is now (`max_age=0`, the review queue) waits and gets a refresh of its own."""

from __future__ import annotations

import threading
import time

from joinedup.identity.online import matcher as online
from linkage_fixtures import install_model


def test_one_thread_refreshes_a_stale_index_while_the_others_go_on(engine, monkeypatch) -> None:
    install_model(engine)
    online.forget_matchers()
    matcher = online.matcher_for(engine)
    calls: list[float] = []
    started = threading.Event()
    real_refresh = online.OnlineMatcher.refresh

    def slow_refresh(self, engine_):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        started.set()
        time.sleep(0.3)
        return real_refresh(self, engine_)

    monkeypatch.setattr(online.OnlineMatcher, "refresh", slow_refresh)
    matcher.refreshed_at = time.monotonic() - 10  # stale
    returned: list[float] = []

    def request() -> None:
        online.matcher_for(engine)
        returned.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    assert started.wait(5)
    # While the one refresh runs, a caller that needs the store as it is now waits for it
    # and then refreshes again.
    online.matcher_for(engine, max_age=0.0)
    for t in threads:
        t.join()
    try:
        assert len(calls) == 2, calls
        # Seven of the eight did not wait for the refresh under way.
        assert sum(1 for r in returned if r < calls[0] + 0.25) >= 7, (calls, returned)
    finally:
        online.forget_matchers()
