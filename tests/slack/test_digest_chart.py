"""The volume chart: a real PNG of phone-readable size, the same bytes for the same data, and its alt text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import matplotlib.image

from bot.services.digest_content import Bucket
from bot.slack.digests.chart import DPI, SIZE, alt_text, volume_chart

START = datetime(2026, 12, 1, 5, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def hours(sms: int = 3, calls: int = 2) -> list[Bucket]:
    return [Bucket(START + timedelta(hours=h), f"{h:02d}:00", sms * h, calls * (24 - h)) for h in range(24)]


def test_a_real_png_of_the_expected_size() -> None:
    png = volume_chart(hours(), title="Volume per hour")
    assert png.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert (width, height) == (int(SIZE[0] * DPI), int(SIZE[1] * DPI))
    # not a blank canvas: the bars' two colours are there
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 3


def test_deterministic_and_without_a_timestamp() -> None:
    first = volume_chart(hours(), title="Volume per hour")
    assert first == volume_chart(hours(), title="Volume per hour")
    assert b"tIME" not in first and b"matplotlib" not in first.lower()
    assert first != volume_chart(hours(sms=4), title="Volume per hour")


def test_empty_and_quiet_periods_still_render() -> None:
    for buckets in ([], hours(0, 0)):
        png = volume_chart(buckets, title="Volume per day")
        assert png.startswith(PNG_SIGNATURE)
        assert matplotlib.image.imread(io.BytesIO(png), format="png").shape[0] == int(SIZE[1] * DPI)


def test_alt_text_summarises_the_series() -> None:
    text = alt_text(hours(), title="Volume per hour")
    assert text == (
        f"Volume per hour, 24 bar groups: {sum(3 * h for h in range(24))} SMS and "
        f"{sum(2 * (24 - h) for h in range(24))} calls. Most SMS at 23:00 (69). Most calls at 00:00 (48)."
    )
    assert alt_text([], title="Volume per day") == "Volume per day: no data for this period."
    assert "No SMS or calls" in alt_text(hours(0, 0), title="Volume per day")
    many = [Bucket(START, "x" * 900, 1, 1)] * 2
    assert len(alt_text(many, title="t" * 900)) <= 1000
