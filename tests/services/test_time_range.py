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
