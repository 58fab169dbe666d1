"""Quiet hours: when a text may reach a number, in the recipient's local time.

The recipient's time zones come from the number (phonenumbers' timezone data: a US number's area code, a
country's zones otherwise). Where a number maps to several zones, a send is allowed only when it is
allowed in every one of them (the most restrictive reading at every moment), so "+1 800…" (every North
American zone) has a short window, and one whose zones are too far apart has none (an admin may override).

The window is the team's (`/switchboard quiet-hours`): by default 08:00–21:00 every day, which is what
the strictest US state rules (and the TCPA's 8 a.m.–9 p.m.) ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from bot.errors import InputError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SendWindow:
    """Minutes after local midnight [start, end) on the ISO weekdays in `days` ("1234567")."""

    start: int = 8 * 60
    end: int = 21 * 60
    days: str = "1234567"

    @property
    def always(self) -> bool:
        return self.start == 0 and self.end >= 24 * 60 and len(set(self.days)) == 7

    def describe(self) -> str:
        hours = f"{_hhmm(self.start)}–{_hhmm(self.end)}"
        return f"{hours} {describe_days(self.days)}"

    def allows(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return str(local.isoweekday()) in self.days and self.start <= minute < self.end


DEFAULT_WINDOW = SendWindow()


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_days(days: str) -> str:
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "every day"
    if chosen == list("12345"):
        return "Monday to Friday"
    if chosen == list("123456"):
        return "Monday to Saturday"
    return ", ".join(DAY_NAMES[int(d) - 1].capitalize() for d in chosen)


_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")


def _minutes(text: str) -> int:
    match = _TIME.match(text.strip())
    if match is None:
        raise InputError(f"`{text[:20]}` is not a time: write it as 08:00 or 21:30.")
    hours, minutes = int(match[1]), int(match[2] or 0)
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise InputError(f"`{text[:20]}` is not a time of day: write it as 08:00 or 21:30.")
    return hours * 60 + minutes


def parse_window(hours: str, days: str | None = None) -> SendWindow:
    """`08:00-21:00` and optionally `mon-fri`, `mon-sat`, `every-day`, `mon,wed,fri`; InputError in words."""
    start_text, sep, end_text = hours.replace("–", "-").partition("-")
    if not sep:
        raise InputError("Give the hours as a range, e.g. `08:00-21:00`.")
    start, end = _minutes(start_text), _minutes(end_text)
    if not start < end:
        raise InputError("The window must start before it ends on the same day, e.g. `08:00-21:00`.")
    return SendWindow(start, end, parse_days(days) if days else "1234567")


def parse_days(text: str) -> str:
    word = text.strip().lower()
    if word in ("every-day", "everyday", "daily", "all"):
        return "1234567"
    chosen: set[int] = set()
    for part in word.split(","):
        first, sep, last = part.partition("-")
        if first not in DAY_NAMES or (sep and last not in DAY_NAMES):
            raise InputError(
                f"`{text[:30]}` is not a list of days: write `mon-fri`, `mon-sat` or `mon,wed,fri`."
            )
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if sep else a
        if b < a:
            raise InputError("Days run from Monday to Sunday: write `mon-fri`, not `fri-mon`.")
        chosen.update(range(a + 1, b + 2))
    return "".join(str(d) for d in sorted(chosen))


@lru_cache(maxsize=4096)
def zones_for(number: str) -> tuple[str, ...]:
    """The IANA zones a number may be in: its own, else its country's, else UTC."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ("UTC",)
    zones = tuple(z for z in phone_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown")
    if not zones:
        zones = tuple(
            z for z in phone_timezones._country_level_time_zones_for_number(parsed) if z != "Etc/Unknown"
        )
    known = tuple(z for z in zones if _zone(z) is not None)
    return known or ("UTC",)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class QuietVerdict:
    allowed: bool
    zones: tuple[str, ...]
    window: SendWindow
    next_allowed: datetime | None = None  # UTC; None when allowed now, or no time in the next week is
    next_zone: str | None = None  # the zone whose window opens then

    def next_local(self) -> str | None:
        """ "08:00 their time (America/Los_Angeles), Thu Dec 3"."""
        if self.next_allowed is None or self.next_zone is None:
            return None
        return their_time(self.next_allowed, self.next_zone)

    def next_short(self) -> str | None:
        """ "08:00 PST": the next allowed time on a button."""
        if self.next_allowed is None or self.next_zone is None:
            return None
        local = self.next_allowed.astimezone(ZoneInfo(self.next_zone))
        return f"{local:%H:%M} {local.tzname() or self.next_zone}"

    def sentence(self) -> str:
        where = self.zones[0] if len(self.zones) == 1 else f"{len(self.zones)} time zones"
        if self.next_allowed is None:
            return (
                f"No time in the next week is within the team's sending hours ({self.window.describe()}) "
                f"in every time zone of this number ({where}), so it cannot be texted without an override."
            )
        return (
            f"It is outside the team's sending hours ({self.window.describe()}) where the recipient is "
            f"({where}): the next allowed time is {self.next_local()}."
        )


def their_time(at: datetime, zone: str) -> str:
    """ "08:00 their time (America/Los_Angeles), Thu Dec 3": a moment as the recipient's clock shows it."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%H:%M} their time ({zone}), {local:%a %b} {local.day}"


def recipient_time(number: str, at: datetime) -> str:
    """`their_time` in the number's (first) time zone."""
    return their_time(at, zones_for(number)[0])


def check(number: str, now: datetime, window: SendWindow = DEFAULT_WINDOW) -> QuietVerdict:
    """May `number` be texted at `now` (aware) under `window`? If not, when next."""
    zones = zones_for(number)
    if window.always:
        return QuietVerdict(True, zones, window)
    infos = [(name, ZoneInfo(name)) for name in zones]

    def allowed(at: datetime) -> bool:
        return all(window.allows(at.astimezone(info)) for _, info in infos)

    if allowed(now):
        return QuietVerdict(True, zones, window)
    candidates: list[tuple[datetime, str]] = []
    for name, info in infos:
        today = now.astimezone(info).date()
        for offset in range(9):
            day: date = today + timedelta(days=offset)
            local = datetime.combine(day, time(window.start // 60, window.start % 60), tzinfo=info)
            # A window opening in a DST gap (02:30 on the spring-forward night) opens when the clock exists.
            at = local.astimezone(ZoneInfo("UTC"))
            if at > now:
                candidates.append((at, name))
    for at, name in sorted(candidates):
        if allowed(at):
            return QuietVerdict(False, zones, window, next_allowed=at, next_zone=name)
    return QuietVerdict(False, zones, window)
