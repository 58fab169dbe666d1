"""Inbox alerts: reading a followed LiveVox group inbox and telling what changed since the last read.

One poll round of one inbox (`AlertPoller.poll`) is owned by one process at a time (`claim_poll`: a lease
in `inbox_polls`), reads the inbox's threads through a linked agent's LiveVox session (LiveVox's thread
methods are agent-only), and files them against `inbox_threads`:
- a thread never seen before is new: its row is inserted once (the insert decides, across every worker
  and restart) and the caller posts its card to each following channel;
- at an inbox's first read, more than `SUMMARY_AT` threads already waiting are summed up in one card
  ("124 threads were already waiting") instead of a card each;
- a waiting thread that is no longer in the group inbox was taken, transferred or resolved (in Slack or in
  LiveVox itself): its state changes and its cards are updated;
- a thread whose last message is newer than the one seen has new messages (for its Slack thread).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import InboxPoll
from bot.db.repositories.alerts import (
    FollowedInbox,
    NewThreadRow,
    claim_poll,
    followed_inboxes,
    insert_threads,
    known_threads,
    poll_failed,
    polled,
)
from bot.db.session import transaction
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox.models import Thread
from bot.services.contacts import ContactBook
from bot.services.inbox import ThreadCard, card_from_thread
from bot.services.providers import Providers

__all__ = [
    "LEASE",
    "SUMMARY_AT",
    "AlertPoller",
    "Changed",
    "NewConversation",
    "PollRound",
    "Updated",
]

log = logging.getLogger(__name__)

SUMMARY_AT = 10
"""More threads than this already waiting at an inbox's first read are summed up in one card."""

LEASE = timedelta(minutes=2)
"""How long a poll round is its process's: a poller that died gives the inbox back after this."""


@dataclass(frozen=True)
class NewConversation:
    row_id: int
    card: ThreadCard


@dataclass(frozen=True)
class Changed:
    """A waiting thread left the group inbox (taken, transferred or resolved)."""

    row_id: int
    thread_id: str


@dataclass(frozen=True)
class Updated:
    """A known thread has messages newer than the last one seen."""

    row_id: int
    card: ThreadCard
    since: datetime | None


@dataclass
class PollRound:
    inbox: FollowedInbox
    poll_id: int
    new: list[NewConversation] = field(default_factory=list)
    summary: int | None = None  # threads already waiting at the first read, summed up
    changed: list[Changed] = field(default_factory=list)
    updated: list[Updated] = field(default_factory=list)


class NoReader(Exception):
    """No linked agent's LiveVox session can read the inbox (nobody linked, or none of them has it)."""


class AlertPoller:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], contacts: ContactBook) -> None:
        self.sessions = sessions
        self.contacts = contacts

    async def due(self, now: datetime) -> list[tuple[FollowedInbox, InboxPoll]]:
        """The followed inboxes whose next round is due, each claimed by this process (a lease)."""
        async with transaction(self.sessions) as session:
            inboxes = await followed_inboxes(session)
            claimed: list[tuple[FollowedInbox, InboxPoll]] = []
            for inbox in inboxes:
                row = await claim_poll(session, inbox.team_id, inbox.inbox, now=now, lease=LEASE)
                if row is not None:
                    claimed.append((inbox, row))
            return claimed

    async def reader(self, providers: Providers, inbox: FollowedInbox) -> LiveVoxClient:
        """A linked agent's session that has the inbox among its SMS inboxes."""
        for member in await self.contacts.linked_agents(inbox.team_id):
            client = providers.livevox_agent(member.livevox_login)
            if client is None:
                continue
            channels = await client.agent.channels(max_age=300)
            if any(str(c.channel_id) == inbox.inbox and not c.personal for c in channels):
                return client
        raise NoReader(f"no linked LiveVox agent has the inbox {inbox.inbox}")

    async def poll(
        self, providers: Providers, inbox: FollowedInbox, poll: InboxPoll, *, now: datetime
    ) -> PollRound:
        """Read the inbox once and file what changed (the caller owns this round: `due`)."""
        round_ = PollRound(inbox, poll.id)
        try:
            client = await self.reader(providers, inbox)
            threads = [
                t
                async for t in client.threads.list_all(inbox.inbox, "SMS", personal=False, prefetch=2)
                if t.thread_id not in (None, "")
            ]
        except Exception as error:
            async with transaction(self.sessions) as session:
                wait = await poll_failed(
                    session, poll.id, now=now, interval=inbox.interval, error=type(error).__name__
                )
            log.warning("inbox %s could not be read; next try in %s", inbox.inbox, wait, exc_info=True)
            raise
        current: dict[str, Thread] = {str(t.thread_id): t for t in threads}
        async with transaction(self.sessions) as session:
            known = await known_threads(session, inbox.team_id, inbox.inbox, list(current))
            unseen = [tid for tid in current if tid not in known]
            summarize = poll.first_polled_at is None and len(unseen) > SUMMARY_AT
            cards = {tid: card_from_thread(current[tid]) for tid in unseen}
            inserted = await insert_threads(
                session,
                inbox.team_id,
                inbox.inbox,
                [NewThreadRow(tid, cards[tid].number, cards[tid].last_at) for tid in unseen],
                summarized=summarize,
                now=now,
            )
            if summarize:
                round_.summary = len(inserted)
            else:
                round_.new = [NewConversation(row_id, cards[tid]) for tid, row_id in inserted.items()]
            for tid, row in known.items():
                if tid not in current:
                    if row.state == "waiting":
                        row.state = "left"
                        round_.changed.append(Changed(row.id, tid))
                    continue
                thread = current[tid]
                at = thread.occurred_at
                if at is not None and (row.last_message_at is None or at > row.last_message_at):
                    round_.updated.append(Updated(row.id, card_from_thread(thread), row.last_message_at))
                    row.last_message_at = at
                if row.state != "waiting":  # back in the group inbox (released, or reopened)
                    row.state = "waiting"
                    round_.changed.append(Changed(row.id, tid))
            await polled(session, poll.id, now=now, interval=inbox.interval)
        return round_
