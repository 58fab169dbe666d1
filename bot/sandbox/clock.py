"""The simulators' clocks are the project's (`bot.clock`); this name stays for the sandbox's users."""

from bot.clock import Clock, ClockLike, FakeClock, ScaledClock, SystemClock, as_clock

__all__ = ["Clock", "ClockLike", "FakeClock", "ScaledClock", "SystemClock", "as_clock"]
