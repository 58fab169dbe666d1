"""Reading what people type after a slash command: a phone number (in any common format), then the rest."""

from __future__ import annotations

import itertools
import re

from bot.errors import InputError
from bot.phones import find_numbers, possible_international, to_e164
from bot.services.time_range import RANGE_HELP, looks_like_range

# The number comes first and is never longer than this, however it is typed ("+1 (415) 555-0100 ext. 12"),
# so the matcher, which runs before the ack, reads only this much of a text of any size.
NUMBER_HEAD = 100
# A word of a dialled number: digits and the separators people type ("+1", "(415)", "555-0100").
_DIALLED = re.compile(r"[+(]?[\d().-]+")


# A text that is only a number written with its country code, in groups ("+1 415 555 0100", "+44-20-7946-
# 0958"): the way most numbers are typed. No brackets, slashes or letters, which the matcher's own rules
# (dates, page ranges, extensions) are about.
_INTERNATIONAL_ALONE = re.compile(r"\+[0-9](?:[ .-]?[0-9]){5,19}")


def split_number(text: str, region: str) -> tuple[str, str]:
    """`+1 (415) 555-0100 hello` → (`+14155550100`, `hello`). The number must come first."""
    text = text.strip()
    if not text:
        raise InputError("Please give a phone number, e.g. `+1 415 555 0100`.")
    if _INTERNATIONAL_ALONE.fullmatch(text):
        # phonenumbers' matcher takes such a text whole when it parses as a possible number (its first
        # candidate is the whole run of digits and separators, and "+" says the country), and that is all
        # it checks at this leniency: the same answer, asked directly, for a third of the matcher's CPU
        # (before the ack of every /lookup). Anything else, this included when it is not possible, is
        # the matcher's to read (tests/slack/test_parsing.py holds the two to the same answers).
        number = possible_international(text)
        if number is not None:
            return number, ""
    return _split_by_matcher(text, region)


def _split_by_matcher(text: str, region: str) -> tuple[str, str]:
    head = text[:NUMBER_HEAD]
    for found in find_numbers(head, region):
        if head[: found.start].strip() == "":
            return found.e164, text[found.end :].strip()
        break
    # The matcher gives up when a number runs into the next word ("+1 415 555 0100 7x"): try the leading
    # words, longest first, and quote all of what looks like the number when none of them is one.
    words = head.split()
    dialled = list(itertools.takewhile(lambda w: _DIALLED.fullmatch(w) is not None, words)) or words[:1]
    for count in range(len(dialled), 0, -1):
        try:
            number = to_e164(" ".join(dialled[:count]), region)
        except InputError:
            continue
        end = re.match(rf"\s*(?:\S+\s*){{{count}}}", text)
        return number, text[end.end() if end else len(text) :].strip()
    return to_e164(" ".join(dialled), region), ""  # raises a clear InputError naming what was typed


def number_and_range(args: list[str], region: str) -> tuple[str, str | None]:
    """`<number> [range]`, where the number may be typed with spaces. A wrong word is named: two ranges
    (`… 0100 7d 30d`) are "one range, please", not "“+1” is not a phone number"."""
    if not args:
        raise InputError("Please give a phone number, e.g. `+1 415 555 0100`.")
    words = list(args)
    ranges: list[str] = []
    while len(words) > 1 and looks_like_range(words[-1]):
        ranges.insert(0, words.pop())
    if len(ranges) > 1:
        listed = " and ".join(f"`{r}`" for r in ranges)
        raise InputError(f"{listed} are {len(ranges)} ranges; give one. {RANGE_HELP}")
    number, rest = split_number(" ".join(words), region)
    if rest:
        stray = next((w for w in rest.split() if looks_like_range(w)), None)
        if stray is not None and ranges:
            raise InputError(f"`{stray}` and `{ranges[0]}` are two ranges; give one. {RANGE_HELP}")
        raise InputError(f"I don't understand `{rest}` after the number. {RANGE_HELP}")
    return number, (ranges[0] if ranges else None)


def first_number(text: str, region: str) -> str | None:
    """The first phone number anywhere in `text` (E.164), or None (message shortcuts), found as the slash
    commands find theirs (`bot.phones.find_numbers`). The text is bounded by Slack's message size."""
    for found in find_numbers(text, region):
        return found.e164
    return None


# A person picked as one types `@` (with should_escape, /switchboard gets `<@U0123|name>`).
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def mentioned_user(word: str) -> str:
    """The Slack user id of a picked `@person`; raises with words for anything else."""
    match = USER_MENTION.match(word.strip())
    if match is None:
        raise InputError(f"`{word}` is not a Slack user: mention them, e.g. `@alex`.")
    return match.group(1)


# A channel picked from Slack's list as the person types `#` arrives as `<#C0123|name>` (or `<#C0123>`);
# one typed in full without picking it arrives as plain `#name`, which names no channel Slack vouches for.
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
BARE_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9_-]*$")
PICK_CHANNEL = "Pick the channel from Slack's list as you type `#`, so that Slack sends which one it is."


def mentioned_channel(word: str) -> str | None:
    """The channel id of a picked `#channel`, None when `word` is not one; raises when it was typed
    without picking it (Slack then sends only its name)."""
    word = word.strip()
    if found := CHANNEL_MENTION.match(word):
        return found.group(1)
    if BARE_CHANNEL.match(word):
        raise InputError(PICK_CHANNEL)
    return None


_AT_FLAG = re.compile(r"(?:^|\s)--at(?:=|\s+|$)", re.IGNORECASE)
_QUOTES = {'"': '"', "“": "”", "”": "”", "'": "'", "‘": "’"}


def split_at(text: str) -> tuple[str, str | None]:
    """`hello there --at "tomorrow 9am"` → (`hello there`, `tomorrow 9am`). The time is quoted
    (anywhere), or runs to the end of the text when it is not (`hi --at tomorrow 9am`). Slack's curly
    quotes count. No `--at`: (text, None)."""
    found = _AT_FLAG.search(text)
    if found is None:
        return text, None
    before, rest = text[: found.start()], text[found.end() :]
    close = _QUOTES.get(rest[:1])
    if close is not None:
        end = rest.find(close, 1)
        if end < 0:
            raise InputError('The time after `--at` has no closing quote: `--at "tomorrow 9am"`.')
        when, after = rest[1:end], rest[end + 1 :]
    else:
        when, after = rest, ""
    when = when.strip()
    if not when:
        raise InputError('Say when after `--at`, e.g. `--at "tomorrow 9am"`.')
    return " ".join(part for part in (before.strip(), after.strip()) if part), when
