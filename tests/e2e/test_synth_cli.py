"""`joinedup synth` as a user runs it: a real process, files on disk, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from joinedup.errors import ExitCode


def _joinedup(*args: str, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("joinedup")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "joinedup.cli"]
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, COLUMNS="160")
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_synth_writes_the_partnership_and_repeats_it_byte_for_byte(tmp_path: Path) -> None:
    first = _joinedup("synth", "--persons", "3000", "--seed", "1", "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert "Fenmoor Community Health NHS Trust" in first.stdout
    assert "truth.csv" in first.stdout and "Injected errors" in first.stdout
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["persons"] == 3000 and manifest["seed"] == 1
    assert len(manifest["extracts"]) == 9
    for item in manifest["extracts"]:
        assert (tmp_path / "a" / item["file"]).stat().st_size > 0
        assert (tmp_path / "a" / item["mapping"]).exists()
        assert f"{item['rows']:,}" in first.stdout

    # another process (with another hash seed) makes exactly the same files
    second = _joinedup(
        "synth", "-n", "3000", "--seed", "1", "-o", str(tmp_path / "b"), hash_seed="12345"
    )
    assert second.returncode == 0, second.stderr
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_synth_rates_from_options_and_file(tmp_path: Path) -> None:
    rates_file = tmp_path / "rates.yaml"
    rates_file.write_text("typo: 0.4\nduplicate: 0.2\n", encoding="utf-8")
    result = _joinedup(
        "synth", "-n", "400", "--out", str(tmp_path / "o"), "--no-errors",
        "--rates-file", str(rates_file), "--rate", "duplicate=0.3", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["rates"]["typo"] == 0.4
    assert manifest["rates"]["duplicate"] == 0.3
    assert manifest["rates"]["nickname"] == 0.0
    assert manifest["error_counts"]["typo"]["applied"] > 0
    assert manifest["error_counts"]["nickname"]["applied"] == 0


def test_synth_mistakes_get_a_message_and_an_exit_code(tmp_path: Path) -> None:
    result = _joinedup("synth", "-n", "10", "--out", str(tmp_path), "--rate", "typo=1.5")
    assert result.returncode == ExitCode.INVALID_INPUT
    assert "Error:" in result.stderr and "typo" in result.stderr
    assert "Traceback" not in result.stderr
    result = _joinedup("synth", "-n", "10", "--out", str(tmp_path), "--rate", "speling=0.1")
    assert result.returncode == ExitCode.INVALID_INPUT
    assert "Known rates" in result.stderr
    result = _joinedup("synth", "--persons", "0", "--out", str(tmp_path))
    assert result.returncode == ExitCode.USAGE
    assert not any(tmp_path.iterdir())
