"""The provider simulators' processes, first in line for the CPU."""

from __future__ import annotations

import contextlib
import os


def first_in_line(pid: int) -> None:
    """Raise the priority of a sandbox process just started (`pid`).

    The sandbox stands in for providers on machines of their own: it counts its one-second rate windows
    at *arrival*, and on a busy test machine (the suite is also run beside CPU-bound processes) a
    simulator waiting for a core counts requests late, into the next window, which a provider's edge
    never does. So it gets the CPU first where that is allowed (root, or a raised RLIMIT_NICE);
    elsewhere it runs as it is."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, -10)
