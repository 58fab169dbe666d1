"""Quiet hours in the recipient's local time: zones from the number, several zones, DST, team windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.errors import InputError
from bot.services.quiet_hours import SendWindow, check, parse_window, zones_for

SF = "+14155550100"  # America/Los_Angeles
NYC = "+12125550100"  # America/New_York
LONDON = "+447700900123"  # the UK's zones (phonenumbers knows only the country for this range)
TOLL_FREE = "+18005550100"  # every North American zone
MOSCOW_MOBILE = "+79161234567"  # Russia's mobiles: eleven zones


def test_zones_come_from_the_number() -> None:
    assert zones_for(SF) == ("America/Los_Angeles",)
    assert zones_for(NYC) == ("America/New_York",)
    assert "Europe/London" in zones_for(LONDON)
    assert len(zones_for(TOLL_FREE)) > 10


@pytest.mark.parametrize(
    ("number", "now", "allowed", "next_local"),
    [
        # 16:00 UTC is 08:00 in San Francisco (PST, UTC-8): the window has just opened.
        (SF, datetime(2026, 12, 2, 16, 0, tzinfo=UTC), True, None),
        (
            SF,
            datetime(2026, 12, 2, 15, 59, tzinfo=UTC),
            False,
            "08:00 their time (America/Los_Angeles), Wed Dec 2",
        ),
        # 05:00 UTC is 21:00 in San Francisco: closed (the end is not included) until tomorrow morning.
        (
            SF,
            datetime(2026, 12, 3, 5, 0, tzinfo=UTC),
            False,
            "08:00 their time (America/Los_Angeles), Thu Dec 3",
        ),
        (NYC, datetime(2026, 12, 2, 13, 0, tzinfo=UTC), True, None),  # 08:00 EST
        (
            NYC,
            datetime(2026, 12, 3, 2, 30, tzinfo=UTC),
            False,
            "08:00 their time (America/New_York), Thu Dec 3",
        ),
        (
            LONDON,
            datetime(2026, 12, 2, 7, 59, tzinfo=UTC),
            False,
            "08:00 their time (Europe/Guernsey), Wed Dec 2",
        ),
        (LONDON, datetime(2026, 12, 2, 20, 59, tzinfo=UTC), True, None),
    ],
)
def test_the_default_window_in_their_time(
    number: str, now: datetime, allowed: bool, next_local: str | None
) -> None:
    verdict = check(number, FakeClock(now).now())
    assert verdict.allowed is allowed
    assert verdict.next_local() == next_local


def test_daylight_saving_moves_the_window_in_utc() -> None:
    # 15:30 UTC is 08:30 PDT (summer, UTC-7) but 07:30 PST (winter, UTC-8).
    assert check(SF, datetime(2026, 7, 1, 15, 30, tzinfo=UTC)).allowed
    assert not check(SF, datetime(2026, 12, 1, 15, 30, tzinfo=UTC)).allowed
    # The night clocks go back (Nov 1, 2026, 09:00 UTC is 01:00 PST): the window opens at 08:00 PST.
    verdict = check(SF, datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    assert verdict.next_allowed == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    # The night clocks go forward (Mar 8, 2026, 09:00 UTC is 01:00 PST): 08:00 PDT is 15:00 UTC.
    verdict = check(SF, datetime(2026, 3, 8, 9, 0, tzinfo=UTC))
    assert verdict.next_allowed == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    # London's spring: 08:00 BST on Mar 29, 2026 is 07:00 UTC.
    assert check(LONDON, datetime(2026, 3, 29, 7, 0, tzinfo=UTC)).allowed
    assert not check(LONDON, datetime(2026, 3, 28, 7, 0, tzinfo=UTC)).allowed


def test_several_zones_the_most_restrictive_reading() -> None:
    # A toll-free number may be anywhere from Guam (UTC+10) to St. John's (UTC-3:30): 08:00-21:00 in all
    # of them is 22:00-00:30 UTC only, opening with Guam's morning.
    verdict = check(TOLL_FREE, datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    assert not verdict.allowed
    assert verdict.next_allowed == datetime(2026, 12, 2, 22, 0, tzinfo=UTC)
    assert verdict.next_local() == "08:00 their time (Pacific/Guam), Thu Dec 3"
    assert "time zones" in verdict.sentence()
    assert check(TOLL_FREE, datetime(2026, 12, 2, 23, 0, tzinfo=UTC)).allowed
    assert not check(TOLL_FREE, datetime(2026, 12, 3, 0, 30, tzinfo=UTC)).allowed
    # Russia's mobiles span Bucharest's zone (UTC+2) to Kamchatka (UTC+12): open 06:00-09:00 UTC.
    assert check(MOSCOW_MOBILE, datetime(2026, 12, 2, 7, 0, tzinfo=UTC)).allowed
    verdict = check(MOSCOW_MOBILE, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert verdict.next_allowed == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    # A window shorter than the spread never opens: said, and left to an admin's override.
    verdict = check(TOLL_FREE, datetime(2026, 12, 2, 18, 0, tzinfo=UTC), parse_window("09:00-17:00"))
    assert not verdict.allowed and verdict.next_allowed is None
    assert "No time in the next week" in verdict.sentence() and "override" in verdict.sentence()


def test_team_windows_and_days() -> None:
    weekdays = parse_window("09:00-17:30", "mon-fri")
    assert weekdays == SendWindow(540, 1050, "12345")
    assert weekdays.describe() == "09:00–17:30 Monday to Friday"
    saturday_noon = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)  # 12:00 PST, a Saturday
    verdict = check(SF, saturday_noon, weekdays)
    assert not verdict.allowed
    assert verdict.next_local() == "09:00 their time (America/Los_Angeles), Mon Dec 7"
    assert parse_window("0:00-24:00").always and check(TOLL_FREE, saturday_noon, parse_window("0-24")).allowed
    assert parse_window("08:00-21:00", "mon,wed,fri").days == "135"


@pytest.mark.parametrize(
    ("hours", "days", "words"),
    [
        ("8am-9pm", None, "is not a time"),
        ("21:00-08:00", None, "must start before it ends"),
        ("08:00", None, "as a range"),
        ("08:00-25:00", None, "not a time of day"),
        ("08:00-21:00", "weekends", "not a list of days"),
        ("08:00-21:00", "fri-mon", "Monday to Sunday"),
    ],
)
def test_bad_windows_are_refused_in_words(hours: str, days: str | None, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_window(hours, days)
