"""`--at` times as people type them, read in the sender's zone: a table of forms, DST, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.send_time import SendTimeError, check_send_time, parse_send_time
from bot.slack.parsing import split_at

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # Wednesday 09:30 in New York


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("tomorrow 9am", "2026-12-03 09:00"),
        ("Tomorrow at 9 AM", "2026-12-03 09:00"),
        ("9am tomorrow", "2026-12-03 09:00"),
        ("9am", "2026-12-03 09:00"),  # 09:00 has passed today: tomorrow's
        ("10am", "2026-12-02 10:00"),
        ("10:15 p.m.", "2026-12-02 22:15"),
        ("noon", "2026-12-02 12:00"),
        ("midnight", "2026-12-03 00:00"),
        ("17:45", "2026-12-02 17:45"),
        ("at 5pm", "2026-12-02 17:00"),
        ("tonight 8", "2026-12-02 20:00"),
        ("today 4pm", "2026-12-02 16:00"),
        ("in 2h", "2026-12-02 11:30"),
        ("in 90 minutes", "2026-12-02 11:00"),
        ("in 1h30m", "2026-12-02 11:00"),
        ("in 1 hour and 30 minutes", "2026-12-02 11:00"),
        ("in 3 days", "2026-12-05 09:30"),
        ("in 1 week", "2026-12-09 09:30"),
        ("wed 10am", "2026-12-02 10:00"),  # today is Wednesday, and 10:00 is ahead
        ("next wed 9:00", "2026-12-09 09:00"),
        ("mon 14:30", "2026-12-07 14:30"),
        ("friday at 2 pm", "2026-12-04 14:00"),
        ("dec 3 9am", "2026-12-03 09:00"),
        ("December 3rd 9am", "2026-12-03 09:00"),
        ("3 dec 09:00", "2026-12-03 09:00"),
        ("jan 5 8:30am", "2027-01-05 08:30"),  # January has passed this year: next year's
        ("2026-12-03 9am", "2026-12-03 09:00"),
        ("2026-12-03T09:00", "2026-12-03 09:00"),
        ("2026-12-03 09:00", "2026-12-03 09:00"),
        ("2026-12-03T14:00Z", "2026-12-03 09:00"),  # an explicit zone wins over the sender's
        ("2026-12-03T09:00-08:00", "2026-12-03 12:00"),
        ("“tomorrow 9am”", "2026-12-03 09:00"),  # Slack's curly quotes
    ],
)
def test_forms_people_type(typed: str, expected: str) -> None:
    at = parse_send_time(typed, NOW, "America/New_York")
    assert at.tzinfo is not None
    assert at.astimezone(NY).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("tomorrow", "Add a time to `tomorrow`"),
        ("2026-12-03", "Add a time to `2026-12-03`"),
        ("bogus", "I could not read the time `bogus`"),
        ("in 3 fortnights", "could not read"),
        ("13pm", "could not read"),
        ("9:75", "could not read"),
        ("feb 30 9am", "could not read"),
        ("someday 9am", "could not read"),
        ("", "Say when"),
    ],
)
def test_what_cannot_be_read_says_so_with_examples(typed: str, says: str) -> None:
    with pytest.raises(SendTimeError) as raised:
        parse_send_time(typed, NOW, "America/New_York")
    assert says in str(raised.value)


def test_the_same_words_are_read_in_the_senders_zone() -> None:
    london = parse_send_time("tomorrow 9am", NOW, "Europe/London")
    tokyo = parse_send_time("tomorrow 9am", NOW, "Asia/Tokyo")
    assert london == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert tokyo == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


def test_dst_a_skipped_time_is_the_hour_after_and_a_repeated_one_the_first() -> None:
    spring = parse_send_time("tomorrow 2:30am", datetime(2026, 3, 7, 17, tzinfo=UTC), "America/New_York")
    assert spring.astimezone(NY).strftime("%H:%M %Z") == "03:30 EDT"
    fall = parse_send_time("tomorrow 1:30am", datetime(2026, 10, 31, 17, tzinfo=UTC), "America/New_York")
    assert fall == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first of the two
    # "in 24 hours" across the change is 24 real hours, not the same wall-clock time
    later = parse_send_time("in 24 hours", datetime(2026, 3, 7, 17, tzinfo=UTC), "America/New_York")
    assert later == datetime(2026, 3, 8, 17, tzinfo=UTC)


def test_past_and_too_far_are_refused() -> None:
    with pytest.raises(SendTimeError, match="already passed"):
        check_send_time(datetime(2026, 12, 2, 14, 0, tzinfo=UTC), NOW)
    with pytest.raises(SendTimeError, match="up to 30 days ahead"):
        check_send_time(parse_send_time("in 31 days", NOW, "UTC"), NOW)
    check_send_time(parse_send_time("in 29 days", NOW, "UTC"), NOW)


@pytest.mark.parametrize(
    ("text", "message", "when"),
    [
        ('hello there --at "tomorrow 9am"', "hello there", "tomorrow 9am"),
        ("hi --at tomorrow 9am", "hi", "tomorrow 9am"),
        ('--at "in 2h" hi there', "hi there", "in 2h"),
        ("hi --at=9am", "hi", "9am"),
        ("hi “quoted” --AT “mon 10:00”", "hi “quoted”", "mon 10:00"),
        ("no flag here", "no flag here", None),
        ("an email--at home", "an email--at home", None),  # only a flag on its own
    ],
)
def test_the_at_flag_is_taken_out_of_the_message(text: str, message: str, when: str | None) -> None:
    assert split_at(text) == (message, when)


@pytest.mark.parametrize("text", ["hi --at", 'hi --at "oops', "hi --at   "])
def test_an_empty_or_unclosed_at_is_refused(text: str) -> None:
    from bot.errors import InputError

    with pytest.raises(InputError):
        split_at(text)
