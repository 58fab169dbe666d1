"""Reading what people type after a slash command: a phone number (in any common format), then the rest."""

from __future__ import annotations

import phonenumbers

from bot.errors import InputError
from bot.phones import to_e164
from bot.services.time_range import looks_like_range

# The number comes first and is never longer than this, however it is typed ("+1 (415) 555-0100 ext. 12"),
# so the matcher, which runs before the ack, reads only this much of a text of any size.
NUMBER_HEAD = 100


def split_number(text: str, region: str) -> tuple[str, str]:
    """`+1 (415) 555-0100 hello` → (`+14155550100`, `hello`). The number must come first."""
    text = text.strip()
    if not text:
        raise InputError("Please give a phone number, e.g. `+1 415 555 0100`.")
    head = text[:NUMBER_HEAD]
    for match in phonenumbers.PhoneNumberMatcher(head, region, leniency=phonenumbers.Leniency.POSSIBLE):
        if head[: match.start].strip() == "":
            number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            return number, text[match.end :].strip()
        break
    first = head.split(maxsplit=1)[0]
    return to_e164(first, region), text[
        len(first) :
    ].strip()  # raises a clear InputError when it is not a number


def number_and_range(args: list[str], region: str) -> tuple[str, str | None]:
    """`<number> [range]`, where the number may be typed with spaces."""
    if not args:
        raise InputError("Please give a phone number, e.g. `+1 415 555 0100`.")
    range_text = args[-1] if len(args) > 1 and looks_like_range(args[-1]) else None
    words = args[:-1] if range_text else args
    number, rest = split_number(" ".join(words), region)
    if rest:
        raise InputError(
            f"I don't understand `{rest}` after the number. "
            "Ranges look like `7d` or `2026-10-01..2026-10-31`."
        )
    return number, range_text


def first_number(text: str, region: str) -> str | None:
    """The first valid phone number anywhere in `text` (E.164), or None (message shortcuts).

    Leniency VALID (the default) rather than POSSIBLE: a message is free text full of order numbers,
    dates and amounts, and a digit run that merely could be a number should not start a lookup or a send.
    The text is bounded by Slack's message size.
    """
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None
