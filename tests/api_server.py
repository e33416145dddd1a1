"""A real `joinedup serve` process on a free loopback port, for the HTTP end-to-end tests,
Schemathesis and the load benchmark.

    with serve(db_url) as base_url:
        httpx.get(f"{base_url}/api/v1/health")

The process is the installed command (`python -m joinedup.cli` would skip the entry point),
started in its own process group and stopped with SIGTERM (SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> list[str]:
    installed = Path(sys.executable).parent / "joinedup"
    if installed.exists():
        return [str(installed)]
    found = shutil.which("joinedup")
    if found:
        return [found]
    return [sys.executable, "-c", "from joinedup.cli import main; main()"]


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """`joinedup serve` on `database_url`; yields the base URL once /api/v1/health answers."""
    port = free_port()
    command = [
        *_command(),
        "--database-url",
        database_url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    # A file, not a pipe: nobody reads the output while the server runs, and a full pipe
    # would block it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        command,
        env={**os.environ, "JOINEDUP_LOG_LEVEL": "WARNING", **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"joinedup serve exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("joinedup serve did not answer /api/v1/health in time")
            time.sleep(0.1)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()
