"""Inbox alerts: reading a followed LiveVox group inbox and telling what changed since the last read.

One poll round of one inbox (`AlertPoller.poll`) is owned by one process at a time (`claim_poll`: a lease
in `inbox_polls`), reads the inbox's threads through a linked agent's LiveVox session (LiveVox's thread
methods are agent-only), and files them against `inbox_threads`:
- a thread never seen before is new: its row is inserted once (the insert decides, across every worker
  and restart) and the caller posts its card to each following channel;
- at an inbox's first read, more than `SUMMARY_AT` threads already waiting are summed up in one card
  ("124 threads were already waiting") instead of a card each;
- a waiting thread that is no longer in the group inbox was taken, transferred or resolved (in Slack or in
  LiveVox itself): it is looked for in the personal inboxes of the team's linked agents, so its card can
  say who has it; a thread someone holds is followed there (its new messages, its leaving);
- a thread whose last message is newer than the one seen has new messages (for its Slack thread), read
  from LiveVox's history through whoever can read it.

Changes made from Slack (a card's Take, Resolve…) are written by the Slack layer first (`note_change`), so
the next round sees the thread where it expects it and announces nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import InboxPoll, InboxThread, Role
from bot.db.repositories.alerts import (
    FollowedInbox,
    NewThreadRow,
    ReminderCandidate,
    claim_poll,
    claim_reminder,
    followed_inboxes,
    insert_threads,
    known_threads,
    poll_failed,
    polled,
    reminder_candidates,
    replied_marks,
    waiting_rows,
)
from bot.db.session import transaction
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox.models import Thread
from bot.services.compliance import ComplianceState
from bot.services.contacts import ContactBook
from bot.services.identity import Identity
from bot.services.inbox import HistoryEntry, ThreadCard, card_from_thread
from bot.services.providers import Providers

__all__ = [
    "HISTORY_READ",
    "LEASE",
    "SUMMARY_AT",
    "AlertPoller",
    "Changed",
    "NewConversation",
    "PollRound",
    "Reminder",
    "Updated",
    "Waiting",
    "compliance_of",
    "snapshot_of",
    "waiting",
    "within_hours",
]

log = logging.getLogger(__name__)

SUMMARY_AT = 10
"""More threads than this already waiting at an inbox's first read are summed up in one card."""

LEASE = timedelta(minutes=2)
"""How long a poll round is its process's: a poller that died gives the inbox back after this."""


HISTORY_READ = 20
"""The newest messages read for a conversation's Slack thread in one round (older ones were posted)."""


@dataclass(frozen=True)
class NewConversation:
    row_id: int
    card: ThreadCard


@dataclass(frozen=True)
class Changed:
    """A thread's card must be drawn again: it was taken, released, transferred, resolved or read."""

    row_id: int
    thread_id: str


@dataclass(frozen=True)
class Updated:
    """A known thread has messages newer than the last one seen: the newest ones, oldest first."""

    row_id: int
    card: ThreadCard
    since: datetime | None
    messages: tuple[HistoryEntry, ...] = ()


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


def snapshot_of(card: ThreadCard, text: str | None) -> dict[str, Any]:
    """What a card keeps of a conversation to be drawn again later (strings are outside text)."""
    c = card.compliance
    return {
        "name": card.contact_name,
        "account": card.account,
        "inbox": card.inbox,
        "text": text,
        "flags": {
            "known": c.known,
            "dnc": c.do_not_contact,
            "today": c.do_not_contact_today,
            "opted_in": c.sms_opted_in,
        },
    }


def compliance_of(snapshot: dict[str, Any] | None) -> ComplianceState:
    flags = (snapshot or {}).get("flags") or {}
    return ComplianceState(
        known=bool(flags.get("known")),
        do_not_contact=bool(flags.get("dnc")),
        do_not_contact_today=bool(flags.get("today")),
        sms_opted_in=flags.get("opted_in"),
    )


def within_hours(hours: dict[str, Any] | None, now: datetime) -> bool:
    """Whether `now` is inside a channel's working hours (None: always). A bad stored zone counts as UTC."""
    if not hours:
        return True
    try:
        zone = ZoneInfo(str(hours.get("tz") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    days = hours.get("days")
    if days is not None and local.weekday() not in days:
        return False
    start = time.fromisoformat(str(hours.get("start") or "00:00"))
    end = time.fromisoformat(str(hours.get("end") or "23:59"))
    clock = local.time().replace(tzinfo=None)
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end  # a window across midnight (22:00-06:00)


@dataclass(frozen=True)
class Reminder:
    """A reminder to give in a conversation's Slack threads: a nudge, or the escalation to a supervisor."""

    row_id: int
    team_id: str
    waiting_since: datetime
    escalate: bool
    mention: str | None  # whom it mentions (Slack mrkdwn); None: nobody is configured
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Waiting:
    """A conversation whose customer waits for an answer (App Home, /inbox)."""

    number: str | None
    name: str | None
    waiting_since: datetime
    holder_user: str | None  # who has it, when someone linked does; None: in the group inbox
    channel_id: str | None  # where its card is


async def waiting(
    sessions: async_sessionmaker[AsyncSession], identity: Identity, *, limit: int = 10
) -> tuple[list[Waiting], int]:
    """The followed conversations waiting for an answer, oldest first, and how many there are in all:
    an agent sees the group inboxes' and their own, a supervisor or admin every one of the team's."""
    async with sessions() as session:
        rows = await waiting_rows(session, identity.team_id)
    if not identity.may(Role.SUPERVISOR):
        rows = [(r, c) for r, c in rows if r.holder_user in (None, identity.user_id)]
    found = [
        Waiting(r.number, (r.snapshot or {}).get("name"), r.waiting_since, r.holder_user, channel)
        for r, channel in rows
        if r.waiting_since is not None
    ]
    return found[:limit], len(found)


@dataclass(frozen=True)
class _Held:
    member: Identity
    thread: Thread


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

    async def reminders(self, now: datetime) -> list[Reminder]:
        """The reminders due now, each claimed once for its waiting message (across every worker).

        A nudge mentions who holds the conversation (else the channel's on-duty group), an escalation
        the channel's supervisor. Outside a channel's working hours nothing is given, and nothing is
        claimed: a reminder due overnight is given when the hours start, if the customer still waits.
        """
        async with transaction(self.sessions) as session:
            due: dict[tuple[int, bool], list[ReminderCandidate]] = {}
            for c in await reminder_candidates(session):
                if not within_hours(c.mapping.working_hours, now) or c.thread.waiting_since is None:
                    continue
                waited = now - c.thread.waiting_since
                for escalate, seconds in (
                    (False, c.mapping.nudge_seconds),
                    (True, c.mapping.escalate_seconds),
                ):
                    if seconds is not None and waited >= timedelta(seconds=seconds):
                        due.setdefault((c.thread.id, escalate), []).append(c)
            found: list[Reminder] = []
            for (row_id, escalate), entries in sorted(due.items()):
                thread, mapping = entries[0].thread, entries[0].mapping
                since = thread.waiting_since
                if since is None or not await claim_reminder(
                    session, row_id, escalate=escalate, waiting_since=since
                ):
                    continue
                if escalate:
                    mention = mapping.supervisor
                else:
                    mention = f"<@{thread.holder_user}>" if thread.holder_user else mapping.on_duty
                channels = tuple(c.channel_id for c in entries)
                found.append(Reminder(row_id, thread.team_id, since, escalate, mention, channels))
            return found

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

    async def _personal(self, providers: Providers, team_id: str) -> tuple[dict[str, _Held], bool]:
        """Every thread in the personal SMS inboxes of the team's linked agents (who holds what), and
        whether every one of them was read: a thread not found while an inbox could not be read may be
        in that one, so it is not called gone (it is looked for again next round)."""

        async def one(member: Identity) -> list[_Held] | None:
            client = providers.livevox_agent(member.livevox_login)
            if client is None or not member.livevox_agent_id:
                return []
            try:
                return [
                    _Held(member, t)
                    async for t in client.threads.list_all(member.livevox_agent_id, "SMS", personal=True)
                    if t.thread_id not in (None, "")
                ]
            except Exception:
                log.info("the personal inbox of %s was not read", member.user_id, exc_info=True)
                return None

        members = [m for m in await self.contacts.linked_agents(team_id) if m.livevox_agent_id]
        found = await asyncio.gather(*(one(m) for m in members))
        held = {str(h.thread.thread_id): h for inbox in found for h in inbox or ()}
        return held, all(inbox is not None for inbox in found)

    async def _history(
        self, providers: Providers, reader: LiveVoxClient, holder: Identity | None, thread_id: str
    ) -> tuple[HistoryEntry, ...]:
        """The newest messages of a thread, oldest first, through its holder's session when someone holds
        it (LiveVox shows a personal thread's history to its agent)."""
        client = providers.livevox_agent(holder.livevox_login) if holder is not None else None
        entries: list[HistoryEntry] = []
        async for message in (client or reader).messages.history_all(thread_id=thread_id):
            entries.append(
                HistoryEntry(message.occurred_at, message.inbound, message.message or "", message.status)
            )
            if len(entries) >= HISTORY_READ:
                break
        # LiveVox answers newest first: reversed, then sorted by time (stable), so messages of the same
        # instant keep the order they came in.
        entries.reverse()
        return tuple(sorted(entries, key=lambda e: e.at or datetime.min.replace(tzinfo=UTC)))

    async def poll(
        self, providers: Providers, inbox: FollowedInbox, poll: InboxPoll, *, now: datetime
    ) -> PollRound:
        """Read the inbox once and file what changed (the caller owns this round: `due`)."""
        round_ = PollRound(inbox, poll.id)
        try:
            reader = await self.reader(providers, inbox)
            threads = [
                t
                async for t in reader.threads.list_all(inbox.inbox, "SMS", personal=False, prefetch=2)
                if t.thread_id not in (None, "")
            ]
            current: dict[str, Thread] = {str(t.thread_id): t for t in threads}
            async with self.sessions() as session:
                followed = await known_threads(session, inbox.team_id, inbox.inbox, list(current))
                marks = await replied_marks(session, [row.id for row in followed.values()])
            # Where the threads that left the group inbox are now (and the ones people hold): read only
            # when some row needs it, since it costs a call per linked agent.
            held: dict[str, _Held] = {}
            complete = True
            if any(tid not in current and row.state in ("waiting", "taken") for tid, row in followed.items()):
                held, complete = await self._personal(providers, inbox.team_id)
            histories = await self._histories(providers, reader, current, held, followed, marks)
            # The newest message of each new conversation, for its card (the thread list has no text).
            fresh = [tid for tid in current if tid not in followed]
            if poll.first_polled_at is not None or len(fresh) <= SUMMARY_AT:
                read = await asyncio.gather(*(self._history(providers, reader, None, t) for t in fresh))
                histories.update(zip(fresh, read, strict=True))
        except Exception as error:
            async with transaction(self.sessions) as session:
                wait = await poll_failed(
                    session, poll.id, now=now, interval=inbox.interval, error=type(error).__name__
                )
            log.warning("inbox %s could not be read; next try in %s", inbox.inbox, wait, exc_info=True)
            raise
        async with transaction(self.sessions) as session:
            known = await known_threads(session, inbox.team_id, inbox.inbox, list(current))
            unseen = [tid for tid in current if tid not in known]
            summarize = poll.first_polled_at is None and len(unseen) > SUMMARY_AT
            cards = {tid: card_from_thread(current[tid]) for tid in unseen}
            inserted = await insert_threads(
                session,
                inbox.team_id,
                inbox.inbox,
                [
                    NewThreadRow(
                        tid,
                        cards[tid].number,
                        cards[tid].last_at,
                        read=current[tid].read,
                        snapshot=snapshot_of(cards[tid], _last_text(histories.get(tid, ()))),
                        answered=current[tid].sms_inbound is False,
                    )
                    for tid in unseen
                ],
                summarized=summarize,
                now=now,
            )
            if summarize:
                round_.summary = len(inserted)
            else:
                round_.new = [NewConversation(row_id, cards[tid]) for tid, row_id in inserted.items()]
            for tid, row in known.items():
                if tid in current:
                    thread, holder = current[tid], None
                    changed = _back_in_group(row)
                elif tid in held:
                    thread, holder = held[tid].thread, held[tid].member
                    changed = _held_by(row, holder)
                else:
                    if complete and _left(row):
                        round_.changed.append(Changed(row.id, tid))
                    continue
                if thread.read is not None and thread.read != row.read:
                    row.read = thread.read
                    changed = True
                at = thread.occurred_at
                if at is not None and (row.last_message_at is None or at > row.last_message_at):
                    changed = True  # the card shows the newest message and how long it waits
                if changed:
                    round_.changed.append(Changed(row.id, tid))
                if tid in histories:
                    card = card_from_thread(thread)
                    round_.updated.append(Updated(row.id, card, row.last_message_at, histories[tid]))
                if at is not None and (row.last_message_at is None or at > row.last_message_at):
                    row.last_message_at = at
                    if histories.get(tid):
                        row.snapshot = {**(row.snapshot or {}), "text": _last_text(histories[tid])}
                    # The customer is waiting from their first unanswered message; an answer ends it.
                    if thread.sms_inbound is False:
                        row.waiting_since = None
                    elif thread.sms_inbound is True and row.waiting_since is None:
                        row.waiting_since = at
            await polled(session, poll.id, now=now, interval=inbox.interval)
        return round_

    async def _histories(
        self,
        providers: Providers,
        reader: LiveVoxClient,
        current: dict[str, Thread],
        held: dict[str, _Held],
        followed: dict[str, InboxThread],
        marks: dict[int, datetime | None],
    ) -> dict[str, tuple[HistoryEntry, ...]]:
        """The newest messages of each posted conversation with messages its Slack threads lack (read
        concurrently). Counted from what was posted, not from what was read: a round that died before
        posting them leaves them to the next."""
        wanted: list[tuple[str, Identity | None]] = []
        for tid, row in followed.items():
            thread = current.get(tid) or (held[tid].thread if tid in held else None)
            if thread is None or thread.occurred_at is None or row.id not in marks:
                continue
            through = marks[row.id] or row.last_message_at
            if through is None or thread.occurred_at > through:
                wanted.append((tid, held[tid].member if tid in held else None))
        read = await asyncio.gather(*(self._history(providers, reader, who, tid) for tid, who in wanted))
        return {tid: entries for (tid, _), entries in zip(wanted, read, strict=True)}


def _last_text(entries: tuple[HistoryEntry, ...]) -> str | None:
    return entries[-1].text if entries else None


def _back_in_group(row: InboxThread) -> bool:
    """The thread is in the group inbox again (released, or reopened)."""
    if row.state == "waiting":
        return False
    row.state, row.holder, row.holder_user = "waiting", None, None
    row.status_note = "↩️ Back in the group inbox, waiting for someone to take it."
    return True


def _held_by(row: InboxThread, member: Identity) -> bool:
    """Someone linked holds it in their personal inbox (taken or transferred, in Slack or LiveVox)."""
    if row.state == "taken" and row.holder_user == member.user_id:
        return False
    moved = row.state == "taken"
    row.state, row.holder, row.holder_user = "taken", member.livevox_login, member.user_id
    row.status_note = (
        f"➡️ Transferred to <@{member.user_id}> in LiveVox."
        if moved
        else f"🙋 Taken by <@{member.user_id}> in LiveVox."
    )
    return True


def _left(row: InboxThread) -> bool:
    """In no inbox Switchboard can read: resolved in LiveVox, or with someone it has no link for."""
    if row.state not in ("waiting", "taken"):
        return False
    row.state, row.holder, row.holder_user = "left", None, None
    row.status_note = (
        "No longer in any inbox Switchboard can read: resolved in LiveVox, "
        "or with an agent who has no Switchboard link."
    )
    row.waiting_since = None
    return True
