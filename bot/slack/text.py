"""Text for Slack: escaping outside text for mrkdwn, clipping to Slack's limits, friendly formats."""

from __future__ import annotations

from datetime import UTC, datetime

ELLIPSIS = "…"


def escape(text: object) -> str:
    """Make outside text (SMS bodies, names, template text) show literally in mrkdwn.

    Slack's control sequences all start with `<` (`<!channel>`, `<@U123>`, `<https://x|y>`), so escaping
    `&`, `<` and `>` as Slack documents is enough to keep them from pinging, mentioning or linking.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_text(error: BaseException) -> str:
    """A `SwitchboardError`'s message for mrkdwn. Escaped because it may quote what the person typed and
    usage lines hold placeholders like `<number>`, which Slack would otherwise read as links."""
    return escape(str(error))


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
    """`2026-11-20 14:05 UTC`, or `today 14:05 UTC`; the same in every surface."""
    if moment is None:
        return "–"
    moment = moment.astimezone(UTC)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if moment.date() == now.date():
        return f"today {moment:%H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "–"
    total = int(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"
