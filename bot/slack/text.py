"""Text for Slack: escaping outside text for mrkdwn, clipping to Slack's limits, friendly formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.phones import pretty

ELLIPSIS = "…"


# Characters that change how the text around them reads without showing themselves: bidirectional
# embeddings, overrides and isolates (U+202E makes "exe.txt" display as "txt.exe"), directional marks,
# zero-width spaces, word joiners and BOMs that hide text inside words or links, NUL and the other C0/C1
# controls except tab and newline. All are dropped from outside text.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Zero-width (non-)joiners are part of writing in emoji (👩‍💻), Indic and Persian text, so they are kept
# between two non-ASCII characters; next to ASCII or a space they only hide something (`pay\u200cpal`).
_WIDE = "[^\x00-\x7f\\s\u200c\u200d]"
_STRAY_JOINER = re.compile(f"(?<!{_WIDE})[\u200c\u200d]|[\u200c\u200d](?!{_WIDE})")


def clean(text: object) -> str:
    """Outside text without what could make it read differently from how it shows: invisible and
    direction-changing characters removed, a CR LF or lone CR turned into LF (Slack shows CR as is)."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _STRAY_JOINER.sub("", _INVISIBLE.sub("", value))


def escape(text: object) -> str:
    """Make outside text (SMS bodies, names, template text) show literally in mrkdwn.

    Slack's control sequences all start with `<` (`<!channel>`, `<@U123>`, `<https://x|y>`), so escaping
    `&`, `<` and `>` as Slack documents is enough to keep them from pinging, mentioning or linking. The text
    is `clean()`ed first, so everything escaped is also free of direction overrides and hidden characters.
    """
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Of what the person typed, an answer quotes back at most this much: enough to recognise it, while a 40 kB
# paste is not echoed into the channel (Slack caps a message's text at 40,000 characters anyway).
ECHO_LIMIT = 100
ANSWER_LIMIT = 3000  # a section block's text limit; no error message needs more
_QUOTED = re.compile(f"`([^`\n]{{{ECHO_LIMIT + 1},}})`")


def error_text(error: BaseException) -> str:
    """A `SwitchboardError`'s message for mrkdwn. Escaped because it may quote what the person typed and
    usage lines hold placeholders like `<number>`, which Slack would otherwise read as links; long quotes
    (`` `…` ``) are shortened and the whole answer is capped."""
    quoted = _QUOTED.sub(lambda match: f"`{clip(match[1], ECHO_LIMIT)}`", escape(str(error)))
    return clip(sentence(quoted), ANSWER_LIMIT)


def sentence(text: str) -> str:
    """End a sentence with a period (`… is not linked in this workspace` → `….`), leaving text that ends in
    punctuation, a closing quote, an emoji or code (`Usage: `/lookup …``) as it is."""
    stripped = text.rstrip()
    if stripped and (stripped[-1].isalnum() or stripped[-1] in ")"):
        return stripped + "."
    return text


def clip(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, marking the cut, without splitting an escape sequence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp <= 5:
        cut = cut[:amp]  # do not leave a half "&amp;" behind
    return cut + ELLIPSIS


def when(moment: datetime | None, *, now: datetime | None = None) -> str:
    """A time as Slack's date token, `<!date^1796152028^{date_short_pretty} {time}|2026-11-30 23:04 UTC>`,
    so each reader sees it in their own time zone ("Today 3:04 PM", "Nov 30, 2026 6:04 PM"); the same in
    every surface (timelines, SMS logs, calls, threads, App Home, audit).

    The fallback, shown where Slack cannot format dates (notifications, old clients), is absolute and says
    its zone. A token is not formatted inside `code`, so callers never put one in backticks. `now` is
    accepted for callers that pass the moment they render at; the reader's client decides "today"."""
    del now
    if moment is None:
        return "–"
    moment = moment.astimezone(UTC)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def ago(moment: datetime) -> str:
    """ "3 minutes ago", as Slack's date token: each reader's client keeps it current (a card posted an
    hour ago still says how long the customer has waited)."""
    moment = moment.astimezone(UTC)
    return f"<!date^{int(moment.timestamp())}^{{ago}}|since {moment:%Y-%m-%d %H:%M} UTC>"


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "–"
    total = int(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def short_duration(seconds: int) -> str:
    """A setting's wait as typed: 30s, 10m, 1h, 1h 30m."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return " ".join(p for p in parts if p) or "0s"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def pretty_number(e164: str) -> str:
    """+14155550100 → "+1 415-555-0100" (as the number's country writes it); sender codes as LiveVox
    lists them (14155550150) read the same way, names and short codes stay as they are."""
    return pretty(e164) or e164
