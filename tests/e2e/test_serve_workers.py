"""`joinedup serve --workers 2` spreads kept-alive connections over both workers.

With one shared listening socket, a burst of connections went mostly to whichever worker
woke first (49 of 50 in one trial), which then served nearly everything on one core. Each
worker now listens on a socket of its own (`joinedup.api.workers`). The test opens 50
connections at once, as a client pool does, and counts, from /proc, which process holds
each one's server end.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api_server import serve
from joinedup.api import workers

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not workers.supported(),
    reason="counts connections through Linux's /proc",
)

CONNECTIONS = 50


def _inodes(port: int, state: str) -> set[str]:
    """Socket inodes of TCP sockets on local `port` in `state` (01 established, 0A listening)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _wait_for_listeners(port: int, count: int, timeout: float = 60.0) -> None:
    """The server answers once one worker is up; wait for every worker's socket."""
    deadline = time.monotonic() + timeout
    while len(_inodes(port, "0A")) < count:
        assert time.monotonic() < deadline, f"fewer than {count} sockets listen on {port}"
        time.sleep(0.1)


def _holders(inodes: set[str]) -> Counter[int]:
    """How many of these sockets each process holds."""
    held: Counter[int] = Counter()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    held[int(proc.name)] += 1
        except OSError:  # the process ended, or is not ours to look into
            continue
    return held


async def _open_and_hold(host: str, port: int, check: asyncio.Future[Counter[int]]) -> None:
    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        assert status.startswith(b"HTTP/1.1 200"), status
        return reader, writer

    pairs = await asyncio.gather(*(one() for _ in range(CONNECTIONS)))
    check.set_result(_holders(_inodes(port, "01")))
    for _, writer in pairs:
        writer.close()


def test_two_workers_share_a_burst_of_connections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with serve(url, workers=2) as base_url:
        parts = urlsplit(base_url)
        assert parts.hostname is not None and parts.port is not None
        _wait_for_listeners(parts.port, 2)

        async def run() -> Counter[int]:
            check: asyncio.Future[Counter[int]] = asyncio.get_running_loop().create_future()
            await _open_and_hold(parts.hostname or "", parts.port or 0, check)
            return await check

        held = asyncio.run(run())
    assert sum(held.values()) == CONNECTIONS, held
    assert len(held) == 2, f"connections held by {len(held)} process(es): {held}"
    # The kernel hashes each connection to a socket: about 25 each. Fewer than 10 on one
    # worker has a chance of about 1 in 100,000 by that hashing (the shared socket gave 1).
    assert min(held.values()) >= 10, held
