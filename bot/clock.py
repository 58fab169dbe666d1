"""Clocks: the system clock by default, a settable one for tests, a shared fast one for whole deployments.

Every simulator reads time through a `Clock` so token lifetimes, page-token expiry, rate-limit windows,
session inactivity and Routee status progression can be tested without sleeping; the digest scheduler
reads it too, so an hour (or a daylight-saving night) of schedule can be lived through in a minute by
several real processes that agree on the time (`ScaledClock`, `SWITCHBOARD_CLOCK`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to: `clock.advance(minutes=16)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware(start) if start is not None else datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = _aware(when)

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        step = delta if delta is not None else timedelta()
        self._now += step + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self._now


class _CallableClock:
    def __init__(self, func: Callable[[], datetime]) -> None:
        self._func = func

    def now(self) -> datetime:
        return _aware(self._func())


class ScaledClock:
    """Time that started at `start` when the real clock read `anchor` (epoch seconds) and runs `speed`
    times as fast. Every process given the same three values reads the same time: a test deployment of
    several workers lives through an hour of schedule in a minute at speed 60."""

    def __init__(self, start: datetime, anchor: float, speed: float) -> None:
        if speed <= 0:
            raise ValueError("a clock's speed must be positive")
        self.start, self.anchor, self.speed = _aware(start), anchor, speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def text(self) -> str:
        return f"{self.start.isoformat()}@{self.anchor}x{self.speed}"


_SCALED = re.compile(r"^(?P<start>[^@]+)@(?P<anchor>\d+(?:\.\d+)?)(?:x(?P<speed>\d+(?:\.\d+)?))?$")


def parse_clock(text: str | None) -> Clock:
    """`SWITCHBOARD_CLOCK`: empty or "system" for the real time, else `<ISO start>@<epoch anchor>[x<speed>]`
    (testing and demos only: the time every process of a deployment then shares)."""
    if not text or text.strip().lower() == "system":
        return SystemClock()
    match = _SCALED.match(text.strip())
    if match is None:
        raise ValueError("expected `system` or `<ISO time>@<epoch seconds>[x<speed>]`")
    try:
        start = datetime.fromisoformat(match["start"].replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"`{match['start']}` is not an ISO date and time") from None
    return ScaledClock(start, float(match["anchor"]), float(match["speed"] or 1))


ClockLike = Clock | Callable[[], datetime]


def as_clock(clock: ClockLike | None) -> Clock:
    """Accept a `Clock`, a zero-argument callable returning a datetime, or None (the system clock)."""
    if clock is None:
        return SystemClock()
    if isinstance(clock, Clock):
        return clock
    return _CallableClock(clock)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
