"""Phone numbers: parse anything a person types into E.164, and mask numbers before they reach a log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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


def possible_international(text: str) -> str | None:
    """The E.164 form of `text`, a number written with its country code ("+…"), when it parses as a
    possible number of that country; else None."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class FoundNumber:
    """A phone number found in text: its E.164 form and where it was written (`text[start:end]`)."""

    e164: str
    start: int
    end: int


# Written with its country code ("+44 …", "0044 …", "011 44 …"): the writer said which country it is.
_EXPLICIT = frozenset(
    {
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
    }
)


def find_numbers(text: str, default_region: str = "US") -> Iterator[FoundNumber]:
    """Every phone number in `text`, in order: the one number finder of every entry point (slash commands,
    message shortcuts), so what one accepts the other finds too.

    phonenumbers' matcher reads numbers in any common format. A number written with its country code
    (`+44 7700 900876`) counts when it is a possible number of that country, whatever the default region: the
    writer named the country, and ranges such as the UK's 07700 900xxx are possible but not "valid". A number
    written nationally must be a valid number of `default_region`: free text is full of order numbers, dates
    and amounts, and a digit run that merely could be a number must not start a lookup or a send.
    """
    matcher = phonenumbers.PhoneNumberMatcher(text, default_region, leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        number = match.number
        try:  # the matcher does not keep how the country was given; the raw match says it
            source = phonenumbers.parse(
                match.raw_string, default_region, keep_raw_input=True
            ).country_code_source
        except phonenumbers.NumberParseException:
            continue
        if source in _EXPLICIT or phonenumbers.is_valid_number(number):
            yield FoundNumber(
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                match.start,
                match.end,
            )


def pretty(raw: str | None) -> str:
    """A number as people read it, the same everywhere: `+14155550100`, `14155550100` (a sender code as
    LiveVox lists it) → "+1 415-555-0100". What is not a number (an alphanumeric sender such as
    "Switchboard", a short code) is shown as it is."""
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if not text or len(digits) < 7 or re.search(r"[A-Za-z]", text):
        return text
    candidate = text if text.startswith("+") else "+" + digits
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


MASK = "+•••••••"  # the same width whatever the number, so a log does not tell its length either


def mask(number: str) -> str:
    """`+14155550123` → `+•••••••0123`: enough to recognise a number in a log, not enough to dial it."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "•" * len(digits)
    return MASK + digits[-4:]


# What a phone number looks like in a log line, from the most certain to the least; each is matched only as
# a whole token (not inside an id like U0123456789, a decimal, or a Slack ts like 1796152028.123456).
_BEFORE = r"(?<![\w.+])"
_AFTER = r"(?![\w]|\.\d)"
# 1. "+" and 7 to 15 digits, with the separators people and providers use: +14155550123, +1 (415) 555-0199.
_INTERNATIONAL = rf"\+\d(?:[\s().-]{{0,2}}\d){{6,14}}{_AFTER}"
# 2. A North American number as it is written nationally: (415) 555-0199, 415.555.0199, 1-415-555-0199.
_NANP = rf"{_BEFORE}(?:1[\s.-])?(?:\(\d{{3}}\)\s?|\d{{3}}[\s.-])\d{{3}}[\s.-]\d{{4}}{_AFTER}"
# 3. A bare run of 10 to 15 digits, kept apart from timestamps and ids by `_is_bare_number`.
_BARE = rf"{_BEFORE}\d{{10,15}}{_AFTER}"
# 1b. The same, URL-encoded (phone_number=%2B14155550123).
_ENCODED = rf"%2[Bb]\d{{7,15}}{_AFTER}"
_PHONE_LIKE = re.compile(
    f"(?P<international>{_INTERNATIONAL})|(?P<certain>{_ENCODED}|{_NANP})|(?P<bare>{_BARE})"
)
_GROUP_END = re.compile(r"\d(?=\D|$)")


def _split_international(token: str) -> tuple[str, str]:
    """`+1 415 555 0100 7` (a number, then "7d" in `/lookup +1 415 555 0100 7d`) → the longest leading
    groups that make a possible number, and the rest, so the mask keeps the right last four digits."""
    for end in reversed([m.end() for m in _GROUP_END.finditer(token)]):
        try:
            if phonenumbers.is_possible_number(phonenumbers.parse(token[:end])):
                return token[:end], token[end:]
        except phonenumbers.NumberParseException:
            continue
    return token, ""


def _is_bare_number(digits: str) -> bool:
    """Unix times (10 digits from 1 until the year 2286, 13 in milliseconds) and numeric ids are not phone
    numbers; E.164 without its "+" (14155550123, as providers send it) and national numbers are."""
    if len(digits) == 10:
        return digits[0] != "1"  # a NANP number without country code (area codes never start with 0 or 1)
    if digits[0] == "0":
        return True  # a national number with its trunk prefix (02079460958)
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse("+" + digits))
    except phonenumbers.NumberParseException:
        return False


def mask_all(text: str) -> str:
    """Mask every phone number in free text (log messages, URLs, tracebacks, job payload dumps)."""

    def _sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if match.group("international") is not None:
            number, rest = _split_international(token)
            return mask(number) + rest
        if match.group("bare") is not None and not _is_bare_number(token):
            return token
        return mask(token.removeprefix("%2B").removeprefix("%2b"))

    return _PHONE_LIKE.sub(_sub, text)


def _clip(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
