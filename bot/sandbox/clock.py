"""Clocks for the simulators: the system clock by default, a settable one for tests.

Every simulator reads time through a `Clock` so token lifetimes, page-token expiry, rate-limit windows,
session inactivity and Routee status progression can be tested without sleeping.
"""

from __future__ import annotations

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
