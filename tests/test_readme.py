"""The README stays true: its sandbox script runs as printed against a real `switchboard sandbox` process,
and its console session is what `switchboard shell` prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.helpers import sandbox_process

ROOT = Path(__file__).resolve().parents[1]


def _script() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- readme-script: sandbox-sms-logs -->\s*```python\n(.*?)```", readme, re.S)
    assert match, "the README lost its sandbox script"
    return match.group(1)


@pytest.fixture
def sandbox_port(tmp_path: Path) -> Iterator[int]:
    with sandbox_process(tmp_path) as url:
        yield int(url.rsplit(":", 1)[1])


def test_readme_script_lists_sms_logs_from_the_sandbox(sandbox_port: int, tmp_path: Path) -> None:
    script = _script().replace("http://127.0.0.1:8900", f"http://127.0.0.1:{sandbox_port}")
    path = tmp_path / "list_sms_logs.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) >= 2  # the demo number has SMS engagements in the last 60 days
    assert all(re.match(r"\d{4}-\d{2}-\d{2}T", line) for line in lines)


# --------------------------------------------------------------------------- the console session
SESSION = re.compile(r"(<!-- readme-session: console -->\s*```text\n)(.*?)(```)", re.S)
PROMPT = re.compile(r"^\w+@#[\w-]+> ?(.*)$")
ENV_DROP = ("SWITCHBOARD_", "SLACK_")
# What varies from run to run, and only that: the sandbox's world is anchored at today's date, so dates
# and times (as `2026-12-01 11:00`, or as Slack date tokens read in the local zone: "Yesterday 11:00",
# "Nov 29, 2026 07:13") and provider ids (LiveVox thread and message ids) differ by day.
VARYING = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b(?:Today|Yesterday|Tomorrow|today|yesterday|tomorrow)\b"), "<date>"),
    (re.compile(r"\b[A-Z][a-z]{2} \d{1,2}, \d{4}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"), "<time>"),
    (re.compile(r"\b5604\d{7}\b"), "<livevox id>"),
]


def _normalised(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, placeholder in VARYING:
            line = pattern.sub(placeholder, line)
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _session() -> str:
    match = SESSION.search((ROOT / "README.md").read_text())
    assert match, "the README lost its console session"
    return match.group(2)


def _run_session(typed: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    env["TZ"] = "UTC"  # the session's times are read in the machine's zone: the README shows UTC
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input="".join(f"{line}\n" for line in typed),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,  # a fresh ./switchboard.db, as on a first `make run`
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return done.stdout


def test_the_readme_console_session_is_real_output(tmp_path: Path) -> None:
    """The README's session, typed into `switchboard shell` (stdin piped, so each typed line is echoed
    after its prompt, as on a terminal), prints exactly what the README shows, dates and ids aside.
    To bring the README up to date after a change of wording: UPDATE_README=1 pytest this."""
    session = _session()
    shown = session.splitlines()
    assert shown[0] == "$ make run"
    typed = [m.group(1) for line in shown[1:] if (m := PROMPT.match(line)) and m.group(1)]
    assert typed, "the session types nothing"
    output = _run_session(typed, tmp_path)
    if os.environ.get("UPDATE_README") == "1":
        readme = (ROOT / "README.md").read_text()
        fresh = "$ make run\n" + "\n".join(line.rstrip() for line in output.splitlines()) + "\n"
        (ROOT / "README.md").write_text(SESSION.sub(lambda m: m.group(1) + fresh + m.group(3), readme))
        return
    assert _normalised(output) == _normalised("\n".join(shown[1:]))
