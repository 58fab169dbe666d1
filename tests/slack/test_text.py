"""Text for Slack: outside text shows literally, clipping never breaks an escape, friendly formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.slack.text import ELLIPSIS, clip, duration, escape, plural, when


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<#C123|general>", "&lt;#C123|general&gt;"),
        ("<https://evil|click>", "&lt;https://evil|click&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("1 < 2 > 0", "1 &lt; 2 &gt; 0"),
        ("&amp;", "&amp;amp;"),  # already-escaped looking text is still shown literally
        ("*bold* _it_ `code`", "*bold* _it_ `code`"),  # formatting chars are not control sequences
        (12345, "12345"),
    ],
)
def test_escape_shows_outside_text_literally(raw: object, shown: str) -> None:
    assert escape(raw) == shown


def test_escaped_text_has_no_control_sequence_left() -> None:
    nasty = "<!channel> <@U123> <https://evil|click> & < >" * 3
    assert "<" not in escape(nasty) and ">" not in escape(nasty)
    assert re.sub(r"&(amp|lt|gt);", "", escape(nasty)).count("&") == 0


def test_clip_leaves_short_text_alone() -> None:
    assert clip("hello", 5) == "hello"
    assert clip("", 3) == ""


def test_clip_marks_the_cut_within_the_limit() -> None:
    clipped = clip("x" * 100, 10)
    assert len(clipped) == 10 and clipped.endswith(ELLIPSIS)


def test_clip_never_splits_an_escape_sequence() -> None:
    text = escape("a&b<c>d & <@U1> " * 40)
    for limit in range(2, len(text) + 1):
        clipped = clip(text, limit)
        assert len(clipped) <= limit
        body = clipped.removesuffix(ELLIPSIS)
        # Every & still starts a whole entity: nothing like "&am" or "&l" at the end.
        assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*", body), (limit, body[-8:])


def test_when_is_a_slack_date_token_with_an_absolute_fallback() -> None:
    """Each reader's Slack shows the time in their own zone; the fallback is absolute and says UTC."""
    now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    moment = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
    assert when(moment, now=now) == (
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-22 09:05 UTC>"
    )
    eastern = timezone(timedelta(hours=-5))
    local = datetime(2026, 11, 21, 23, 30, tzinfo=eastern)
    token = f"<!date^{int(local.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-22 04:30 UTC>"
    assert when(local) == token
    # one format whatever the day: no "today … UTC" next to "2026-11-20 … UTC"
    assert "today" not in when(moment, now=now) and "today" not in when(moment - timedelta(days=3), now=now)


def test_duration_and_plural() -> None:
    assert when(None) == "–"
    assert [duration(s) for s in (None, 0, 59, 61, 3600 + 120)] == ["–", "0s", "59s", "1m 01s", "1h 02m"]
    assert plural(1, "event") == "1 event" and plural(2, "event") == "2 events"
    assert plural(3, "reply", "replies") == "3 replies"


def test_numbers_read_one_way_and_sentences_end_with_a_period() -> None:
    from bot.slack.text import pretty_number, sentence

    assert pretty_number("+14155550100") == pretty_number("14155550100") == "+1 415-555-0100"
    assert pretty_number("Switchboard") == "Switchboard" and pretty_number("12345") == "12345"
    assert sentence("U1 is not linked in this workspace") == "U1 is not linked in this workspace."
    for done in ("Done.", "Really?", "Usage: `/lookup &lt;number&gt;`", "Sent ✓", "clipped…"):
        assert sentence(done) == done
