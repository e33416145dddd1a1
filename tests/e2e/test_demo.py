"""`make demo` end to end: set up a small partnership, serve it, and use what it printed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_sets_up_serves_and_its_printed_token_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "COLUMNS": "200", "JOINEDUP_VAR_DIR": str(tmp_path / "var")}
    env.pop("JOINEDUP_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "joinedup.demo",
            "--dir",
            str(tmp_path / "demo"),
            "--persons",
            "300",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        for line in proc.stdout:
            output.append(line)
            if "is running at" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "is running at" in text, text
        token = re.search(r"sam\.worker\s+(jdu_\S+)", text)
        number = re.search(r"/api/v1/persons/(\d{10})\?purpose=safeguarding", text)
        assert token and number, text
        assert "Linked" in text and "Quarantined" in text
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        view = httpx.get(
            f"{base}/api/v1/persons/{number.group(1)}",
            params={"purpose": "safeguarding"},
            headers={"Authorization": f"Bearer {token.group(1)}"},
            timeout=10,
        )
        assert view.status_code == 200, view.text
        assert view.json()["person_number"] == number.group(1)
        anonymous = httpx.get(f"{base}/api/v1/persons/{number.group(1)}?purpose=safeguarding")
        assert anonymous.status_code == 401
        assert httpx.get(f"{base}/", timeout=10, follow_redirects=True).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
