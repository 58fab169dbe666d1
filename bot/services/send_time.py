"""When a send-later goes: the time someone typed (`--at "tomorrow 9am"`), read in their own time zone.

The forms, as people type them to Slack's /remind and to calendar apps:
- ISO: `2026-12-03T09:00`, `2026-12-03 09:00`, `2026-12-03T14:00Z`, `2026-12-03T09:00-05:00`;
- a time: `9am`, `9:30 pm`, `21:00`, `noon`, `midnight`: today if it is still ahead, else tomorrow;
- a day and a time, either way round, `at` allowed between: `tomorrow 9am`, `tonight 8pm`,
  `mon 10:00`, `next friday at 2pm`, `dec 3 9am`, `3 december 09:00`, `2026-12-03 9am`;
- a delay: `in 30m`, `in 2 hours`, `in 1h30m`, `in 1 day`.

A local time that a DST change skips (02:30 on the spring-forward night) is taken as the instant the
clock would show it at (03:30); one it repeats (01:30 on the fall-back night), as the first of the two.
Nothing here knows about Slack: the caller passes the person's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InputError

LATEST = timedelta(days=30)
"""How far ahead a send may be scheduled: far enough for a reminder, near enough that the number and
its consent are still what they were when it was written."""

EXAMPLES = '`--at "tomorrow 9am"`, `--at "mon 14:30"`, `--at "in 2h"` or `--at 2026-12-03T09:00`'

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_MONTHS = {
    name: index + 1
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}

_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")
_DELAY = re.compile(r"^in\s+(?P<rest>.+)$")
_DELAY_PART = re.compile(r"(\d+)\s*([a-z]+)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[t ]\d{1,2}:\d{2}")


_TOO_FAR = f"Switchboard schedules sends up to {LATEST.days} days ahead; pick an earlier time."


class SendTimeError(InputError):
    """A time that cannot be read, or is not one a send can be scheduled for: one sentence."""


def parse_send_time(text: str, now: datetime, zone: str) -> datetime:
    """The instant (UTC) `text` names, read in `zone` at `now` (aware). Raises `SendTimeError`."""
    raw = " ".join(text.replace("“", "").replace("”", "").replace('"', "").split())
    words = raw.lower().replace("a.m.", "am").replace("p.m.", "pm").rstrip(".")
    if not words:
        raise SendTimeError(f"Say when to send it, e.g. {EXAMPLES}.")
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    at = _iso(words, tz) or _delay(words, now) or _day_and_time(words, local_now)
    if at is None:
        raise SendTimeError(f"I could not read the time `{raw}`: try {EXAMPLES}.")
    return at.astimezone(UTC)


def check_send_time(at: datetime, now: datetime, *, instead: str = "leave out `--at`") -> None:
    """Refuse a time in the past or too far ahead, in words; `instead` says how to send now."""
    if at <= now:
        raise SendTimeError(f"That time has already passed: pick one in the future (or {instead}).")
    if at - now > LATEST:
        raise SendTimeError(_TOO_FAR)


def _iso(words: str, tz: ZoneInfo) -> datetime | None:
    if _ISO_DATE.match(words):
        raise SendTimeError(f"Add a time to `{words}`, e.g. `{words} 09:00`.")
    if not _ISO_DATETIME.match(words):
        return None
    try:
        parsed = datetime.fromisoformat(words.upper().replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else _local(parsed.date(), parsed.time(), tz)


def _delay(words: str, now: datetime) -> datetime | None:
    match = _DELAY.match(words)
    if match is None:
        return None
    rest = match.group("rest").replace(" and ", " ").replace(",", " ")
    parts = _DELAY_PART.findall(rest)
    if not parts or _DELAY_PART.sub("", rest).strip():
        return None
    seconds = 0
    for amount, unit in parts:
        if unit not in _UNITS:
            return None
        seconds += int(amount) * _UNITS[unit]
        if seconds > LATEST.total_seconds():  # beyond the limit (and beyond what a datetime holds)
            raise SendTimeError(_TOO_FAR)
    return now + timedelta(seconds=seconds)


def _clock(words: str) -> time | None:
    """`9am`, `9:30 pm`, `21:00`, `9`, `noon`, `midnight`."""
    if words == "noon":
        return time(12, 0)
    if words == "midnight":
        return time(0, 0)
    match = _TIME.match(words)
    if match is None:
        return None
    hour, minute, ampm = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
    if minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    elif hour > 23:
        return None
    return time(hour, minute)


def _split_day(words: str) -> tuple[str, str]:
    """(day words, time words): the time is the part a clock can read, at the end or at the start."""
    tokens = [t for t in words.split(" ") if t != "at"]
    for cut in range(len(tokens) + 1):  # the time at the end: "tomorrow 9 am"
        tail = " ".join(tokens[cut:])
        if tail and _clock(tail) is not None:
            return " ".join(tokens[:cut]), tail
    for cut in range(len(tokens), 0, -1):  # the time first: "9am tomorrow"
        head = " ".join(tokens[:cut])
        if _clock(head) is not None:
            return " ".join(tokens[cut:]), head
    return " ".join(tokens), ""


def _day_and_time(words: str, local_now: datetime) -> datetime | None:
    day_words, time_words = _split_day(words)
    clock = _clock(time_words) if time_words else None
    tz = local_now.tzinfo
    assert isinstance(tz, ZoneInfo)
    if clock is not None and day_words == "tonight" and clock.hour < 12:
        clock = time(clock.hour + 12, clock.minute)  # "tonight 8" is 20:00
    day = _day(day_words, local_now.date()) if day_words else None
    if day_words and day is None:
        return None
    if clock is None:
        if day is not None:
            raise SendTimeError(f"Add a time to `{words}`, e.g. `{day_words} 9am`.")
        return None
    if day is None:  # a time alone: the next time the clock shows it
        at = _local(local_now.date(), clock, tz)
        return at if at > local_now else _local(local_now.date() + timedelta(days=1), clock, tz)
    return _local(day, clock, tz)


def _day(words: str, today: date) -> date | None:
    if words in ("today", "tonight"):
        return today
    if words == "tomorrow":
        return today + timedelta(days=1)
    name = words.removeprefix("next ").removeprefix("this ")
    if name in _WEEKDAYS:
        ahead = (_WEEKDAYS[name] - today.weekday()) % 7
        if words.startswith("next ") and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)  # today's weekday: today (a past time is refused later)
    if _ISO_DATE.match(words):
        try:
            return date.fromisoformat(words)
        except ValueError:
            return None
    return _month_day(words, today)


def _month_day(words: str, today: date) -> date | None:
    """`dec 3`, `december 3rd`, `3 dec`, `dec 3 2026`: this year's, or next year's once it has passed."""
    tokens = words.replace(",", " ").split()
    month = next((_MONTHS[t] for t in tokens if t in _MONTHS), None)
    numbers = [int(re.sub(r"(st|nd|rd|th)$", "", t)) for t in tokens if re.fullmatch(r"\d+(st|nd|rd|th)?", t)]
    if month is None or not numbers or len(tokens) != 1 + len(numbers) or len(numbers) > 2:
        return None
    day_number = numbers[0]
    year = numbers[1] if len(numbers) == 2 else today.year
    try:
        found = date(year, month, day_number)
    except ValueError:
        return None
    if len(numbers) == 1 and found < today:
        found = found.replace(year=today.year + 1)
    return found


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in `tz` shows `clock` on `day` (a skipped time: where it would be)."""
    naive = datetime.combine(day, clock)
    # Round-tripping through UTC moves a time the DST change skips to the hour after (fold=0 rules).
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
