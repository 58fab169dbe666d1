"""A phone number's history across every connected provider: one timeline, newest first.

Providers are asked concurrently, each within its own time limit; one that fails or is slow is reported
as such and the others still answer. Within a provider, what does not depend on an earlier answer is asked at
once too, so a lookup takes as many round trips as its longest chain of dependent calls:

- LiveVox: (login, only when the session is new or expired) → the agent's inboxes (remembered for
  `channels_ttl` per agent session) → every SMS inbox's threads, at once → the transaction history of
  every account those threads belong to, and of every other thread of the number Switchboard saw
  (`ContactBook`: transferred and resolved threads leave the inboxes, LiveVox keeps their history), at
  once. A supervisor's lookup lists the inboxes of every linked agent of the team too, each through that
  agent's own session (LiveVox lists a personal inbox only to its agent). Lists end at an empty page, so
  each list asks for two pages together (`prefetch`).

Switchboard's own outbox (every SMS sent through it, by whom) is merged in: a provider record of the same
message (same provider message id, else same body within `MATCH_WINDOW`) is shown once, with who sent it.
- Zoom Phone: the number's SMS sessions → every session's messages, at once.
- Zoom Contact Center SMS and calls, Routee: one list each.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from bot.db.models import Role
from bot.db.models import SmsMessage as OutboxRow
from bot.phones import mask, pretty
from bot.providers import RateWaitsExcluded
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox.errors import LiveVoxError
from bot.providers.livevox.models import Channel, HistoryMessage, Thread
from bot.providers.routee import TrackingFilter
from bot.providers.zoom import words as zoom_words
from bot.providers.zoom.models import SmsMessage
from bot.services.calls import CallRecord, CallsService
from bot.services.compliance import UNKNOWN, ComplianceState, from_threads
from bot.services.contacts import ContactBook
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.time_range import TimeRange, parse_timestamp

log = logging.getLogger(__name__)

ZOOM_CC = "Zoom Contact Center"
ZOOM_PHONE = "Zoom Phone"
LIVEVOX = "LiveVox"
ROUTEE = "Routee"
SWITCHBOARD = "Switchboard"

Kind = Literal["sms", "call"]
State = Literal["ok", "failed", "not_connected", "skipped"]
T = TypeVar("T")

CHANNELS_TTL = 60.0
"""Seconds an agent's inbox list is reused: inboxes change only when an admin changes the agent's services."""
PREFETCH_PAGES = 2
"""Pages asked for at once: most lists fit one page, and the empty page that ends them then costs nothing."""
FANOUT = 8
"""Concurrent requests per provider within one lookup (threads' histories, Phone sessions)."""
REMEMBERED_THREADS = 20
"""At most this many threads Switchboard saw of a number (newest first) are read back by thread id."""
MATCH_WINDOW = timedelta(minutes=15)
"""An outbox row and a provider record with the same body this close in time are the same message."""
OUTBOX_STATUS = {
    "pending": "sending",
    "accepted": "accepted, delivery not confirmed yet",
    "delivered": "delivered",
    "blocked": "blocked",
    "undelivered": "undelivered",
    "unknown": "outcome unknown",
}


@dataclass(frozen=True)
class Event:
    at: datetime | None
    provider: str
    kind: Kind
    direction: str | None  # "inbound" | "outbound"
    summary: str  # provider facts (counts, queue, agent, result); outside text, escape before rendering
    text: str | None = None  # a message body, when the provider gives one
    status: str | None = None
    call: CallRecord | None = None  # a voice call's facts (queue, agent, duration, recording)
    provider_id: str | None = None  # the provider's message id (LiveVox transaction id, Routee message id)
    sent_by: str | None = None  # the Slack user who sent it through Switchboard (from the outbox)


@dataclass(frozen=True)
class SourceResult:
    provider: str
    state: State
    count: int = 0
    message: str = ""


@dataclass(frozen=True)
class OpenThread:
    thread_id: str
    account: str | None
    inbox: str | None
    read: bool | None


@dataclass
class NumberReport:
    number: str
    range: TimeRange
    events: list[Event] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)
    compliance: ComplianceState = UNKNOWN
    threads: list[OpenThread] = field(default_factory=list)


def _digits(number: str | None) -> str:
    return "".join(ch for ch in (number or "") if ch.isdigit())


def same_number(a: str | None, b: str) -> bool:
    """LiveVox writes numbers without "+" and sometimes without the US country code."""
    da, db = _digits(a), _digits(b)
    return bool(da) and da[-10:] == db[-10:]


_same = same_number  # its earlier name, still imported by tests


class HistoryService:
    """Looks a number up at every provider a workspace has connected."""

    def __init__(
        self,
        *,
        timeout: float = 8.0,
        max_records: int = 200,
        channels_ttl: float = CHANNELS_TTL,
        fanout: int = FANOUT,
        contacts: ContactBook | None = None,
    ) -> None:
        self.contacts = contacts
        self.timeout = timeout
        self.max_records = max_records
        self.channels_ttl = channels_ttl
        self.fanout = fanout

    async def _bounded(self, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run `jobs` concurrently, at most `fanout` at a time; results in the order of `jobs`.

        A TaskGroup, not a bare gather: when one job fails the others are cancelled rather than left running
        after the lookup has answered. The first failure is raised as itself, so `describe` can word it.
        """
        semaphore = asyncio.Semaphore(self.fanout)

        async def run(job: Callable[[], Awaitable[T]]) -> T:
            async with semaphore:
                return await job()

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(run(job)) for job in jobs]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _gather(
        self, sources: list[tuple[str, Callable[[], Awaitable[list[Event]]] | None]]
    ) -> tuple[list[Event], list[SourceResult]]:
        async def run(
            name: str, source: Callable[[], Awaitable[list[Event]]] | None
        ) -> tuple[list[Event], SourceResult]:
            if source is None:
                return [], SourceResult(name, "not_connected")
            try:
                # The provider's time, not our queue: waits for the shared rate budget do not count.
                async with asyncio.timeout(self.timeout) as budget:
                    with RateWaitsExcluded(budget):
                        events = await source()
            except Exception as error:  # each provider fails on its own; the others still answer
                log.warning("history source failed", extra={"source": name, "error": type(error).__name__})
                return [], SourceResult(name, "failed", message=describe(name, error))
            return events, SourceResult(name, "ok", count=len(events))

        results = await asyncio.gather(*(run(name, source) for name, source in sources))
        events = [event for batch, _ in results for event in batch]
        events.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return events, [result for _, result in results]

    # ----------------------------------------------------------------------------- sources
    async def _zoom_cc_sms(self, providers: Providers, number: str, span: TimeRange) -> list[Event]:
        assert providers.zoom is not None
        events: list[Event] = []
        async for log_ in providers.zoom.contact_center.sms.list(
            from_=span.start, to=span.end, consumer_number=number, page_size=100
        ):
            queue = ", ".join(q.queue_name or "" for q in log_.queues or [] if q.queue_name)
            agents = ", ".join(a.display_name or "" for a in log_.agents or [] if a.display_name)
            parts = [
                zoom_words.engagement_counts(
                    log_.direction, log_.total_sent_messages, log_.total_received_messages
                )
            ]
            parts += [f"queue {queue}"] if queue else []
            parts += [f"agent {agents}"] if agents else []
            events.append(
                Event(parse_timestamp(log_.start_time), ZOOM_CC, "sms", log_.direction, " · ".join(parts))
            )
            if len(events) >= self.max_records:
                break
        return events

    async def _zoom_calls(self, providers: Providers, number: str, span: TimeRange) -> list[Event]:
        calls = await CallsService(max_records=self.max_records).fetch(providers, number, span)
        # The call's facts travel as they are; how they read (durations…) is the Slack layer's business.
        return [Event(c.at, ZOOM_CC, "call", c.direction, "", status=c.result, call=c) for c in calls]

    async def _zoom_phone(
        self, providers: Providers, number: str, span: TimeRange, *, sessions: int = 5
    ) -> list[Event]:
        zoom = providers.zoom
        assert zoom is not None
        events: list[Event] = []
        start = max(span.start, span.end - timedelta(days=90))  # Phone keeps message history per window
        found = []
        async for session in zoom.phone.sms_sessions.list(phone_number=number, from_=start, to=span.end):
            found.append(session)
            if len(found) >= sessions:
                break

        async def messages(session_id: str) -> list[SmsMessage]:
            # Each session is capped on its own: which sessions fill max_records is known only at the end.
            batch: list[SmsMessage] = []
            async for message in zoom.phone.sms_sessions.get(session_id, from_=start, to=span.end, sort=2):
                batch.append(message)
                if len(batch) >= self.max_records:
                    break
            return batch

        ids = [session.session_id for session in found if session.session_id]
        batches = await self._bounded([functools.partial(messages, session_id) for session_id in ids])
        for batch in batches:
            for message in batch:
                direction = (
                    {True: "inbound", False: "outbound"}.get(message.inbound)
                    if message.inbound is not None
                    else None
                )
                events.append(
                    Event(
                        message.sent_at,
                        ZOOM_PHONE,
                        "sms",
                        direction,
                        zoom_words.message_type(message.message_type_name),
                        text=message.message,
                        status=message.delivery_status,
                    )
                )
                if len(events) >= self.max_records:
                    return events
        return events

    async def _routee(self, providers: Providers, number: str, span: TimeRange) -> list[Event]:
        assert providers.routee is not None
        now = datetime.now(UTC)
        window = span.clamp_start(now - timedelta(days=7) + timedelta(minutes=1))
        if window.start >= window.end:
            return []
        events: list[Event] = []
        pager = providers.routee.tracking.list(
            date_start=window.start,
            date_end=min(window.end, now),
            filters=[TrackingFilter(field_name="to", search_term=number)],
            page_size=100,
        )
        async for sms in pager:
            status = sms.status.status if sms.status else None
            reason = sms.status.reason.detailed_status if sms.status and sms.status.reason else None
            at = sms.status.reported_at if sms.status else None
            sender = pretty(sms.from_) or "?"
            summary = f"from {sender}" + (f" · {reason}" if reason and reason != status else "")
            direction = (sms.direction or "Outbound").lower()
            events.append(
                Event(
                    at,
                    ROUTEE,
                    "sms",
                    direction,
                    summary,
                    text=sms.body,
                    status=status,
                    provider_id=sms.message_id or sms.sms_id,
                )
            )
            if len(events) >= self.max_records:
                break
        return events

    async def livevox_threads(self, providers: Providers, identity: Identity, number: str) -> list[Thread]:
        """The number's open threads in the person's own inboxes (remembered for them in `ContactBook`)."""
        client = providers.livevox_agent(identity.livevox_login)
        if client is None:
            return []
        threads = await self._threads_in(client, number)
        if self.contacts is not None:
            await self.contacts.remember(identity, [(number, str(t.thread_id)) for t in threads])
        return threads

    async def number_threads(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        *,
        members: Sequence[Identity] | None = None,
    ) -> list[Thread]:
        """The number's open threads a timeline shows: the person's inboxes; for a supervisor or an admin,
        the inboxes of every linked agent of the team too (each through that agent's own LiveVox session),
        so a thread transferred to a colleague stays in view. A colleague's inboxes that cannot be read are
        left out (logged); the person's own failing fails the LiveVox source. `members`: the team's linked
        agents when the caller has read them already."""
        threads, seen = await self._team_threads(providers, identity, number, members)
        await self._remember(number, seen)
        return threads

    async def team(self, identity: Identity) -> list[Identity] | None:
        """The linked agents whose inboxes `identity`'s timelines span (None: only their own)."""
        if not identity.may(Role.SUPERVISOR) or self.contacts is None or not identity.team_id:
            return None
        return await self.contacts.linked_agents(identity.team_id)

    async def _remember(self, number: str, seen: Sequence[tuple[Identity, list[Thread]]]) -> None:
        """Who had which threads of `number` (what each inbox read showed), in one write."""
        if self.contacts is not None:
            await self.contacts.remember_many(
                [(member, [(number, str(t.thread_id)) for t in found]) for member, found in seen if found]
            )

    async def _team_threads(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        members: Sequence[Identity] | None,
    ) -> tuple[list[Thread], list[tuple[Identity, list[Thread]]]]:
        """`number_threads` and what to remember of it (who saw which threads), not yet written: the
        caller writes it off the answer's path."""
        if members is None:
            members = await self.team(identity)
        own = providers.livevox_agent(identity.livevox_login)
        if members is None:
            mine = await self._threads_in(own, number) if own is not None else []
            return mine, [(identity, mine)]
        login = (identity.livevox_login or "").upper()
        colleagues = [m for m in members if m.livevox_login and m.livevox_login.upper() != login]
        sessions = [
            (member, client)
            for member in ([identity] if own is not None else []) + colleagues
            if (client := providers.livevox_agent(member.livevox_login)) is not None
        ]

        async def inboxes(member: Identity, client: LiveVoxClient) -> list[Channel]:
            try:
                return await client.agent.channels(max_age=self.channels_ttl)
            except Exception as error:
                if member is identity:
                    raise  # the person's own failing fails the LiveVox source
                log.warning(
                    "team inbox unreadable", extra={"user": member.user_id, "error": type(error).__name__}
                )
                return []

        listed = await asyncio.gather(*(inboxes(m, c) for m, c in sessions))
        # A group inbox lists the same threads whoever reads it: it is read once, through the first session
        # that works it (the person's own first), and its threads count for everyone who works it. Only the
        # personal inboxes are read through each agent's session: cost grows with the group inboxes and the
        # agents' own inboxes, not with agents times group inboxes.
        reads: dict[tuple[str, str], tuple[Identity, LiveVoxClient, Channel]] = {}
        readers: dict[tuple[str, str], list[Identity]] = {}
        for (member, client), channels in zip(sessions, listed, strict=True):
            for channel in channels:
                if (channel.channel or "").upper() != "SMS" or channel.channel_id is None:
                    continue
                key = (member.user_id if channel.personal else "group", str(channel.channel_id))
                reads.setdefault(key, (member, client, channel))
                readers.setdefault(key, []).append(member)

        async def read(member: Identity, client: LiveVoxClient, channel: Channel) -> list[Thread] | None:
            try:
                return await self._threads_of(client, [channel], number)
            except LiveVoxError as error:
                if error.status in (403, 404):
                    client.agent.forget_channels()  # their services changed: read again from a fresh list
                    return None
                if member is identity:
                    raise
                log.warning(
                    "team inbox unreadable", extra={"user": member.user_id, "error": type(error).__name__}
                )
                return []
            except Exception as error:  # one colleague's session failing leaves the rest shown
                if member is identity:
                    raise
                log.warning(
                    "team inbox unreadable", extra={"user": member.user_id, "error": type(error).__name__}
                )
                return []

        keys = list(reads)
        results = await self._bounded([functools.partial(read, *reads[key]) for key in keys])
        found: dict[str, list[Thread]] = {m.user_id: [] for m, _ in sessions}
        stale = {
            m.user_id
            for key, result in zip(keys, results, strict=True)
            if result is None
            for m in readers[key]
        }
        for key, result in zip(keys, results, strict=True):
            for member in readers[key]:
                if member.user_id not in stale:
                    found[member.user_id].extend(result or [])
        for member, client in sessions:  # an inbox refused: that agent's inboxes from a fresh list, once
            if member.user_id in stale:
                try:
                    found[member.user_id] = await self._threads_in(client, number)
                except Exception as error:
                    if member is identity:
                        raise
                    log.warning(
                        "team inbox unreadable", extra={"user": member.user_id, "error": type(error).__name__}
                    )
        threads: list[Thread] = []
        shown: set[str] = set()
        for member, _ in sessions:
            for thread in found[member.user_id]:
                if str(thread.thread_id) not in shown:
                    shown.add(str(thread.thread_id))
                    threads.append(thread)
        return threads, [(member, found[member.user_id]) for member, _ in sessions]

    async def settled_flags(self, team_id: str, number: str, state: ComplianceState) -> ComplianceState:
        """The flags every view shows: just read, or the last LiveVox showed (`ContactBook.settle_flags`)."""
        if self.contacts is None:
            return state
        return await self.contacts.settle_flags(team_id, number, state)

    async def reader(
        self, providers: Providers, identity: Identity, *, members: Sequence[Identity] | None = None
    ) -> LiveVoxClient | None:
        """The LiveVox session a timeline reads through: the person's own; for a supervisor or an admin
        without a LiveVox login, a linked agent's of the team (LiveVox's history methods are agent-only).
        `members`: the team's linked agents when the caller has read them already."""
        own = providers.livevox_agent(identity.livevox_login)
        if own is not None or not identity.may(Role.SUPERVISOR) or self.contacts is None:
            return own
        if providers.livevox is None or not identity.team_id:
            return None
        for member in members if members is not None else await self.contacts.linked_agents(identity.team_id):
            client = providers.livevox_agent(member.livevox_login)
            if client is not None:
                return client
        return None

    async def _threads_in(self, client: LiveVoxClient, number: str) -> list[Thread]:
        try:
            return await self._threads_of(
                client, await client.agent.channels(max_age=self.channels_ttl), number
            )
        except LiveVoxError as error:
            if error.status not in (403, 404):
                raise
            # A remembered inbox may be gone (the agent left a service): once more from a fresh list.
            client.agent.forget_channels()
            return await self._threads_of(client, await client.agent.channels(), number)

    async def _threads_of(self, client: LiveVoxClient, channels: list[Channel], number: str) -> list[Thread]:
        sms = [c for c in channels if (c.channel or "").upper() == "SMS" and c.channel_id is not None]

        async def matching(channel: Channel) -> list[Thread]:
            assert channel.channel_id is not None
            pager = client.threads.list_all(
                channel.channel_id, "SMS", personal=channel.personal, prefetch=PREFETCH_PAGES
            )
            return [t async for t in pager if same_number(t.to, number) or same_number(t.from_, number)]

        batches = await self._bounded([functools.partial(matching, channel) for channel in sms])
        return [thread for batch in batches for thread in batch]

    async def _history(
        self, client: LiveVoxClient, *, account: str | None = None, thread_id: str | None = None
    ) -> list[HistoryMessage]:
        pager = client.messages.history_all(account=account, thread_id=thread_id, prefetch=PREFETCH_PAGES)
        messages: list[HistoryMessage] = []
        try:
            async for message in pager:
                messages.append(message)
                if len(messages) >= self.max_records:
                    break
        except LiveVoxError as error:
            # A thread Switchboard remembers may have been purged since: nothing of it to show.
            if thread_id is None or error.status != 404:
                raise
        return messages

    async def _livevox(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        span: TimeRange,
        report: NumberReport,
        threads: list[Thread] | None,
        client: LiveVoxClient,
        members: Sequence[Identity] | None,
    ) -> list[Event]:
        seen: list[tuple[Identity, list[Thread]]] = []
        if threads is None:
            threads, seen = await self._team_threads(providers, identity, number, members)
        report.compliance = await self.settled_flags(identity.team_id, number, from_threads(threads, number))
        for thread in threads:
            report.threads.append(
                OpenThread(str(thread.thread_id), thread.account, thread.channel_name, thread.read)
            )
        # The account's history holds every thread of it (transferred, resolved) and template sends; a
        # thread without an account, and those Switchboard saw before (resolved ones leave every inbox), are
        # read by their id.
        accounts = list(
            dict.fromkeys(
                a for t in threads if (a := t.account or (t.contact_info.account if t.contact_info else None))
            )
        )
        thread_ids = [str(t.thread_id) for t in threads if t.thread_id is not None and not t.account]
        if self.contacts is not None and identity.team_id:
            remembered = await self.contacts.thread_ids(identity.team_id, number)
            listed = {str(t.thread_id) for t in threads}
            thread_ids += [t for t in remembered[:REMEMBERED_THREADS] if t not in listed]
        jobs = [functools.partial(self._history, client, account=a) for a in accounts]
        jobs += [functools.partial(self._history, client, thread_id=t) for t in dict.fromkeys(thread_ids)]
        events: list[Event] = []
        shown: set[str] = set()
        # Who had which thread is written while LiveVox's history is read, not before it.
        batches, _ = await asyncio.gather(self._bounded(jobs), self._remember(number, seen))
        for batch in batches:
            for message in batch:
                if str(message.id) in shown:
                    continue
                if message.phone and not same_number(message.phone, number):
                    continue  # an account may have other phones
                shown.add(str(message.id))
                at = message.occurred_at
                if at is not None and not (span.start <= at <= span.end):
                    continue
                direction = (
                    {True: "inbound", False: "outbound"}.get(message.inbound)
                    if message.inbound is not None
                    else None
                )
                events.append(
                    Event(
                        at,
                        LIVEVOX,
                        "sms",
                        direction,
                        f"thread {message.thread_id}" if message.thread_id else "outside a thread",
                        text=message.message,
                        status=message.status,
                        provider_id=str(message.id),
                    )
                )
        return events

    async def _routee_replies(self, providers: Providers, number: str, span: TimeRange) -> list[Event]:
        """The number's inbound SMS to the Routee account (Routee filters by recipient only, so the account's
        inbound of the window, newest first, at most `max_records`, are read and matched by sender)."""
        assert providers.routee is not None
        now = datetime.now(UTC)
        window = span.clamp_start(now - timedelta(days=7) + timedelta(minutes=1))
        if window.start >= window.end:
            return []
        events: list[Event] = []
        seen = 0
        pager = providers.routee.tracking.list(
            date_start=window.start,
            date_end=min(window.end, now),
            filters=[TrackingFilter(field_name="direction", search_term="Inbound")],
            page_size=100,
        )
        async for sms in pager:
            seen += 1
            if same_number(sms.from_, number):
                at = sms.received_at or (sms.status.reported_at if sms.status else None)
                events.append(Event(at, ROUTEE, "sms", "inbound", "", text=sms.body))
            if seen >= self.max_records:
                break
        return events

    async def replies(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        span: TimeRange,
        *,
        threads: list[Thread] | None = None,
    ) -> tuple[list[Event], list[SourceResult]]:
        """What the customer texted (inbound messages with their text, newest first) in every history
        that has message bodies: Zoom Phone, LiveVox (the threads a timeline reads), Routee's inbound.
        Zoom Contact Center's SMS logs hold counts, not bodies, so they are not asked."""
        zoom = providers.zoom is not None
        members = await self.team(identity) if providers.livevox is not None else None
        client = await self.reader(providers, identity, members=members)
        report = NumberReport(number=number, range=span)
        sources: list[tuple[str, Callable[[], Awaitable[list[Event]]] | None]] = [
            (ZOOM_PHONE, (lambda: self._zoom_phone(providers, number, span)) if zoom else None),
            (
                LIVEVOX,
                (lambda: self._livevox(providers, identity, number, span, report, threads, client, members))
                if client is not None
                else None,
            ),
            (ROUTEE, (lambda: self._routee_replies(providers, number, span)) if providers.routee else None),
        ]
        events, results = await self._gather(sources)
        return [e for e in events if e.direction == "inbound" and e.text], results

    # ----------------------------------------------------------------------------- answers
    async def lookup(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        span: TimeRange,
        *,
        calls: bool = True,
        threads: list[Thread] | None = None,
    ) -> NumberReport:
        """SMS (and calls) of `number` everywhere, with compliance flags and open LiveVox threads.

        `threads`: the number's LiveVox threads when the caller has just listed them (`livevox_threads`, the
        check that an agent has a conversation with the number), so they are not listed a second time.
        """
        report = NumberReport(number=number, range=span)
        zoom = providers.zoom is not None
        # The team's linked agents are read once, for both the session to read through and the inboxes.
        members = await self.team(identity) if providers.livevox is not None else None
        client = await self.reader(providers, identity, members=members)
        livevox_ok = client is not None
        sources: list[tuple[str, Callable[[], Awaitable[list[Event]]] | None]] = [
            (f"{ZOOM_CC} SMS", (lambda: self._zoom_cc_sms(providers, number, span)) if zoom else None),
            (ZOOM_PHONE, (lambda: self._zoom_phone(providers, number, span)) if zoom else None),
            (
                LIVEVOX,
                (lambda: self._livevox(providers, identity, number, span, report, threads, client, members))
                if client is not None
                else None,
            ),
            (ROUTEE, (lambda: self._routee(providers, number, span)) if providers.routee else None),
        ]
        if calls:
            sources.insert(
                1, (f"{ZOOM_CC} calls", (lambda: self._zoom_calls(providers, number, span)) if zoom else None)
            )
        contacts = self.contacts if identity.team_id else None
        # Switchboard's own outbox is read while the providers answer, not after them.
        (report.events, report.sources), rows = await asyncio.gather(
            self._gather(sources),
            contacts.outbox(identity.team_id, number, span.start, span.end) if contacts else _none(),
        )
        if rows is not None:
            report.events = merge_outbox(report.events, rows)
        if providers.livevox is not None and not livevox_ok:
            report.sources = [
                SourceResult(
                    LIVEVOX,
                    "skipped",
                    message="link your LiveVox login to see threads (`/switchboard whoami`)",
                )
                if s.provider == LIVEVOX
                else s
                for s in report.sources
            ]
        log.info("lookup done", extra={"number": mask(number), "events": len(report.events)})
        return report

    async def sms_logs(
        self,
        providers: Providers,
        identity: Identity,
        number: str,
        span: TimeRange,
        *,
        threads: list[Thread] | None = None,
    ) -> NumberReport:
        """SMS only: Zoom CC logs, Zoom Phone messages, LiveVox history, Routee delivery status."""
        return await self.lookup(providers, identity, number, span, calls=False, threads=threads)


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _provider_name(row: OutboxRow) -> str:
    return ROUTEE if row.provider.value == "routee" else LIVEVOX


def merge_outbox(events: list[Event], rows: Sequence[OutboxRow]) -> list[Event]:
    """The timeline with Switchboard's outbox in it, each message once, newest first.

    A provider record of an outbox row (the same provider message id; else the same provider, outbound,
    the same body within `MATCH_WINDOW`) keeps the provider's facts and gains who sent it; a row no
    provider reported (yet) is its own event."""
    merged = list(events)
    used: set[int] = set()
    by_id = {e.provider_id: i for i, e in enumerate(merged) if e.kind == "sms" and e.provider_id}
    for row in rows:
        name = _provider_name(row)
        index = by_id.get(row.provider_message_id) if row.provider_message_id else None
        if index is not None and (index in used or merged[index].provider != name):
            index = None
        if index is None and row.body:
            body = _words(row.body)
            index = next(
                (
                    i
                    for i, e in enumerate(merged)
                    if i not in used
                    and e.kind == "sms"
                    and e.provider == name
                    and e.direction == "outbound"
                    and e.at is not None
                    and abs(e.at - row.created_at) <= MATCH_WINDOW
                    and _words(e.text) == body
                ),
                None,
            )
        if index is not None:
            used.add(index)
            merged[index] = replace(merged[index], sent_by=row.slack_user_id)
            continue
        status = OUTBOX_STATUS.get(row.status.value, row.status.value)
        if row.status_reason:
            status = f"{status} ({row.status_reason})"
        merged.append(
            Event(
                row.created_at,
                SWITCHBOARD,
                "sms",
                "outbound",
                f"through {name}" + (f" · template {row.template_id}" if row.template_id else ""),
                text=row.body,
                status=status,
                provider_id=row.provider_message_id,
                sent_by=row.slack_user_id,
            )
        )
        used.add(len(merged) - 1)
    merged.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return merged


async def _none() -> None:
    return None
