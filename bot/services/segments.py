"""How many SMS segments a text takes (pure; no Slack, no providers).

GSM 03.38: a text made only of the GSM-7 basic table (plus the extension table, whose characters take an
escape and therefore count 2) is sent in 7-bit septets: 160 per single SMS, 153 per part of a
concatenated SMS (the user data header takes 7). Any other character switches the whole text to UCS-2:
70 per single SMS, 67 per part, counted in UTF-16 code units, so an emoji outside the BMP counts 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM-7 default alphabet (the escape 0x1B included, as carriers count it)."""

GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The GSM-7 extension table: each character is sent as escape + character, so it counts 2."""

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

MAX_SEGMENTS = 10
"""Switchboard refuses texts longer than this many segments: carriers drop or split longer ones."""

MAX_CHARS = 1600
"""…and longer than this many characters, whatever the encoding."""


@dataclass(frozen=True)
class SegmentInfo:
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int  # 0 for the empty text
    per_segment: int  # the capacity of one segment at this length (160/153 or 70/67)

    @property
    def remaining(self) -> int:
        """Units left in the last segment before one more is needed."""
        if self.segments == 0:
            return self.per_segment
        return max(0, self.segments * self.per_segment - self.units)

    def describe(self) -> str:
        """What the preview and the modal show, plain words first and the encoding's name last:
        `42 characters · 1 segment (GSM-7)`, or for text with emoji or accents outside the SMS alphabet
        `86 characters · 2 segments · emoji or special characters: 67 per segment (UCS-2)`."""
        segs = "1 segment" if self.segments == 1 else f"{self.segments} segments"
        if self.encoding == "GSM-7":
            return f"{self.units} characters · {segs} (GSM-7)"
        special = f"emoji or special characters: {self.per_segment} per segment"
        return f"{self.units} characters · {segs} · {special} (UCS-2)"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def count(text: str) -> SegmentInfo:
    """The encoding, length in units and number of segments of `text`."""
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return _info("GSM-7", sizes, GSM7_SINGLE, GSM7_PART)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # UTF-16: astral characters are surrogate pairs
    return _info("UCS-2", sizes, UCS2_SINGLE, UCS2_PART)


def _info(encoding: Encoding, sizes: list[int], single: int, part: int) -> SegmentInfo:
    units = sum(sizes)
    if units == 0:
        return SegmentInfo(encoding, 0, 0, single)
    if units <= single:
        return SegmentInfo(encoding, units, 1, single)
    # Phones never split an escape sequence or a surrogate pair across two parts, so a 2-unit character
    # that does not fit at the end of a part starts the next one.
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SegmentInfo(encoding, units, segments, part)


def too_long(text: str) -> str | None:
    """Why `text` is too long to send, or None when it is fine."""
    info = count(text)
    if len(text) > MAX_CHARS:
        return f"The message is {len(text)} characters; the limit is {MAX_CHARS}."
    if info.segments > MAX_SEGMENTS:
        return (
            f"The message needs {info.segments} SMS segments ({info.encoding}); the limit is {MAX_SEGMENTS}."
        )
    return None
