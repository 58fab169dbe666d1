"""`switchboard shell`, the README's `make run`, as a user runs it: a subprocess on the embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV_DROP = ("SWITCHBOARD_", "SLACK_")


def _shell(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # the default SQLite file ./switchboard.db lands here
        env=env,
    )


def test_c_lines_run_and_exit_zero(tmp_path: Path) -> None:
    done = _shell(
        tmp_path, "-c", "/switchboard whoami", "-c", "as @super", "-c", "/lookup +1 415 555 0101 7d"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "you are linked as" in done.stdout
    assert "Lookup: +1 415-555-0101" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "switchboard.db").exists()  # the embedded default, created on first start


def test_a_failing_line_makes_the_exit_status_non_zero(tmp_path: Path) -> None:
    done = _shell(tmp_path, "-c", "/switchboard whoami", "-c", "frobnicate")
    assert done.returncode != 0


def test_end_of_input_exits_zero(tmp_path: Path) -> None:
    done = _shell(tmp_path, stdin="/switchboard whoami\n")
    assert done.returncode == 0, done.stderr
    assert "you are linked as" in done.stdout
