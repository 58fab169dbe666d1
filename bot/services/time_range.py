"""Time ranges as people type them: `7d`, `30d`, `24h`, `2026-10-01..2026-10-31`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import InputError

RANGE_HELP = "Ranges look like `7d`, `30d`, `24h` or `2026-10-01..2026-10-31`."
MAX_DAYS = 366
SECOND = timedelta(seconds=1)


def _last(now: datetime, delta: timedelta) -> TimeRange:
    """The last `delta` up to `now`, both ends inclusive at one-second resolution (as providers count).

    `now - delta .. now` would hold one second more than `delta`; for `30d` that second does not fit Zoom's
    30-day window and costs a second request (and a second HEAVY rate-limit slot) per Zoom list.
    """
    return TimeRange(now - delta + SECOND, now)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def label(self) -> str:
        whole_days = self.start.time() in (self.end.time(), (self.end + SECOND).time())
        if self.end.date() == datetime.now(UTC).date() and whole_days:
            return f"last {round(self.days)} days"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def clamp_start(self, earliest: datetime) -> TimeRange:
        return TimeRange(max(self.start, earliest), self.end)


def parse_range(text: str | None, *, default_days: int = 30, now: datetime | None = None) -> TimeRange:
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    raw = (text or "").strip().lower()
    if not raw:
        return _last(now, timedelta(days=default_days))
    relative = re.fullmatch(r"(\d{1,4})\s*([dhw])", raw)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[
            unit
        ]
        if amount == 0:
            raise InputError(f"`{text}` is an empty range. {RANGE_HELP}")
        if delta > timedelta(days=MAX_DAYS):
            raise InputError(f"`{text}` is longer than a year; ask for at most {MAX_DAYS} days.")
        return _last(now, delta)
    absolute = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", raw)
    if absolute:
        try:
            first, last = date.fromisoformat(absolute.group(1)), date.fromisoformat(absolute.group(2))
        except ValueError:
            raise InputError(f"`{text}` has a date that does not exist. {RANGE_HELP}") from None
        if last < first:
            raise InputError(f"`{text}` ends before it starts. {RANGE_HELP}")
        start = datetime.combine(first, time.min, UTC)
        end = min(datetime.combine(last, time.max, UTC).replace(microsecond=0), now)
        if start > now:
            raise InputError(f"`{text}` is in the future.")
        if (last - first).days > MAX_DAYS:
            raise InputError(f"`{text}` is longer than a year; ask for at most {MAX_DAYS} days.")
        return TimeRange(start, end)
    raise InputError(f"`{text}` is not a range I understand. {RANGE_HELP}")


def parse_timestamp(value: str | None) -> datetime | None:
    """A provider's ISO-8601 timestamp (`2026-11-21T13:00:00Z`) as an aware datetime; None if unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def looks_like_range(word: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[dhw]|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", word.strip().lower()))
