"""Reading what people type after a slash command: a phone number (in any common format), then the rest."""

from __future__ import annotations

from bot.errors import InputError
from bot.phones import find_numbers, to_e164
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
    for found in find_numbers(head, region):
        if head[: found.start].strip() == "":
            return found.e164, text[found.end :].strip()
        break
    # One word the finder does not read as a number: a provider's E.164 without "+" (447700900876) is one;
    # anything else gets to_e164's clear InputError.
    first = head.split(maxsplit=1)[0]
    return to_e164(first, region), text[len(first) :].strip()


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
    """The first phone number anywhere in `text` (E.164), or None (message shortcuts), found as the slash
    commands find theirs (`bot.phones.find_numbers`). The text is bounded by Slack's message size."""
    for found in find_numbers(text, region):
        return found.e164
    return None
