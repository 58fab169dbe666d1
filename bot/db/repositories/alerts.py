"""The alert poller's rows: which inboxes are followed, who polls each one now, the threads seen, the cards.

Every "once" here is decided by the database, never by a process's memory: a poll round is owned by the
process whose conditional update moved `next_poll_at` (a lease: a poller that dies gives the inbox back
when the lease ends), a thread is new for the one insert that created its row, and a card is posted by
the one insert that claimed it (ts still empty) for its channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AlertCard, ChannelMapping, InboxPoll, InboxThread, SmsMessage, Workspace

MAX_BACKOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class FollowedInbox:
    """A LiveVox group inbox that one or more channels of a workspace follow with alerts on."""

    team_id: str
    inbox: str  # the LiveVox service id of the group inbox
    channels: tuple[str, ...]
    interval: timedelta  # the shortest of its channels' intervals


async def _insert(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT (both have ON CONFLICT DO NOTHING ... RETURNING)."""
    dialect = (await session.connection()).dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def followed_inboxes(session: AsyncSession) -> list[FollowedInbox]:
    """Every workspace's followed inboxes (installed workspaces only), in one query."""
    rows = await session.execute(
        select(
            ChannelMapping.team_id,
            ChannelMapping.livevox_service_id,
            ChannelMapping.channel_id,
            ChannelMapping.alerts_interval_seconds,
        )
        .join(Workspace, Workspace.team_id == ChannelMapping.team_id)
        .where(
            ChannelMapping.alerts_enabled.is_(True),
            ChannelMapping.livevox_service_id.is_not(None),
            Workspace.uninstalled_at.is_(None),
        )
        .order_by(ChannelMapping.team_id, ChannelMapping.livevox_service_id, ChannelMapping.channel_id)
    )
    found: dict[tuple[str, str], tuple[list[str], int]] = {}
    for team_id, inbox, channel, seconds in rows.all():
        channels, shortest = found.setdefault((team_id, str(inbox)), ([], seconds or 30))
        channels.append(channel)
        found[(team_id, str(inbox))] = (channels, min(shortest, seconds or 30))
    return [
        FollowedInbox(team, inbox, tuple(channels), timedelta(seconds=max(5, seconds)))
        for (team, inbox), (channels, seconds) in found.items()
    ]


async def claim_poll(
    session: AsyncSession, team_id: str, inbox: str, *, now: datetime, lease: timedelta
) -> InboxPoll | None:
    """Own the inbox's next poll round, or None when it is not due or another process has it."""
    insert = await _insert(session)
    await session.execute(
        insert(InboxPoll)
        .values(team_id=team_id, inbox=inbox, failures=0)
        .on_conflict_do_nothing(index_elements=[InboxPoll.team_id, InboxPoll.inbox])
    )
    result = await session.execute(
        update(InboxPoll)
        .where(
            InboxPoll.team_id == team_id,
            InboxPoll.inbox == inbox,
            or_(InboxPoll.next_poll_at.is_(None), InboxPoll.next_poll_at <= now),
        )
        .values(next_poll_at=now + lease)
        .returning(InboxPoll)
    )
    return result.scalars().first()


async def polled(session: AsyncSession, poll_id: int, *, now: datetime, interval: timedelta) -> None:
    """A round succeeded: the next is due after the interval (a caught-up poller keeps its pace)."""
    row = await session.get(InboxPoll, poll_id)
    if row is None:
        return
    row.first_polled_at = row.first_polled_at or now
    row.last_polled_at = now
    row.next_poll_at = now + interval
    row.failures = 0
    row.last_error = None


async def poll_failed(
    session: AsyncSession, poll_id: int, *, now: datetime, interval: timedelta, error: str
) -> timedelta:
    """A round failed: back off (doubling, at most ten minutes) and answer the wait."""
    row = await session.get(InboxPoll, poll_id)
    if row is None:
        return interval
    row.failures += 1
    wait: timedelta = min(interval * 2 ** min(row.failures, 10), MAX_BACKOFF)
    row.next_poll_at = now + wait
    row.last_error = error
    return wait


async def known_threads(
    session: AsyncSession, team_id: str, inbox: str, thread_ids: Sequence[str]
) -> dict[str, InboxThread]:
    """The rows of these threads, and of every thread still followed (waiting in the group inbox, or held
    by someone linked), to notice it moved or left."""
    rows = await session.execute(
        select(InboxThread).where(
            InboxThread.team_id == team_id,
            InboxThread.inbox == inbox,
            or_(
                InboxThread.thread_id.in_(list(thread_ids)),
                InboxThread.state.in_(("waiting", "taken")),
            ),
        )
    )
    return {row.thread_id: row for row in rows.scalars()}


@dataclass(frozen=True)
class NewThreadRow:
    thread_id: str
    number: str | None
    last_message_at: datetime | None
    read: bool | None = None
    snapshot: dict[str, Any] | None = None
    answered: bool = False  # its last message is ours: nobody is waiting for an answer


async def insert_threads(
    session: AsyncSession,
    team_id: str,
    inbox: str,
    threads: Sequence[NewThreadRow],
    *,
    summarized: bool,
    now: datetime,
) -> dict[str, int]:
    """Insert rows for threads not seen before; {thread id: row id} of the rows THIS call inserted."""
    if not threads:
        return {}
    insert = await _insert(session)
    statement = (
        insert(InboxThread)
        .values(
            [
                {
                    "team_id": team_id,
                    "inbox": inbox,
                    "thread_id": t.thread_id,
                    "number": t.number,
                    "summarized": summarized,
                    "announced": summarized,  # a summed-up thread gets no card of its own
                    "state": "waiting",
                    "last_message_at": t.last_message_at,
                    "waiting_since": None if t.answered else t.last_message_at or now,
                    "read": t.read,
                    "snapshot": t.snapshot,
                }
                for t in threads
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[InboxThread.team_id, InboxThread.inbox, InboxThread.thread_id]
        )
        .returning(InboxThread.id, InboxThread.thread_id)
    )
    return {row.thread_id: row.id for row in await session.execute(statement)}


async def claim_cards(
    session: AsyncSession, team_id: str, thread_row_id: int, channels: Sequence[str]
) -> list[str]:
    """Claim the thread's card in each channel; the channels THIS call claimed (to post in)."""
    if not channels:
        return []
    insert = await _insert(session)
    statement = (
        insert(AlertCard)
        .values([{"team_id": team_id, "thread_row_id": thread_row_id, "channel_id": c} for c in channels])
        .on_conflict_do_nothing(index_elements=[AlertCard.thread_row_id, AlertCard.channel_id])
        .returning(AlertCard.channel_id)
    )
    return [row.channel_id for row in await session.execute(statement)]


async def card_posted(session: AsyncSession, thread_row_id: int, channel_id: str, ts: str) -> None:
    await session.execute(
        update(AlertCard)
        .where(AlertCard.thread_row_id == thread_row_id, AlertCard.channel_id == channel_id)
        .values(ts=ts)
    )


async def cards_of(session: AsyncSession, thread_row_id: int) -> list[AlertCard]:
    """The thread's posted cards (one per following channel)."""
    rows = await session.execute(
        select(AlertCard)
        .where(AlertCard.thread_row_id == thread_row_id, AlertCard.ts.is_not(None))
        .order_by(AlertCard.channel_id)
    )
    return list(rows.scalars())


async def unannounced(session: AsyncSession, team_id: str, inbox: str) -> list[InboxThread]:
    """The inbox's new threads whose cards are not all posted yet (oldest first)."""
    rows = await session.execute(
        select(InboxThread)
        .where(
            InboxThread.team_id == team_id,
            InboxThread.inbox == inbox,
            InboxThread.announced.is_(False),
            InboxThread.summarized.is_(False),
        )
        .order_by(InboxThread.id)
    )
    return list(rows.scalars())


async def announced(session: AsyncSession, row_id: int) -> None:
    await session.execute(update(InboxThread).where(InboxThread.id == row_id).values(announced=True))


async def replied_marks(session: AsyncSession, row_ids: Sequence[int]) -> dict[int, datetime | None]:
    """Per thread row, how far its least advanced posted card's Slack thread has the conversation."""
    if not row_ids:
        return {}
    rows = await session.execute(
        select(AlertCard.thread_row_id, AlertCard.replied_through).where(
            AlertCard.thread_row_id.in_(list(row_ids)), AlertCard.ts.is_not(None)
        )
    )
    marks: dict[int, datetime | None] = {}
    for row_id, through in rows.all():
        if row_id not in marks:
            marks[row_id] = through
        else:
            before = marks[row_id]
            marks[row_id] = None if before is None or through is None else min(before, through)
    return marks


async def outbox_senders(session: AsyncSession, team_id: str, thread_id: str) -> list[tuple[str, str]]:
    """(text, Slack user) of what was sent to this thread through Switchboard, newest first."""
    rows = await session.execute(
        select(SmsMessage.body, SmsMessage.slack_user_id)
        .where(
            SmsMessage.team_id == team_id,
            SmsMessage.thread_id == thread_id,
            SmsMessage.body.is_not(None),
        )
        .order_by(SmsMessage.id.desc())
        .limit(50)
    )
    return [(str(body), str(user)) for body, user in rows.all()]


async def waiting_rows(session: AsyncSession, team_id: str) -> list[tuple[InboxThread, str | None]]:
    """The team's followed conversations whose customer waits, oldest first, with a channel of its card."""
    rows = await session.execute(
        select(InboxThread, AlertCard.channel_id)
        .outerjoin(AlertCard, (AlertCard.thread_row_id == InboxThread.id) & AlertCard.ts.is_not(None))
        .where(
            InboxThread.team_id == team_id,
            InboxThread.waiting_since.is_not(None),
            InboxThread.state.in_(("waiting", "taken")),
        )
        .order_by(InboxThread.waiting_since, InboxThread.id, AlertCard.channel_id)
    )
    seen: dict[int, tuple[InboxThread, str | None]] = {}
    for row, channel in rows.all():
        seen.setdefault(row.id, (row, channel))
    return list(seen.values())


async def card_thread(session: AsyncSession, team_id: str, channel_id: str, ts: str) -> InboxThread | None:
    """The conversation whose card is the message `ts` in `channel_id` (a message in its Slack thread
    names it by its thread_ts)."""
    found = await session.execute(
        select(InboxThread)
        .join(AlertCard, AlertCard.thread_row_id == InboxThread.id)
        .where(AlertCard.team_id == team_id, AlertCard.channel_id == channel_id, AlertCard.ts == ts)
    )
    return found.scalars().first()


async def thread_row(session: AsyncSession, team_id: str, row_id: int) -> InboxThread | None:
    """A followed thread's row, of this workspace only (a card's button names it)."""
    row = await session.get(InboxThread, row_id)
    return row if row is not None and row.team_id == team_id else None


async def replied(session: AsyncSession, card_id: int, at: datetime) -> None:
    """The card's Slack thread has the conversation's messages up to `at`."""
    await session.execute(
        update(AlertCard)
        .where(
            AlertCard.id == card_id,
            or_(AlertCard.replied_through.is_(None), AlertCard.replied_through < at),
        )
        .values(replied_through=at)
    )


@dataclass(frozen=True)
class ReminderCandidate:
    """A posted card of a conversation whose customer waits, in a channel that gives reminders."""

    thread: InboxThread
    channel_id: str
    mapping: ChannelMapping


async def reminder_candidates(session: AsyncSession) -> list[ReminderCandidate]:
    rows = await session.execute(
        select(InboxThread, AlertCard.channel_id, ChannelMapping)
        .join(AlertCard, AlertCard.thread_row_id == InboxThread.id)
        .join(
            ChannelMapping,
            (ChannelMapping.team_id == InboxThread.team_id)
            & (ChannelMapping.channel_id == AlertCard.channel_id),
        )
        .join(Workspace, Workspace.team_id == InboxThread.team_id)
        .where(
            Workspace.uninstalled_at.is_(None),  # nothing runs for a workspace that removed the app
            InboxThread.waiting_since.is_not(None),
            InboxThread.state.in_(("waiting", "taken")),
            AlertCard.ts.is_not(None),
            ChannelMapping.alerts_enabled.is_(True),
            ChannelMapping.nudge_seconds.is_not(None) | ChannelMapping.escalate_seconds.is_not(None),
        )
        .order_by(InboxThread.id, AlertCard.channel_id)
    )
    return [ReminderCandidate(thread, channel, mapping) for thread, channel, mapping in rows.all()]


async def claim_reminder(
    session: AsyncSession, row_id: int, *, escalate: bool, waiting_since: datetime
) -> bool:
    """Claim the reminder of a waiting message once (a conditional update: two workers never both win)."""
    column = InboxThread.escalated_for if escalate else InboxThread.nudged_for
    claimed = await session.execute(
        update(InboxThread)
        .where(
            InboxThread.id == row_id,
            InboxThread.waiting_since == waiting_since,
            or_(column.is_(None), column != waiting_since),
        )
        .values({column.key: waiting_since})
        .returning(InboxThread.id)
    )
    return claimed.first() is not None


async def release_reminder(
    session: AsyncSession, row_id: int, *, escalate: bool, waiting_since: datetime
) -> None:
    """Give back a claimed reminder that could not be posted anywhere, so the next round tries again."""
    column = InboxThread.escalated_for if escalate else InboxThread.nudged_for
    await session.execute(
        update(InboxThread)
        .where(InboxThread.id == row_id, column == waiting_since)
        .values({column.key: None})
    )


async def note_change(
    session: AsyncSession,
    team_id: str,
    row_id: int,
    *,
    state: str | None,
    holder_user: str | None,
    holder: str | None,
    note: str,
    read: bool | None = None,
) -> InboxThread | None:
    """A change made from Slack (Take, Transfer…, Resolve… on a card), written before the next poll
    round so it is not announced again as a change seen in LiveVox."""
    row = await thread_row(session, team_id, row_id)
    if row is None:
        return None
    row.status_note = note
    if read is not None:
        row.read = read
    if state is not None:
        row.state, row.holder_user, row.holder = state, holder_user, holder
    if state == "resolved":
        row.waiting_since = None
    return row


async def stop_alerts(
    session: AsyncSession, team_id: str, channel_id: str, *, reason: str, now: datetime
) -> ChannelMapping | None:
    """Turn the channel's alerts off because Slack refuses its cards for good, saying why; the mapping
    when this call turned them off (a conditional update: one stop per refusal, however many workers
    met it), None when they were off already."""
    stopped = await session.execute(
        update(ChannelMapping)
        .where(
            ChannelMapping.team_id == team_id,
            ChannelMapping.channel_id == channel_id,
            ChannelMapping.alerts_enabled.is_(True),
        )
        .values(alerts_enabled=False, alerts_stopped=reason, alerts_stopped_at=now)
        .returning(ChannelMapping)
    )
    return stopped.scalars().first()
