"""Slack's date formatting, ``<!date^UNIX^FORMAT[^LINK]|FALLBACK>``, as a Slack client shows it: in the
reader's time zone (for the console, the machine's local zone, or the one given).

Slack documents these tokens (https://docs.slack.dev/messaging/formatting-message-text#date-formatting):

====================  ========================================================
``{date_num}``        2014-02-18
``{date_slash}``      18/02/2014
``{date}``            February 18th, 2014
``{date_short}``      Feb 18, 2014
``{date_long}``       Tuesday, February 18th, 2014
``{date_long_full}``  February 18, 2014
``{date_pretty}``     as ``{date}``, or today / yesterday / tomorrow
``{date_short_pretty}`` as ``{date_short}``, or today / yesterday / tomorrow
``{date_long_pretty}``  as ``{date_long}``, or today / yesterday / tomorrow
``{day_divider_pretty}`` today / yesterday / tomorrow, else ``{date_long}`` (without the year this year)
``{time}``            18:39 (the console uses the 24-hour clock)
``{time_secs}``       18:39:42
``{ago}``             3 minutes ago
====================  ========================================================

A client that cannot read the token shows the fallback; so does this module for a timestamp that is not
a number. Like Slack, the first letter of the result is upper case ("Today at 09:15").
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

_TOKEN = re.compile(r"\{([a-z_]+)\}")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _relative_day(day: date, today: date) -> str | None:
    return {0: "today", -1: "yesterday", 1: "tomorrow"}.get((day - today).days)


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    unit, size = next(
        (unit, size)
        for unit, size in (
            ("year", 365 * 86400),
            ("month", 30 * 86400),
            ("day", 86400),
            ("hour", 3600),
            ("minute", 60),
        )
        if seconds >= size
    )
    count = seconds // size
    words = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"in {words}" if future else f"{words} ago"


def format_date(timestamp: float, fmt: str, *, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """`fmt` with its tokens filled in for `timestamp`, in `tz` (None: the machine's local zone).
    Unknown tokens stay as they are."""
    # Aware either way: `astimezone()` of a naive local time attaches the machine's zone (TZ honoured).
    if tz is not None:
        moment = datetime.fromtimestamp(timestamp, tz)
    else:
        moment = datetime.fromtimestamp(timestamp).astimezone()
    current = (now or datetime.now(moment.tzinfo)).astimezone(moment.tzinfo)
    day, today = moment.date(), current.date()
    month = _MONTHS[moment.month - 1]
    plain = f"{month} {_ordinal(moment.day)}, {moment.year}"
    short = f"{month[:3]} {moment.day}, {moment.year}"
    long = f"{_DAYS[moment.weekday()]}, {plain}"
    relative = _relative_day(day, today)
    if relative is not None:
        divider = relative
    elif moment.year == current.year:
        divider = f"{_DAYS[moment.weekday()]}, {month} {_ordinal(moment.day)}"
    else:
        divider = long
    values = {
        "date_num": day.isoformat(),
        "date_slash": f"{moment.day:02d}/{moment.month:02d}/{moment.year}",
        "date": plain,
        "date_short": short,
        "date_long": long,
        "date_long_full": f"{month} {moment.day}, {moment.year}",
        "date_pretty": relative or plain,
        "date_short_pretty": relative or short,
        "date_long_pretty": relative or long,
        "day_divider_pretty": divider,
        "time": f"{moment.hour:02d}:{moment.minute:02d}",
        "time_secs": f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}",
        "ago": _ago(moment, current),
    }
    text = _TOKEN.sub(lambda match: values.get(match[1], match[0]), fmt)
    return text[:1].upper() + text[1:]


def render_date_token(inner: str, *, tz: tzinfo | None = None, now: datetime | None = None) -> str | None:
    """The text of a date token from what is between its angle brackets
    (``!date^UNIX^FORMAT[^LINK]|FALLBACK``), a link shown as ``text (link)``; the fallback when the
    timestamp is unreadable; None when `inner` is not a date token at all."""
    if not inner.startswith("!date^"):
        return None
    spec, _, fallback = inner.partition("|")
    parts = spec.split("^", 3)  # "!date", UNIX, FORMAT, LINK (a link may itself hold "^")
    if len(parts) < 3:
        return fallback
    try:
        timestamp = float(parts[1])
        text = format_date(timestamp, parts[2], tz=tz, now=now)
    except (ValueError, OverflowError, OSError):
        return fallback
    link = parts[3] if len(parts) > 3 else ""
    return f"{text} ({link})" if link else text
