"""Slack date tokens read in the reader's time zone: the console's is the machine's local zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.console.dates import format_date, render_date_token
from bot.console.render import mrkdwn, render_message

# Tuesday 2014-02-18 14:39:42 UTC, Slack's own example date
TS = int(datetime(2014, 2, 18, 14, 39, 42, tzinfo=UTC).timestamp())
NEW_YORK = ZoneInfo("America/New_York")  # 09:39:42 there
TOKYO = ZoneInfo("Asia/Tokyo")  # 23:39:42 there, the same day


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("{date_num}", "2014-02-18"),
        ("{date_slash}", "18/02/2014"),
        ("{date}", "February 18th, 2014"),
        ("{date_short}", "Feb 18, 2014"),
        ("{date_long}", "Tuesday, February 18th, 2014"),
        ("{date_long_full}", "February 18, 2014"),
        ("{time}", "09:39"),
        ("{time_secs}", "09:39:42"),
        ("{date_short} {time}", "Feb 18, 2014 09:39"),
        ("at {time}", "At 09:39"),  # Slack capitalises the first letter
        ("{unknown} {date_num}", "{unknown} 2014-02-18"),
    ],
)
def test_every_documented_token(fmt: str, expected: str) -> None:
    assert format_date(TS, fmt, tz=NEW_YORK, now=datetime(2020, 1, 1, tzinfo=UTC)) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2014, 2, 18, 20, 0, tzinfo=UTC), "Today 09:39 · today · today"),
        (datetime(2014, 2, 19, 12, 0, tzinfo=UTC), "Yesterday 09:39 · yesterday · yesterday"),
        (datetime(2014, 2, 17, 12, 0, tzinfo=UTC), "Tomorrow 09:39 · tomorrow · tomorrow"),
        (
            datetime(2014, 3, 1, tzinfo=UTC),
            "Feb 18, 2014 09:39 · February 18th, 2014 · Tuesday, February 18th, 2014",
        ),
    ],
)
def test_pretty_dates_say_today_yesterday_tomorrow(now: datetime, expected: str) -> None:
    fmt = "{date_short_pretty} {time} · {date_pretty} · {date_long_pretty}"
    assert format_date(TS, fmt, tz=NEW_YORK, now=now) == expected


def test_today_is_the_readers_day_not_utcs() -> None:
    # 23:39 in Tokyo on the 18th; at 16:00 UTC on the 18th it is already the 19th in Tokyo
    now = datetime(2014, 2, 18, 16, 0, tzinfo=UTC)
    assert format_date(TS, "{date_short_pretty} {time}", tz=TOKYO, now=now) == "Yesterday 23:39"
    assert format_date(TS, "{date_short_pretty} {time}", tz=NEW_YORK, now=now) == "Today 09:39"


def test_day_divider_and_ago() -> None:
    now = datetime(2014, 6, 1, tzinfo=UTC)
    assert format_date(TS, "{day_divider_pretty}", tz=UTC, now=now) == "Tuesday, February 18th"
    assert (
        format_date(TS, "{ago}", tz=UTC, now=datetime(2014, 2, 18, 14, 42, 50, tzinfo=UTC)) == "3 minutes ago"
    )
    assert format_date(TS, "{ago}", tz=UTC, now=datetime(2014, 2, 18, 14, 39, 50, tzinfo=UTC)) == "Just now"


def test_the_token_with_its_link_and_fallback() -> None:
    fmt = "!date^{ts}^{{date_num}} {{time}}{link}|fallback text"
    assert render_date_token(fmt.format(ts=TS, link=""), tz=UTC) == "2014-02-18 14:39"
    linked = render_date_token(fmt.format(ts=TS, link="^https://example.com/x?a=1^b"), tz=UTC)
    assert linked == "2014-02-18 14:39 (https://example.com/x?a=1^b)"
    assert render_date_token("!date^soon^{date_num}|Feb 18", tz=UTC) == "Feb 18"  # unreadable: fallback
    assert render_date_token("!date^1392734382|only a fallback", tz=UTC) == "only a fallback"
    assert render_date_token("!here", tz=UTC) is None


def test_mrkdwn_reads_a_date_token_in_a_message() -> None:
    text = f"last message <!date^{TS}^{{date_short_pretty}} {{time}}|Feb 18, 2014 14:39 UTC> · ✓ Read"
    assert mrkdwn(text, tz=TOKYO) == "last message Feb 18, 2014 23:39 · ✓ Read"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    assert render_message({"text": "x", "blocks": blocks}, color=False).text.startswith("last message Feb 18")


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's zone set to Asia/Tokyo for the test (TZ, as a user would set it)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_zone")
def test_without_a_zone_the_machines_local_zone_is_used() -> None:
    assert mrkdwn(f"<!date^{TS}^{{date_num}} {{time_secs}}|fallback>") == "2014-02-18 23:39:42"
