from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InputError
from bot.services.time_range import looks_like_range, parse_range, parse_timestamp

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("7d", timedelta(days=7)),
        ("30d", timedelta(days=30)),
        ("24h", timedelta(hours=24)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_relative_ranges_end_now(text: str, delta: timedelta) -> None:
    span = parse_range(text, now=NOW)
    # Both ends are inclusive at one-second resolution: exactly `delta` worth of seconds.
    assert (span.start, span.end) == (NOW - delta + timedelta(seconds=1), NOW)


def test_default_is_thirty_days() -> None:
    span = parse_range(None, now=NOW)
    assert span.end - span.start + timedelta(seconds=1) == timedelta(days=30)


def test_thirty_days_fit_one_zoom_window() -> None:
    from bot.providers.zoom import month_windows

    span = parse_range("30d", now=NOW)
    assert len(month_windows(span.start, span.end)) == 1
    assert parse_range("30d").label() == "last 30 days"


def test_absolute_range_covers_whole_days_and_stops_at_now() -> None:
    span = parse_range("2026-10-01..2026-10-31", now=NOW)
    assert span.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert span.end == datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_range("2026-11-20..2026-11-30", now=NOW).end == NOW


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0d", "empty range"),
        ("400d", "longer than a year"),
        ("2026-10-31..2026-10-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "does not exist"),
        ("2027-01-01..2027-01-02", "in the future"),
        ("yesterday", "not a range"),
        ("2024-01-01..2026-01-01", "longer than a year"),
    ],
)
def test_bad_ranges_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_range(text, now=NOW)


def test_looks_like_range() -> None:
    assert looks_like_range("7d") and looks_like_range("2026-10-01..2026-10-31")
    assert not looks_like_range("0100") and not looks_like_range("+14155550100")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21T13:00:00Z", datetime(2026, 11, 21, 13, tzinfo=UTC)),
        ("2026-11-21T13:00:00+02:00", datetime(2026, 11, 21, 11, tzinfo=UTC)),
        ("2026-11-21T13:00:00", datetime(2026, 11, 21, 13, tzinfo=UTC)),
        ("<dateTime>", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: str | None, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


# ------------------------------------------------------------------------ labels, single days, properties
from datetime import date, time  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("1d", "last 1 day"),
        ("24h", "last 24 hours"),
        ("1h", "last 1 hour"),
        ("7d", "last 7 days"),
        ("2w", "last 2 weeks"),
        (None, "last 30 days"),
        ("2026-11-20", "2026-11-20"),
        ("2026-10-01..2026-10-31", "2026-10-01 to 2026-10-31"),
    ],
)
def test_a_range_is_labelled_as_it_was_asked(text: str | None, label: str) -> None:
    assert parse_range(text, now=NOW).label() == label


def test_a_single_date_is_that_whole_day() -> None:
    span = parse_range("2026-11-20", now=NOW)
    assert (span.start, span.end) == (
        datetime(2026, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC),
    )
    today = parse_range("2026-11-22", now=NOW)
    assert (today.start, today.end) == (datetime(2026, 11, 22, tzinfo=UTC), NOW)
    assert looks_like_range("2026-11-20") and looks_like_range("2026-02-30")
    with pytest.raises(InputError, match="does not exist"):
        parse_range("2026-02-30", now=NOW)
    with pytest.raises(InputError, match="in the future"):
        parse_range("2026-11-23", now=NOW)


def test_clamping_keeps_the_label() -> None:
    span = parse_range("24h", now=NOW)
    assert span.clamp_start(NOW - timedelta(hours=1)).label() == "last 24 hours"


_days = st.dates(min_value=date(2024, 1, 1), max_value=NOW.date())


@given(amount=st.integers(min_value=1, max_value=9999), unit=st.sampled_from("dhw"))
def test_relative_ranges_hold_exactly_what_was_asked_or_are_refused(amount: int, unit: str) -> None:
    delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]
    text = f"{amount}{unit}"
    assert looks_like_range(text)
    if delta > timedelta(days=366):
        with pytest.raises(InputError, match="longer than a year"):
            parse_range(text, now=NOW)
        return
    span = parse_range(text, now=NOW)
    assert span.end == NOW and span.end - span.start + timedelta(seconds=1) == delta
    number, word = span.label().removeprefix("last ").split(" ")
    assert int(number) == amount and word.rstrip("s") == {"d": "day", "h": "hour", "w": "week"}[unit]
    assert word.endswith("s") == (amount != 1)


@given(first=_days, last=_days)
def test_date_ranges_cover_whole_days_up_to_now(first: date, last: date) -> None:
    text = f"{first}..{last}"
    assert looks_like_range(text)
    if last < first:
        with pytest.raises(InputError, match="ends before it starts"):
            parse_range(text, now=NOW)
        return
    if (last - first).days > 366:
        with pytest.raises(InputError, match="longer than a year"):
            parse_range(text, now=NOW)
        return
    span = parse_range(text, now=NOW)
    assert span.start == datetime.combine(first, time.min, UTC)
    assert span.end == min(datetime.combine(last, time(23, 59, 59), UTC), NOW)
    assert span.label() == (str(first) if first == last else f"{first} to {last}")
    assert parse_range(str(last), now=NOW) == parse_range(f"{last}..{last}", now=NOW)


@given(st.text(max_size=20))
def test_any_text_is_a_range_or_a_refusal_that_quotes_it(text: str) -> None:
    try:
        span = parse_range(text, now=NOW)
    except InputError as error:
        assert f"`{text}`" in str(error)
        return
    assert span.start <= span.end <= NOW
