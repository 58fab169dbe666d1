"""Answers that are a refusal or an error say so in a way a program can read, not only in words.

Such an answer is one section block whose `block_id` is `REFUSED` (the person may not do that: a role, a
number they may not see, not linked) or `FAILED` (it did not work: bad input, a provider or Switchboard
failure). Slack keeps block ids, so a client (the console's `switchboard shell -c`, which exits non-zero on
such an answer) reads the outcome from the message itself rather than guessing from its text. The message
reads exactly as a plain text answer would.
"""

from __future__ import annotations

from typing import Any

from bot.services.access import AccessDenied
from bot.slack.blocks import limits
from bot.slack.text import clip

REFUSED = "switchboard_refused"
FAILED = "switchboard_failed"
MARKERS = frozenset({REFUSED, FAILED})


def _marked(text: str, marker: str) -> dict[str, Any]:
    return {
        "text": text,
        "blocks": [
            {
                "type": "section",
                "block_id": marker,
                "text": {"type": "mrkdwn", "text": clip(text, limits.SECTION_TEXT)},
            }
        ],
    }


def refusal(text: str) -> dict[str, Any]:
    """A message payload (text and blocks) for an answer that refuses."""
    return _marked(text, REFUSED)


def failure(text: str) -> dict[str, Any]:
    """A message payload (text and blocks) for an answer that says something did not work."""
    return _marked(text, FAILED)


def for_error(error: BaseException, text: str) -> dict[str, Any]:
    """`text` (the words for `error`) marked as a refusal when the error is one, else as a failure."""
    return refusal(text) if isinstance(error, AccessDenied) else failure(text)
