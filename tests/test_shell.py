"""`switchboard shell`, the README's `make run`, as a user runs it: a subprocess on the embedded defaults."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import subprocess
import sys
import time
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


def test_c_exits_non_zero_when_an_answer_is_an_error_or_a_refusal(tmp_path: Path) -> None:
    # Each answer below is marked by the app as a refusal or an error (bot/slack/outcome.py).
    for line in ("/switchboard audit", "/lookup +1 415 555 0100 7d 30d", "/switchboard frobnicate"):
        done = _shell(tmp_path, "-c", "/switchboard whoami", "-c", line)
        assert done.returncode == 1, (line, done.stdout)
    done = _shell(tmp_path, "-c", "as @admin", "-c", "/switchboard audit")
    assert done.returncode == 0, done.stdout


def test_the_banner_comes_first_and_logs_go_to_the_file_it_names(tmp_path: Path) -> None:
    done = _shell(tmp_path, "-c", "/lookup +1 415 555 0101 7d")  # a first run: migrations, a sandbox key
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Switchboard console · sandbox providers with demo data · workspace T0DEMO")
    assert lines[1].endswith("Logs: switchboard-console.log")
    assert done.stderr == ""  # nothing at all interleaves with the conversation
    log = (tmp_path / "switchboard-console.log").read_text()
    assert "alembic" in log and "generated a sandbox key" in log
    assert not any(" INFO " in line or " WARNING " in line for line in lines)


def test_line_editing_recalls_earlier_lines_with_the_arrow_keys(tmp_path: Path) -> None:
    """On a terminal, ↑ brings back the previous line (readline), and the history is kept for next time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    env.update(HOME=str(tmp_path), TERM="xterm", INPUTRC="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on the pseudo-terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "bot", "shell"], env)  # noqa: S606 - argv, no shell
    transcript = b""

    def read_until(wanted: bytes, start: int = 0, timeout: float = 60) -> None:
        nonlocal transcript
        deadline = time.monotonic() + timeout
        while wanted not in transcript[start:]:
            assert time.monotonic() < deadline, transcript.decode(errors="replace")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    transcript += os.read(fd, 65536)
                except OSError:
                    break

    try:
        read_until(b"agent@#demo> ")
        os.write(fd, b"/switchboard whoami\r")
        read_until(b"you are linked as")
        mark = transcript.index(b"you are linked as") + 1
        read_until(b"agent@#demo> ", mark)
        mark = len(transcript)
        os.write(fd, b"\x1b[A\r")  # the up arrow, then Enter: the same command again
        read_until(b"you are linked as", mark)
        assert b"unknown command" not in transcript[mark:]
        read_until(b"agent@#demo> ", transcript.index(b"you are linked as", mark))
        os.write(fd, b"\x04")  # Ctrl-D
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    assert "/switchboard whoami" in (tmp_path / ".switchboard_history").read_text()


def test_inject_inbound_in_the_console_opens_a_thread_that_is_then_worked_there(tmp_path: Path) -> None:
    """`inject inbound` on the console's own sandbox: the thread it prints is the one `/threads` shows at
    the top, unread; once taken, the customer's next message lands in it (appended) and in its history."""
    inject = 'inject inbound --from +14155550177 --inbox 100915 --text "Hi, is anyone there?"'
    again = "inject inbound --from '+1 415 555 0177' --inbox=100915 --text 'Still there?'"
    done = _shell(tmp_path, "-c", inject, "-c", "/threads", "-c", "1", "-c", again, "-c", "6")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    created = next(line for line in lines if line.startswith("thread "))
    found = re.fullmatch(r"thread (\d+) \(new, unread\)", created)
    assert found, created
    assert f"thread {found.group(1)} (appended, unread)" in lines
    listed = done.stdout.split("== Your SMS threads ==")
    # The newest thread comes first: the newcomer, unknown to LiveVox, in the group inbox, unread; taken
    # (button 1) it moves to the agent's personal inbox.
    assert "*_Unknown contact_* · +1 415-555-0177\nNo account · Group - Customer Care" in listed[1]
    assert "🔵 *Unread*" in listed[1].split("────")[0]
    assert "No account · Personal SMS" in listed[2].split("────")[0]
    history = done.stdout.split("== Thread history ==")[1]
    assert history.index(">Still there?") < history.index(">Hi, is anyone there?")  # newest first


def test_inject_refusals_fail_the_line_with_one_reason(tmp_path: Path) -> None:
    for line, reason in [
        ("inject inbound --from +14155550177 --inbox 42 --text hi", "! unknown inbox '42'"),
        ("inject inbound --from nope --inbox 100915 --text hi", "is not a phone number"),
        ("inject inbound --from +14155550177 --inbox 100915", "! missing --text; usage: inject inbound"),
        ("inject outbound --from +14155550177", "! usage: inject inbound --from"),
    ]:
        done = _shell(tmp_path, "-c", line)
        assert done.returncode == 1, (line, done.stdout)
        shown = [out for out in done.stdout.splitlines()[2:] if out]  # after the banner
        assert len(shown) == 1 and shown[0].startswith("! ") and reason in shown[0], done.stdout
    helped = _shell(tmp_path, "-c", "help")
    assert 'inject inbound --from +1… --inbox <LiveVox channel id> --text "…"' in helped.stdout
