"""Phone numbers: parse anything a person types into E.164, and mask numbers before they reach a log."""

from __future__ import annotations

import re

import phonenumbers

from bot.errors import InputError


def to_e164(raw: str, default_region: str = "US") -> str:
    """Normalise a number typed in any common format (`(415) 555-0100`, `+44 20 7946 0958`, `1-415-555-0100`).

    Raises `InputError` with a message a person understands when it is not a possible number.
    """
    text = raw.strip()
    if not text:
        raise InputError("Please give a phone number, e.g. +1 415 555 0100.")
    # Numbers copied from provider payloads come without "+" but with the country code (14155550100).
    region = default_region
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and len(digits) > 10 and not text.startswith("0"):
        text = "+" + digits
        region = "ZZ"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InputError(f"“{_clip(raw)}” is not a phone number I can read. Try +1 415 555 0100.") from None
    if not phonenumbers.is_possible_number(number):
        raise InputError(f"“{_clip(raw)}” does not look like a complete phone number. Try +1 415 555 0100.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(number: str) -> str:
    """`+14155550123` → `+1415•••0123`: enough to recognise a number in a log, not enough to dial it."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "•" * len(digits)
    prefix = "+" if number.strip().startswith("+") else ""
    return f"{prefix}{digits[:4]}•••{digits[-4:]}"


# Runs of 7+ digits, optionally with a leading "+" and common separators inside.
_PHONE_LIKE = re.compile(r"\+?\d[\d\-\s().]{5,}\d")


def mask_all(text: str) -> str:
    """Mask every phone-number-looking run of digits in free text (log messages, URLs)."""

    def _sub(match: re.Match[str]) -> str:
        token = match.group(0)
        digits = re.sub(r"\D", "", token)
        return mask(token) if len(digits) >= 7 else token

    return _PHONE_LIKE.sub(_sub, text)


def _clip(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
