"""The provider simulators' processes, first in line for the CPU."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx


def first_in_line(pid: int) -> None:
    """Raise the priority of a sandbox process just started (`pid`).

    The sandbox stands in for providers on machines of their own: it counts its one-second rate windows
    at *arrival*, and on a busy test machine (the suite is also run beside CPU-bound processes) a
    simulator waiting for a core counts requests late, into the next window, which a provider's edge
    never does. So it gets the CPU first where that is allowed (root, or a raised RLIMIT_NICE);
    elsewhere it runs as it is."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, -10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def sandbox_process(*arguments: str, timeout: float = 120.0) -> Iterator[str]:
    """`switchboard sandbox` (with `arguments`) as its own process on a free port, first in line for
    the CPU; yields its base URL once it answers and stops it when the block ends.

    A simulator in a process of its own counts arrivals the way a provider's edge does: in the same
    event loop as its client, a stall of that loop delays one window's requests into the next."""
    port = free_port()
    command = [sys.executable, "-m", "bot", "sandbox", "--port", str(port), *arguments]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    first_in_line(process.pid)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the sandbox exited ({process.returncode}) before it answered: {errors}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not answer within {timeout:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
