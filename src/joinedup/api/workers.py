"""Several API worker processes that share the load fairly: each listens on a socket of its
own (`SO_REUSEPORT`), and the kernel spreads new connections over them.

Uvicorn's supervisor gives every worker the same listening socket. Each worker's event loop
then accepts every connection waiting when it wakes (asyncio accepts up to the backlog at a
time), so a burst of new connections (a client pool opening, a proxy reconnecting) lands on
whichever worker woke first, and kept-alive connections stay where they landed. Measured
with 50 clients on two workers: 49/1, 30/20 and 40/10 splits, and with one worker
holding nearly all of them the server used one core of two. With a socket per worker the
kernel picks the socket by a hash of the connection's addresses, which spreads them evenly.

The supervisor is still uvicorn's (health checks, restarts, signals); only the worker it
starts differs, and it binds its own socket just before serving. The supervisor binds the
address first (with `SO_REUSEPORT` too, never listening), so a port in use fails at start-up
as before, and a port of 0 becomes one chosen port for every worker.
"""

from __future__ import annotations

import socket
import sys
from unittest import mock

from uvicorn import Config
from uvicorn.supervisors import multiprocess

from joinedup.errors import JoinedupError


def supported() -> bool:
    """Whether the kernel balances connections over sockets sharing a port: Linux does (since
    3.9); the BSDs and macOS accept `SO_REUSEPORT` but do not balance, so there the workers
    keep uvicorn's shared socket."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` with `SO_REUSEPORT` (not yet listening)."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class OwnSocketProcess(multiprocess.Process):
    """A uvicorn worker that serves on a socket of its own rather than the shared one."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        # Runs in the worker process (the coverage of subprocesses is not measured).
        own = reuse_port_socket(self.config.host, self.config.port)
        for shared in sockets or []:
            shared.close()
        super().target([own])


def run(config: Config) -> None:
    """Run `config.workers` workers under uvicorn's supervisor, each on its own socket."""
    try:
        reserved = reuse_port_socket(config.host, config.port)
    except OSError as exc:
        raise JoinedupError(
            f"Cannot listen on {config.host}:{config.port}: {exc.strerror or exc}.",
            hint="Is another server using that port? Choose another with --port.",
        ) from None
    config.port = int(reserved.getsockname()[1])
    # The supervisor makes its workers from the module's `Process`: this one, while it runs.
    with mock.patch.object(multiprocess, "Process", OwnSocketProcess):
        multiprocess.Multiprocess(config, sockets=[reserved]).run()
    reserved.close()
