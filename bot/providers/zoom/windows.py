"""Split a date range into windows Zoom accepts (at most one month each).

Zoom answers 400 (code 300, "The requested report exceeds the 1-month limit") to a longer `from`/`to`, and
does not say whether "a month" is a calendar month or 30 days; every window here satisfies both: it ends
before the same day of the next month AND spans at most 30 days.

* Dates (`datetime.date`) are whole days, `to` inclusive: ``2024-01-01..2024-01-30``,
  ``2024-01-31..2024-02-28``, ...
* Datetimes are UTC seconds, `to` inclusive: the next window starts one second after the previous one ends,
  so windows are contiguous with neither a gap nor an overlap at Zoom's one-second resolution.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["DateLike", "Window", "add_months", "month_windows", "to_utc"]

DateLike = date | datetime
MAX_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Window:
    """One `from`/`to` pair, both inclusive (dates, or UTC datetimes at whole seconds)."""

    start: date
    end: date

    @property
    def from_param(self) -> str:
        return format_zoom(self.start)

    @property
    def to_param(self) -> str:
        return format_zoom(self.end)


def format_zoom(value: date) -> str:
    """``yyyy-mm-dd`` for a date, ``yyyy-MM-dd'T'HH:mm:ss'Z'`` for a datetime."""
    if isinstance(value, datetime):
        return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def to_utc(value: date, *, end_of_day: bool = False) -> datetime:
    """A date or datetime as an aware UTC datetime at whole seconds (naive datetimes are taken as UTC).

    A plain date is 00:00:00 UTC, or 23:59:59 UTC with `end_of_day`.
    """
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0, 0), tzinfo=UTC)


def add_months(value: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def month_windows(start: DateLike, end: DateLike) -> list[Window]:
    """Consecutive windows covering ``start..end`` (both inclusive), none longer than Zoom allows.

    Two plain dates give date windows; if either is a datetime, both become UTC datetimes (a date `start` is
    00:00:00, a date `end` 23:59:59). Raises `ValueError` when `start` is after `end`.
    """
    lo: date
    hi: date
    if isinstance(start, datetime) or isinstance(end, datetime):
        lo, hi = to_utc(start), to_utc(end, end_of_day=True)
        unit = timedelta(seconds=1)
    else:
        lo, hi = start, end
        unit = timedelta(days=1)
    if lo > hi:
        raise ValueError("the start of the range is after its end")
    windows: list[Window] = []
    cursor = lo
    while cursor <= hi:
        limit = min(add_months(cursor, 1), cursor + timedelta(days=MAX_WINDOW_DAYS)) - unit
        window_end = min(hi, limit)
        windows.append(Window(cursor, window_end))
        cursor = window_end + unit
    return windows
