"""Alerts speak first: the poller's tick, the cards it posts and redraws, the conversation's Slack thread,
and the reminders.

The tick (a procrastinate periodic task, `SWITCHBOARD_ALERTS_TICK_SECONDS`) reads every followed inbox
whose round is due (`AlertPoller.due`: a lease per inbox, so one poller per inbox across every worker) and
then works from the database, not from what it read, so a worker that dies midway leaves nothing undone:
- each new thread's card is claimed per channel (a unique row) and posted once; until every channel has
  it the thread stays unannounced and the next round posts the rest;
- a thread whose state changed (taken, transferred, resolved, read, a new message) has its cards redrawn;
- messages a card's Slack thread lacks (`replied_through`) are posted there, oldest first: the customer's,
  and replies, named by who sent them through Switchboard (the outbox knows) or "in LiveVox";
- reminders due are claimed once per waiting message and posted in the cards' threads.
A channel that refuses the posts for good (the app was removed from it, it was archived or deleted) has its
alerts turned off, saying why (`/switchboard channel` shows it), and whoever turned them on is told: the
other channels go on as before.
Changes made from a card (`refresh`) are written to the row first and the card redrawn at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.db.models import InboxPoll, InboxThread
from bot.db.repositories.alerts import (
    FollowedInbox,
    announced,
    card_posted,
    cards_of,
    claim_cards,
    note_change,
    outbox_senders,
    release_reminder,
    replied,
    stop_alerts,
    thread_row,
    unannounced,
)
from bot.db.repositories.audit import AuditRepository
from bot.db.session import transaction
from bot.services.alerts import AlertPoller, PollRound, Reminder, Updated
from bot.services.send_guard import SWITCHBOARD_ACTOR
from bot.slack.alerts.blocks import (
    STOPPED_ARCHIVED,
    STOPPED_NOT_IN_CHANNEL,
    card_message,
    reminder_message,
    reply_message,
    stopped_message,
    summary_message,
)
from bot.slack.posting import (
    ARCHIVED,
    ChannelPacer,
    channel_refusal,
    dm_actor,
    post_note,
    update_message,
)

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.settings import Settings

log = logging.getLogger(__name__)

TICK_TASK = "sb:alerts_tick"  # "sb:" tasks are housekeeping: `wait_idle` does not wait for them

# One tick at a time in a process: a tick slower than the period is not joined by the next one reading the
# same inboxes (other processes are kept apart by the leases and claims), and a tick run by hand (the
# console, a test) waits for the periodic one instead of racing it.
_TICKING: weakref.WeakKeyDictionary[Container, asyncio.Lock] = weakref.WeakKeyDictionary()


def install(runner: JobRunner[Container]) -> None:
    """Alerts have no job of their own: the tick does the work (its rounds are leased per inbox)."""
    del runner


def install_periodic(runner: JobRunner[Container], settings: Settings) -> None:
    async def every_tick(container: Container, timestamp: int) -> None:
        await tick(container)

    runner.periodic(TICK_TASK, every_seconds=settings.alerts_tick_seconds, handler=every_tick)


async def tick(container: Container) -> list[PollRound]:
    """One pass: every due inbox read (concurrently) and filed, then the reminders; answers the rounds."""
    async with _TICKING.setdefault(container, asyncio.Lock()):
        return await _tick(container)


async def _tick(container: Container) -> list[PollRound]:
    now = container.clock.now()
    poller = AlertPoller(container.sessions, container.contacts)
    due = await poller.due(now)
    results = await asyncio.gather(
        *(_round(container, poller, inbox, poll, now) for inbox, poll in due), return_exceptions=True
    )
    rounds: list[PollRound] = []
    for (inbox, _), result in zip(due, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("alerts for inbox %s failed", inbox.inbox, exc_info=result)
        else:
            rounds.append(result)
    for reminder in await poller.reminders(now):
        await _remind(container, reminder, now)
    return rounds


async def _round(
    container: Container, poller: AlertPoller, inbox: FollowedInbox, poll: InboxPoll, now: datetime
) -> PollRound:
    providers = await container.providers.for_team(inbox.team_id)
    round_ = await poller.poll(providers, inbox, poll, now=now)
    pace = ChannelPacer(inbox.team_id, container.rate_budget)
    slack = await container.slack_for(inbox.team_id)
    if round_.summary:
        name = _inbox_name(round_) or f"inbox {inbox.inbox}"
        for channel in inbox.channels:
            try:
                await post_note(slack, channel, summary_message(round_.summary, name), pace)
            except SlackApiError as error:
                if not await refused(container, inbox.team_id, channel, error):
                    raise
    await announce(container, inbox, pace)
    for changed in round_.changed:
        await redraw(container, inbox.team_id, changed.row_id, pace)
    for updated in round_.updated:
        await post_replies(container, inbox.team_id, updated, pace)
    return round_


def _inbox_name(round_: PollRound) -> str | None:
    for new in round_.new:
        return new.card.inbox
    return None


async def announce(container: Container, inbox: FollowedInbox, pace: ChannelPacer) -> int:
    """Post the cards of the inbox's new threads that some following channel lacks; the cards posted."""
    async with container.sessions() as session:
        rows = await unannounced(session, inbox.team_id, inbox.inbox)
    posted = 0
    slack = await container.slack_for(inbox.team_id) if rows else None
    stopped: set[str] = set()  # channels whose alerts a refusal turned off in this round
    for row in rows:
        async with transaction(container.sessions) as session:
            following = [channel for channel in inbox.channels if channel not in stopped]
            channels = await claim_cards(session, inbox.team_id, row.id, following)
        for channel in channels:
            assert slack is not None
            try:
                ts = await post_note(slack, channel, card_message(row), pace)
            except SlackApiError as error:  # the others still get it
                log.warning(
                    "alert card not posted", extra={"channel": channel, "error": error.response.get("error")}
                )
                if await refused(container, inbox.team_id, channel, error):
                    stopped.add(channel)
                continue
            async with transaction(container.sessions) as session:
                await card_posted(session, row.id, channel, ts)
                card = next(c for c in await cards_of(session, row.id) if c.channel_id == channel)
                if row.last_message_at is not None:
                    await replied(session, card.id, row.last_message_at)
            posted += 1
        async with transaction(container.sessions) as session:
            await announced(session, row.id)
    return posted


async def redraw(container: Container, team_id: str, row_id: int, pace: ChannelPacer) -> None:
    """Draw the thread's card again in every channel it was posted to."""
    async with container.sessions() as session:
        row = await thread_row(session, team_id, row_id)
        cards = await cards_of(session, row_id) if row is not None else []
    if row is None or not cards:
        return
    slack = await container.slack_for(team_id)
    for card in cards:
        if card.ts is None:
            continue
        try:
            await update_message(slack, card.channel_id, card.ts, card_message(row), pace)
        except SlackApiError as error:  # the card was deleted in Slack: nothing to redraw there
            log.info("alert card not redrawn", extra={"error": error.response.get("error")})
            await refused(container, team_id, card.channel_id, error)


async def refresh(
    container: Container,
    team_id: str,
    row_id: int,
    *,
    note: str,
    state: str | None = None,
    holder_user: str | None = None,
    holder: str | None = None,
    read: bool | None = None,
) -> InboxThread | None:
    """A change made from a card (take, transfer, resolve, read): written to the row (so the next round
    does not announce it again as seen in LiveVox) and the card redrawn everywhere. `state` None: where
    the thread is does not change (marked read or unread)."""
    async with transaction(container.sessions) as session:
        row = await note_change(
            session,
            team_id,
            row_id,
            state=state,
            holder_user=holder_user,
            holder=holder,
            note=note,
            read=read,
        )
    if row is not None:
        await redraw(container, team_id, row_id, ChannelPacer(team_id, container.rate_budget))
    return row


async def post_replies(container: Container, team_id: str, updated: Updated, pace: ChannelPacer) -> None:
    """Post into each card's Slack thread the conversation's messages it lacks, oldest first."""
    async with container.sessions() as session:
        row = await thread_row(session, team_id, updated.row_id)
        cards = await cards_of(session, updated.row_id)
        senders = await outbox_senders(session, team_id, row.thread_id) if row is not None else []
    slack = await container.slack_for(team_id)
    for card in cards:
        if card.ts is None:
            continue
        for entry in updated.messages:
            if entry.at is None or (card.replied_through is not None and entry.at <= card.replied_through):
                continue
            sender = None if entry.inbound else _sender(senders, entry.text)
            try:
                await post_note(slack, card.channel_id, reply_message(entry, sender), pace, thread_ts=card.ts)
            except SlackApiError as error:
                log.warning("conversation message not posted", extra={"error": error.response.get("error")})
                await refused(container, team_id, card.channel_id, error)
                break
            async with transaction(container.sessions) as session:
                await replied(session, card.id, entry.at)


def _sender(senders: Sequence[tuple[str, str]], text: str) -> str | None:
    """Who sent this text to the thread through Switchboard (the newest matching outbox row)."""
    for body, user in senders:
        if body.strip() == text.strip():
            return user
    return None


async def _remind(container: Container, reminder: Reminder, now: datetime) -> None:
    async with container.sessions() as session:
        cards = await cards_of(session, reminder.row_id)
    pace = ChannelPacer(reminder.team_id, container.rate_budget)
    slack = await container.slack_for(reminder.team_id)
    tried = posted = False
    for card in cards:
        if card.ts is None or card.channel_id not in reminder.channels:
            continue
        tried = True
        try:
            await post_note(
                slack, card.channel_id, reminder_message(reminder, now=now), pace, thread_ts=card.ts
            )
            posted = True
        except SlackApiError as error:
            log.warning("reminder not posted", extra={"error": error.response.get("error")})
            await refused(container, reminder.team_id, card.channel_id, error)
    if tried and not posted:  # nobody was reminded: the claim goes back, and the next round tries again
        async with transaction(container.sessions) as session:
            await release_reminder(
                session, reminder.row_id, escalate=reminder.escalate, waiting_since=reminder.waiting_since
            )


async def refused(container: Container, team_id: str, channel_id: str, error: SlackApiError) -> bool:
    """True when Slack refuses posts in `channel_id` for good (`channel_refusal`): its alerts are turned
    off once, saying why (audited as `alerts.stopped`), and whoever turned them on is told, since the
    channel cannot tell them. Every card would be refused the same way until someone acts."""
    code = channel_refusal(error)
    if code is None:
        return False
    reason = STOPPED_ARCHIVED if code == ARCHIVED else STOPPED_NOT_IN_CHANNEL
    async with transaction(container.sessions) as session:
        row = await stop_alerts(session, team_id, channel_id, reason=reason, now=container.clock.now())
        if row is not None:
            await AuditRepository(session, team_id).record(
                SWITCHBOARD_ACTOR,
                "alerts.stopped",
                target_type="channel",
                target_id=channel_id,
                outcome="failed",
                details={"error": code, "reason": reason},
            )
    if row is None:  # off already (another worker met the same refusal)
        return True
    log.warning("alerts turned off: the channel refuses them", extra={"channel": channel_id, "error": code})
    await dm_actor(container, team_id, row.alerts_by, stopped_message(channel_id, reason))
    return True
