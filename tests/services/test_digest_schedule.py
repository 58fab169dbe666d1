"""Digest schedules in the subscriber's time zone: one slot per local day across daylight-saving changes,
the periods they cover, what is due, late or skipped, and the parser's one-sentence refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.digest_schedule import (
    Every,
    Schedule,
    ScheduleError,
    due_slots,
    parse_schedule,
    parse_timezone,
)

NY = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(slot: datetime, zone: str = NY) -> str:
    return slot.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def test_daily_at_nine_posts_at_nine_local_on_both_sides_of_each_change() -> None:
    daily = parse_schedule(["daily", "09:00"], NY)
    spring = list(daily.slots(utc(2026, 3, 6), utc(2026, 3, 11)))
    assert [local(s) for s in spring] == [
        "2026-03-06 09:00 EST",
        "2026-03-07 09:00 EST",
        "2026-03-08 09:00 EDT",
        "2026-03-09 09:00 EDT",
        "2026-03-10 09:00 EDT",
    ]
    assert spring[1].hour == 14 and spring[2].hour == 13  # UTC moved by the hour; local time did not
    autumn = list(daily.slots(utc(2026, 10, 30), utc(2026, 11, 3)))
    assert [local(s) for s in autumn] == [
        "2026-10-30 09:00 EDT",
        "2026-10-31 09:00 EDT",
        "2026-11-01 09:00 EST",
        "2026-11-02 09:00 EST",
    ]


def test_a_time_in_the_spring_gap_posts_once_after_it_and_one_in_the_overlap_posts_once() -> None:
    gap = parse_schedule(["daily", "02:30"], NY)  # 02:00-03:00 does not exist on 2026-03-08
    assert [local(s) for s in gap.slots(utc(2026, 3, 7), utc(2026, 3, 10))] == [
        "2026-03-07 02:30 EST",
        "2026-03-08 03:30 EDT",
        "2026-03-09 02:30 EDT",
    ]
    overlap = parse_schedule(["daily", "01:30"], NY)  # 01:00-02:00 happens twice on 2026-11-01
    slots = list(overlap.slots(utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)))
    assert [local(s) for s in slots] == ["2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"]


def test_hourly_follows_real_hours_25_on_the_long_day_and_23_on_the_short() -> None:
    hourly = parse_schedule(["hourly", ":15"], NY)
    zone = ZoneInfo(NY)

    def day(y: int, m: int, d: int) -> list[datetime]:
        start = datetime(y, m, d, tzinfo=zone).astimezone(UTC)
        end = datetime(y, m, d + 1, tzinfo=zone).astimezone(UTC)
        return list(hourly.slots(start, end))

    assert len(day(2026, 11, 1)) == 25 and len(day(2026, 3, 8)) == 23 and len(day(2026, 3, 9)) == 24
    assert all(s.astimezone(zone).minute == 15 for s in day(2026, 11, 1))
    gaps = {b - a for a, b in zip(day(2026, 11, 1), day(2026, 11, 1)[1:], strict=False)}
    assert gaps == {timedelta(hours=1)}
    india = parse_schedule(["hourly", ":15"], "Asia/Kolkata")  # +05:30: :15 local is :45 UTC
    assert {s.minute for s in india.slots(utc(2026, 1, 1), utc(2026, 1, 2))} == {45}


def test_weekly_posts_on_its_day_only() -> None:
    weekly = parse_schedule(["weekly", "Mon", "09:00"], "Europe/London")
    slots = list(weekly.slots(utc(2026, 3, 1), utc(2026, 4, 6, 23)))
    assert [s.astimezone(ZoneInfo("Europe/London")).strftime("%a %H:%M") for s in slots] == ["Mon 09:00"] * 6
    assert slots[3].hour == 9 and slots[4].hour == 8  # London changes on 29 March


def test_a_daily_digest_covers_the_previous_local_day_of_23_or_25_hours() -> None:
    daily = parse_schedule(["daily", "09:00"], NY)
    [slot] = daily.slots(utc(2026, 3, 9), utc(2026, 3, 9, 23))
    start, end = daily.period(slot)
    assert local(start) == "2026-03-08 00:00 EST" and local(end) == "2026-03-09 00:00 EDT"
    assert end - start == timedelta(hours=23)
    before = daily.previous_period(slot)
    assert before == (start - timedelta(days=1), start)
    [autumn] = daily.slots(utc(2026, 11, 2), utc(2026, 11, 2, 23))
    assert daily.period(autumn)[1] - daily.period(autumn)[0] == timedelta(hours=25)
    weekly = parse_schedule(["weekly", "mon", "09:00"], NY)
    start, end = weekly.period(weekly.next_slot(utc(2026, 3, 10)))
    assert local(start) == "2026-03-09 00:00 EDT" and local(end) == "2026-03-16 00:00 EDT"
    hourly = parse_schedule(["hourly", ":15"], NY)
    slot = hourly.next_slot(utc(2026, 1, 1))
    assert hourly.period(slot) == (slot - timedelta(hours=1), slot)


def test_due_slots_are_on_time_late_within_six_hours_or_skipped() -> None:
    daily = parse_schedule(["daily", "09:00"], "UTC")
    now = utc(2026, 12, 3, 10, 0)
    due = due_slots(daily, since=utc(2026, 11, 30, 9, 0), now=now)
    assert [(d.at.day, d.late, d.skipped) for d in due] == [
        (1, False, True),
        (2, False, True),
        (3, True, False),
    ]
    on_time = due_slots(daily, since=utc(2026, 12, 2, 9, 0), now=utc(2026, 12, 3, 9, 1))
    assert [(d.at.day, d.late, d.skipped) for d in on_time] == [(3, False, False)]
    assert due_slots(daily, since=utc(2026, 12, 3, 9, 0), now=utc(2026, 12, 3, 9, 30)) == []  # posted


def test_the_canonical_text_reads_back_the_same() -> None:
    for words in (["daily", "9:05"], ["weekly", "friday", "17:30"], ["hourly", "15"], ["HOURLY", ":00"]):
        schedule = parse_schedule(words, NY)
        assert parse_schedule(schedule.text.split(), NY) == schedule
    assert parse_schedule(["weekly", "fri", "17:30"]).text == "weekly fri 17:30"
    assert parse_schedule(["daily", "09:00"], NY).describe() == "daily at 09:00 (America/New_York)"
    assert parse_schedule(["hourly", ":15"]).every is Every.HOUR


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ([], "Say when the digest posts"),
        (["monthly", "09:00"], "“monthly” is not a schedule"),
        (["daily"], "HH:MM"),
        (["daily", "25:00"], "“25:00” is not a time of day"),
        (["daily", "9am"], "“9am” is not a time of day"),
        (["daily", "09:00", "extra"], "HH:MM"),
        (["weekly", "09:00"], "needs its day"),
        (["weekly", "funday", "09:00"], "“funday” is not a day of the week; use one of mon, tue, wed, thu"),
        (["weekly", "monkey", "09:00"], "“monkey” is not a day of the week"),
        (["hourly"], "needs its minute"),
        (["hourly", ":75"], "“:75” is not a minute"),
    ],
)
def test_bad_schedules_are_refused_in_one_sentence(words: list[str], says: str) -> None:
    with pytest.raises(ScheduleError, match=says) as caught:
        parse_schedule(words)
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)


def test_time_zones_are_iana_names_any_case() -> None:
    assert parse_timezone("america/new_york") == NY
    assert parse_timezone("UTC") == "UTC" and parse_timezone("utc") == "UTC"
    assert parse_timezone("Europe/London") == "Europe/London"
    for bad in ("Mars/Olympus", "EST5EDTX", "", "../../etc/passwd", "x" * 500):
        with pytest.raises(ScheduleError, match="is not a time zone I know"):
            parse_timezone(bad)


@given(st.lists(st.text(max_size=12), max_size=5), st.sampled_from(["UTC", NY, "Asia/Kolkata"]))
def test_any_words_give_a_schedule_or_a_sentence(words: list[str], zone: str) -> None:
    try:
        schedule = parse_schedule(words, zone)
    except ScheduleError as error:
        assert str(error).endswith(".")
        return
    assert isinstance(schedule, Schedule)
    slot = schedule.next_slot(utc(2026, 6, 1))
    assert slot > utc(2026, 6, 1) and schedule.previous_slot(slot) == slot
