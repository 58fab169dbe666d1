"""SMS segment counting: GSM-7 (with the extension table) and UCS-2 (UTF-16 code units)."""

from __future__ import annotations

import pytest

from bot.services.segments import count, is_gsm7, too_long


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Hello", "GSM-7", 5, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count 2
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 159 + "[", "GSM-7", 161, 2),
        ("{}[]~^|\\", "GSM-7", 16, 1),
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),  # the escape pair is not split across parts
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà@$\n", "GSM-7", 42, 1),
        ("ç", "UCS-2", 1, 1),  # only the capital Ç is in GSM-7
        ("é" * 10 + "ł", "UCS-2", 11, 1),
        ("ł" * 70, "UCS-2", 70, 1),
        ("ł" * 71, "UCS-2", 71, 2),
        ("ł" * 134, "UCS-2", 134, 2),
        ("ł" * 135, "UCS-2", 135, 3),
        ("😀", "UCS-2", 2, 1),  # outside the BMP: a surrogate pair
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
        ("a" * 66 + "😀" + "a" * 10, "UCS-2", 78, 2),  # the pair is not split across parts
        ("a" * 66 + "😀" + "a" * 67, "UCS-2", 135, 3),
        ("Hi 👋🏽", "UCS-2", 7, 1),
    ],
)
def test_count(text: str, encoding: str, units: int, segments: int) -> None:
    info = count(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


def test_per_segment_and_remaining() -> None:
    assert count("a" * 10).per_segment == 160 and count("a" * 10).remaining == 150
    assert count("a" * 200).per_segment == 153 and count("a" * 200).remaining == 106
    assert count("ł").per_segment == 70 and count("ł" * 80).per_segment == 67
    assert count("").remaining == 160


def test_describe() -> None:
    assert count("Hello").describe() == "5 characters · 1 segment (GSM-7)"
    assert count("😀" * 36).describe() == (
        "72 characters · 2 segments · emoji or special characters: 67 per segment (UCS-2)"
    )
    assert "UTF-16" not in count("😀").describe()


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {world} €5")
    assert not is_gsm7("naïve")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a" * 1530, None),  # 10 GSM-7 segments exactly
        ("a" * 1531, "11 SMS segments"),
        ("ł" * 670, None),
        ("ł" * 671, "11 SMS segments"),
        ("a" * 1601, "1601 characters"),
    ],
)
def test_too_long(text: str, reason: str | None) -> None:
    found = too_long(text)
    assert found is None if reason is None else (found is not None and reason in found)
