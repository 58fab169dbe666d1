"""Posting to channels within Slack's limits, the same way for every feature that speaks first (digests,
alerts, reminders).

* Pacing: Slack allows about one message per second per channel (bursts tolerated, but not for long).
  `ChannelPacer` takes each post's slot from the deployment's shared rate budget, keyed per channel, the
  same budget the provider clients use (`bot.db.rate_budget.rate_budget_for`: one row per key on Postgres,
  so every worker and web process shares it; in-process on SQLite), so posts of several workers to one
  channel are spaced, not refused.
* 429: Slack refused the call (nothing was posted), so it is tried again after its `Retry-After`, a
  bounded number of times. Nothing else is retried here: a post that may have reached Slack is never sent
  again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.providers import RateBudget, RateLimit, default_limiter_registry
from bot.slack.jobs import missing_scope

if TYPE_CHECKING:
    from bot.container import Container

__all__ = [
    "ARCHIVED",
    "CHANNEL_LIMIT",
    "NOT_IN_CHANNEL",
    "ChannelPacer",
    "NotMember",
    "channel_refusal",
    "dm_actor",
    "not_a_member",
    "paced",
    "post_note",
    "update_message",
]

log = logging.getLogger(__name__)

INVITE = "Invite me first: type `/invite @Switchboard` in {channel}."

# Slack's answers for a channel Switchboard cannot post in until someone acts: the app was removed from it
# (or never invited), it was deleted or made private without the app (then it is not found), or archived.
NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found"})
ARCHIVED = "is_archived"

CHANNEL_LIMIT = RateLimit(per_second=1.0, burst=1)  # "about one message per second per channel"
RATE_LIMITED_TRIES = 5  # 429s in a row before giving up (each waits Retry-After)
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is not waited out inside a job

Sleep = Callable[[float], Awaitable[None]]


class ChannelPacer:
    """Spaces posts to each channel of a workspace by the shared budget (see the module docstring).

    `budget`: the deployment's shared budget (`rate_budget_for(engine)`); None: this process's in-process
    registry, shared by every pacer of the process.
    """

    def __init__(
        self,
        team_id: str,
        budget: RateBudget | None = None,
        *,
        limit: RateLimit = CHANNEL_LIMIT,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.team_id = team_id
        self.budget: RateBudget = budget if budget is not None else default_limiter_registry
        self.limit = limit
        self.clock = clock
        self.sleep = sleep

    async def wait(self, channel: str) -> None:
        """Return when a message may be posted to `channel` (its slot is taken)."""
        delay = await self.budget.reserve(
            ("slack", self.team_id, f"chat:{channel}"), self.limit, self.clock()
        )
        if delay > 0:
            await self.sleep(delay)


def _retry_after(error: SlackApiError) -> float | None:
    """Seconds Slack asks to wait, when it refused the call for its rate limit; else None."""
    response = error.response
    if getattr(response, "status_code", None) != 429:
        return None
    headers = response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        return 1.0


async def paced(
    pace: ChannelPacer, channel: str, call: Callable[[], Awaitable[AsyncSlackResponse]]
) -> AsyncSlackResponse:
    """`call` in the channel's next slot; on 429 (not posted) again after Retry-After, a few times."""
    for attempt in range(1, RATE_LIMITED_TRIES + 1):
        await pace.wait(channel)
        try:
            return await call()
        except SlackApiError as error:
            wait = _retry_after(error)
            if wait is None or attempt == RATE_LIMITED_TRIES or wait > MAX_RETRY_AFTER:
                raise
            log.info("Slack rate-limited a post; waiting", extra={"retry_after": wait, "attempt": attempt})
            await pace.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


async def post_note(
    client: AsyncWebClient,
    channel: str,
    message: dict[str, Any],
    pace: ChannelPacer,
    *,
    thread_ts: str | None = None,
) -> str:
    """A message (any {"text", "blocks"} payload), in the channel or in a message's thread; its ts."""
    response = await paced(
        pace,
        channel,
        lambda: client.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message.get("blocks"),
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        ),
    )
    return str(response["ts"])


async def update_message(
    client: AsyncWebClient, channel: str, ts: str, message: dict[str, Any], pace: ChannelPacer
) -> None:
    """Redraw a message the app posted (a card whose state changed)."""
    await paced(
        pace,
        channel,
        lambda: client.chat_update(
            channel=channel, ts=ts, text=message["text"], blocks=message.get("blocks")
        ),
    )


def channel_refusal(error: SlackApiError) -> str | None:
    """Slack's error code when `error` says the channel refuses Switchboard's posts for good
    (`NOT_IN_CHANNEL`, `ARCHIVED`); None for anything else (an outage, a message gone)."""
    code = error.response.get("error")
    return code if isinstance(code, str) and (code in NOT_IN_CHANNEL or code == ARCHIVED) else None


async def dm_actor(container: Container, team_id: str, actor: str | None, payload: dict[str, Any]) -> bool:
    """DM `payload` to `actor` (who set something up, as the database records it) when that is a Slack
    user, not `cli:<name>` or nobody: what speaks first tells them when their channel cannot. False when
    nothing was sent; a refusal is logged, since the caller's own record (status, audit) still says it.
    The workspace's client is asked for only when there is someone to tell."""
    if not actor or actor[:1] not in ("U", "W"):
        return False
    slack = await container.slack_for(team_id)
    try:
        await slack.chat_postMessage(channel=actor, **payload)
    except SlackApiError as error:
        log.warning("could not tell the person by DM", extra={"error": error.response.get("error")})
        return False
    return True


@dataclass(frozen=True)
class NotMember:
    """Why Switchboard cannot post in a channel: the sentence for mrkdwn and for a field error (plain)."""

    mrkdwn: str
    plain: str


async def not_a_member(client: AsyncWebClient, channel_id: str) -> NotMember | None:
    """None when the bot is in `channel_id` (conversations.info `is_member`); else how to invite it.
    A private channel the bot is not in is not found at all, which takes the same invitation."""
    name: str | None = None
    try:
        answer = await client.conversations_info(channel=channel_id)
        channel = answer.get("channel") or {}
        if channel.get("is_member") or channel.get("is_im"):
            return None
        name = str(channel.get("name") or "") or None
    except SlackApiError as error:
        code = str(error.response.get("error") or "")
        if code != "channel_not_found":
            log.warning("conversations.info failed", extra={"error": code})
            text = missing_scope(error) or (
                f"I could not check that channel with Slack ({code or 'no answer'}); please try again."
            )
            return NotMember(text, text.replace("`", ""))
    return NotMember(
        INVITE.format(channel=f"<#{channel_id}>"),
        INVITE.format(channel=f"#{name}" if name else "that channel").replace("`", ""),
    )
