"""Time ranges as people type them: `7d`, `30d`, `24h`, `2026-11-30` (that day), `2026-10-01..2026-10-31`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import InputError

RANGE_HELP = "Ranges look like `7d`, `30d`, `24h`, `2026-11-30` or `2026-10-01..2026-10-31`."
MAX_DAYS = 366
SECOND = timedelta(seconds=1)


_UNITS = {"d": ("day", "days"), "h": ("hour", "hours"), "w": ("week", "weeks")}
_DATE = r"\d{4}-\d{2}-\d{2}"
_RELATIVE = re.compile(r"(\d{1,4})\s*([dhw])")
_ABSOLUTE = re.compile(rf"({_DATE})(?:\s*\.\.\s*({_DATE}))?")


def _last(now: datetime, delta: timedelta, name: str) -> TimeRange:
    """The last `delta` up to `now`, both ends inclusive at one-second resolution (as providers count).

    `now - delta .. now` would hold one second more than `delta`; for `30d` that second does not fit Zoom's
    30-day window and costs a second request (and a second HEAVY rate-limit slot) per Zoom list.
    """
    return TimeRange(now - delta + SECOND, now, name)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    # How the person asked for it ("last 24 hours", "2026-11-30"): a range's label says what was asked,
    # not what its seconds add up to ("24h" is not "last 1 days"). Not part of equality.
    name: str | None = field(default=None, compare=False)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def label(self) -> str:
        """ "last 7 days", "last 24 hours", "2026-11-30", "2026-10-01 to 2026-10-31"."""
        if self.name:
            return self.name
        if self.start.date() == self.end.date():
            return f"{self.start:%Y-%m-%d}"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def clamp_start(self, earliest: datetime) -> TimeRange:
        return replace(self, start=max(self.start, earliest))


def _count(amount: int, unit: str) -> str:
    one, many = _UNITS[unit]
    return f"{amount} {one if amount == 1 else many}"


def parse_range(text: str | None, *, default_days: int = 30, now: datetime | None = None) -> TimeRange:
    """A range as typed; raises `InputError` naming what is wrong with it.

    Relative ranges (`7d`, `24h`, `2w`) end now; dates are whole UTC days (`2026-11-30` is that day,
    `2026-10-01..2026-10-31` both ends included), cut at now."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    raw = (text or "").strip().lower()
    if not raw:
        return _last(now, timedelta(days=default_days), f"last {_count(default_days, 'd')}")
    relative = _RELATIVE.fullmatch(raw)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[
            unit
        ]
        if amount == 0:
            raise InputError(f"`{text}` is an empty range. {RANGE_HELP}")
        if delta > timedelta(days=MAX_DAYS):
            raise InputError(f"`{text}` is longer than a year; ask for at most {MAX_DAYS} days.")
        return _last(now, delta, f"last {_count(amount, unit)}")
    absolute = _ABSOLUTE.fullmatch(raw)
    if absolute:
        try:
            first = date.fromisoformat(absolute.group(1))
            last = date.fromisoformat(absolute.group(2)) if absolute.group(2) else first
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
        name = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
        return TimeRange(start, end, name)
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
    """Whether a word is meant as a range (`7d`, `2026-11-30`, `2026-10-01..2026-10-31`), valid or not:
    `2026-02-30` is a range with a date that does not exist, not part of a phone number."""
    raw = word.strip().lower()
    return bool(_RELATIVE.fullmatch(raw) or _ABSOLUTE.fullmatch(raw)) and " " not in raw
