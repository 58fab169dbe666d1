"""Local simulators of the provider APIs (LiveVox SMS, Zoom Contact Center, Zoom Phone SMS, Routee).

`create_app()` (bot.sandbox.app) mounts all of them; `serve()` / `print_config()` (bot.sandbox.server) are
what `switchboard sandbox` calls. `World.generate()` (bot.sandbox.world) builds the deterministic data.
"""

from bot.sandbox.app import create_app
from bot.sandbox.clock import Clock, FakeClock, SystemClock
from bot.sandbox.faults import FaultSpec, FaultSpecError, ProviderFaults
from bot.sandbox.world import DEMO, Demo, World

__all__ = [
    "DEMO",
    "Clock",
    "Demo",
    "FakeClock",
    "FaultSpec",
    "FaultSpecError",
    "ProviderFaults",
    "SystemClock",
    "World",
    "create_app",
]
