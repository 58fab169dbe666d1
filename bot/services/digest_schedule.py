"""When a digest posts: schedules in the subscriber's own time zone, correct across daylight-saving changes.

A schedule is written the way people say it (`daily 09:00`, `weekly mon 09:00`, `hourly :15`) with an IANA
time zone, and stored in that canonical text (`DigestSubscription.schedule` + `.timezone`). Its slots are
instants (UTC), computed from local wall time:

* daily / weekly: one slot per local day (per local week), whatever the day's length. A time that does not
  exist that day (inside the spring-forward gap, e.g. 02:30 in New York on the second Sunday of March) posts
  at the same distance after the gap (03:30 local), as cron does; a time that happens twice (inside the
  fall-back overlap) posts once, at its first occurrence. Never twice, never skipped.
* hourly: every real hour at that minute of local time, so the repeated hour of a fall-back day has two
  slots (they are an hour apart), and the hour lost in spring has none.

Each slot covers the period before it: the previous local day, week or hour (`Schedule.period`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "DAY_NAMES",
    "LATE_WITHIN",
    "WEEKDAYS",
    "DueSlot",
    "Every",
    "Schedule",
    "ScheduleError",
    "due_slots",
    "parse_schedule",
    "parse_timezone",
]

LATE_WITHIN = timedelta(hours=6)
"""A slot missed while everything was down is posted late within this; older ones are skipped."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})$")
_MINUTE = re.compile(r"^:(?P<minute>\d{2})$")
USAGE = "`daily 09:00`, `weekly mon 09:00` or `hourly :15`"


class ScheduleError(ValueError):
    """A schedule or time zone that cannot be used; the message is one sentence for the person."""


class Every(StrEnum):
    HOUR = "hourly"
    DAY = "daily"
    WEEK = "weekly"


@dataclass(frozen=True)
class Schedule:
    every: Every
    minute: int
    hour: int = 0  # daily and weekly
    weekday: int = 0  # weekly: 0 is Monday
    zone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def text(self) -> str:
        """The canonical form, as stored and as `parse_schedule` reads it back."""
        if self.every is Every.HOUR:
            return f"hourly :{self.minute:02d}"
        clock = f"{self.hour:02d}:{self.minute:02d}"
        if self.every is Every.WEEK:
            return f"weekly {WEEKDAYS[self.weekday]} {clock}"
        return f"daily {clock}"

    def describe(self) -> str:
        """For people: `daily at 09:00 (America/New_York)`."""
        if self.every is Every.HOUR:
            return f"every hour at :{self.minute:02d} ({self.zone})"
        clock = f"{self.hour:02d}:{self.minute:02d}"
        if self.every is Every.WEEK:
            day = DAY_NAMES[self.weekday]
            return f"every {day} at {clock} ({self.zone})"
        return f"daily at {clock} ({self.zone})"

    # ---------------------------------------------------------------------------------- slots

    def _local_slot(self, day: date) -> datetime:
        """The instant of this schedule's wall time on a local day (gap: shifted forward; overlap: first)."""
        # fold=0 (PEP 495): a wall time inside the spring-forward gap is read with the offset from before
        # the change, which lands the same distance after the gap; one inside the overlap is its first
        # occurrence. Either way, exactly one instant per local day.
        wall = datetime.combine(day, time(self.hour, self.minute), tzinfo=self.tz)
        return wall.astimezone(UTC)

    def slots(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """The slots in (after, until], oldest first, as UTC instants."""
        after, until = after.astimezone(UTC), until.astimezone(UTC)
        if self.every is Every.HOUR:
            yield from self._hourly(after, until)
            return
        day = after.astimezone(self.tz).date() - timedelta(days=1)
        last = until.astimezone(self.tz).date() + timedelta(days=1)
        while day <= last:
            if self.every is Every.DAY or day.weekday() == self.weekday:
                slot = self._local_slot(day)
                if after < slot <= until:
                    yield slot
            day += timedelta(days=1)

    def _hourly(self, after: datetime, until: datetime) -> Iterator[datetime]:
        # Walk real (UTC) hours; in each, the instant whose local minute is ours. Offsets that are not
        # whole hours (India +05:30, Nepal +05:45) put it at another UTC minute, hence the offset.
        hour = after.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        seen: set[datetime] = set()
        while hour <= until:
            offset = hour.astimezone(self.tz).utcoffset() or timedelta()
            offset_minutes = int(offset.total_seconds() // 60) % 60
            slot = hour + timedelta(minutes=(self.minute - offset_minutes) % 60)
            if slot.astimezone(self.tz).minute == self.minute and slot not in seen and after < slot <= until:
                seen.add(slot)
                yield slot
            hour += timedelta(hours=1)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after `after`."""
        span = timedelta(days=2) if self.every is not Every.WEEK else timedelta(days=9)
        for slot in self.slots(after, after + span):
            return slot
        raise AssertionError("a schedule always has a slot within its period")  # pragma: no cover

    def previous_slot(self, at: datetime) -> datetime:
        """The last slot at or before `at`."""
        span = timedelta(days=2) if self.every is not Every.WEEK else timedelta(days=9)
        found = list(self.slots(at - span, at))
        if not found:  # pragma: no cover - the span always holds one
            raise AssertionError("a schedule always has a slot within its period")
        return found[-1]

    def period(self, slot: datetime) -> tuple[datetime, datetime]:
        """What the digest of `slot` covers: the local hour, day or week before it ([start, end), UTC).

        A daily digest at 09:00 covers the previous local calendar day (midnight to midnight, 23 or 25
        hours on a change day); a weekly one the seven local days before the slot's day; an hourly one the
        hour before the slot.
        """
        slot = slot.astimezone(UTC)
        if self.every is Every.HOUR:
            return slot - timedelta(hours=1), slot
        local_day = slot.astimezone(self.tz).date()
        days = 7 if self.every is Every.WEEK else 1
        start = datetime.combine(local_day - timedelta(days=days), time(0), tzinfo=self.tz).astimezone(UTC)
        end = datetime.combine(local_day, time(0), tzinfo=self.tz).astimezone(UTC)
        return start, end

    def previous_period(self, slot: datetime) -> tuple[datetime, datetime]:
        """The period before `period(slot)`, for the ▲▼ change."""
        return self.period(self.previous_slot(slot.astimezone(UTC) - timedelta(seconds=1)))


@dataclass(frozen=True)
class DueSlot:
    at: datetime
    late: bool  # posted after its time (missed while everything was down), within LATE_WITHIN
    skipped: bool  # missed by more than LATE_WITHIN: not posted, noted


def due_slots(
    schedule: Schedule, *, since: datetime, now: datetime, grace: timedelta = timedelta(minutes=2)
) -> list[DueSlot]:
    """The slots in (since, now] that are due, each marked on time, late or skipped.

    `since` is the last slot already handled (or when the subscription was made). A slot is on time when
    found within `grace` of it (the periodic task runs every minute).
    """
    due: list[DueSlot] = []
    for slot in schedule.slots(since, now):
        behind = now - slot
        due.append(DueSlot(slot, late=grace < behind <= LATE_WITHIN, skipped=behind > LATE_WITHIN))
    return due


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone the machine knows, by its lower-case name."""
    zones = {zone.lower(): zone for zone in available_timezones()}
    zones["utc"] = "UTC"
    return zones


def parse_timezone(text: str) -> str:
    """An IANA zone name as zoneinfo spells it (any case), or one sentence saying it is unknown.

    Only names from the zone list are accepted: text from Slack never reaches `ZoneInfo` (which would
    read a file named after it) unless it is one of them.
    """
    name = text.strip()
    found = _zones().get(name.lower())
    if found is None:
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise ScheduleError(
            f"“{shown}” is not a time zone I know; use an IANA name such as America/New_York "
            "or Europe/London."
        )
    return found


def _weekday(word: str) -> int:
    """`mon`, `Monday`, `tues`, `thurs` (at least three letters of a day's name) → 0 for Monday…; a word
    that is no day is refused, naming the days."""
    typed = word.lower()
    for index, name in enumerate(DAY_NAMES):
        if len(typed) >= 3 and name.lower().startswith(typed):
            return index
    raise ScheduleError(f"“{word[:20]}” is not a day of the week; use one of {', '.join(WEEKDAYS)}.")


def parse_schedule(words: list[str], zone: str = "UTC") -> Schedule:
    """`daily 09:00`, `weekly mon 09:00`, `hourly :15` (and `hourly 15`), in `zone`; else ScheduleError."""
    if not words:
        raise ScheduleError(f"Say when the digest posts: {USAGE}.")
    kind = words[0].lower()
    rest = words[1:]
    try:
        every = Every(kind)
    except ValueError:
        raise ScheduleError(f"“{words[0][:20]}” is not a schedule; use {USAGE}.") from None
    if every is Every.HOUR:
        if len(rest) != 1:
            raise ScheduleError(f"An hourly digest needs its minute, e.g. `hourly :15`; use {USAGE}.")
        match = _MINUTE.match(rest[0]) or re.match(r"^(?P<minute>\d{1,2})$", rest[0])
        minute = int(match["minute"]) if match else -1
        if not 0 <= minute <= 59:
            raise ScheduleError(f"“{rest[0][:20]}” is not a minute of the hour; write it as `:15`.")
        return Schedule(Every.HOUR, minute, zone=zone)
    weekday = 0
    if every is Every.WEEK:
        if not rest or _CLOCK.match(rest[0]):
            raise ScheduleError("A weekly digest needs its day, e.g. `weekly mon 09:00`.")
        weekday = _weekday(rest[0])
        rest = rest[1:]
    if len(rest) != 1:
        raise ScheduleError(f"Say the time of day as HH:MM (24-hour), e.g. {USAGE}.")
    match = _CLOCK.match(rest[0])
    hour, minute = (int(match["hour"]), int(match["minute"])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"“{rest[0][:20]}” is not a time of day; write it as HH:MM, e.g. 09:00 or 17:30.")
    return Schedule(every, minute, hour=hour, weekday=weekday, zone=zone)
