"""The README's sandbox script runs as printed, against a real `switchboard sandbox` process."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- readme-script: sandbox-sms-logs -->\s*```python\n(.*?)```", readme, re.S)
    assert match, "the README lost its sandbox script"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox_port() -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("switchboard sandbox did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_readme_script_lists_sms_logs_from_the_sandbox(sandbox_port: int, tmp_path: Path) -> None:
    script = _script().replace("http://127.0.0.1:8900", f"http://127.0.0.1:{sandbox_port}")
    path = tmp_path / "list_sms_logs.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) >= 2  # the demo number has SMS engagements in the last 60 days
    assert all(re.match(r"\d{4}-\d{2}-\d{2}T", line) for line in lines)
