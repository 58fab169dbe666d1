"""What a digest says: the period's numbers, aggregated as the records stream past, with the previous period.

Each provider is read once over both periods (the previous one and the digest's own) and every record is
filed into one of two tallies by its time, so the ▲▼ change costs no second pass and memory does not grow
with the volume (counters, never lists of records; the failures listed are capped). Several digests over
the same providers and periods (two channels, say) are built from that one read: `build_digests` files each
record into every request whose scope it matches. A source that fails fails the sections it feeds, alone.

Sections and where their numbers come from:
* SMS: Zoom Contact Center SMS engagements (one engagement counts once, by its direction), Zoom Phone SMS
  messages of the account's sessions, LiveVox messages of the threads open in the inboxes the digest's
  LiveVox agent sees (LiveVox lists no resolved threads and has no account-wide history: history is read per
  thread), Routee's outbound sends (a message once, by its first part). `sources` counts each source. Top
  queues and agents come from Zoom (Contact Center queues/agents, Phone session owners). First response:
  Zoom Contact Center logs are engagement summaries without message times, so it comes from LiveVox thread
  messages and Zoom Phone session messages (a customer's first unanswered message to the next answer).
* Calls: Zoom Contact Center voice calls by outcome (answered, abandoned, missed, voicemail, short), the
  abandoned rate, the average handled call's duration, by queue. Zoom's voice call log has no wait or queue
  time field (only `total_duration`), so the wait is what it can say: how long callers who abandoned waited
  before hanging up (their engagement had no talking; `wait_seconds` / `waited_calls` over those calls).
* Delivery: Routee's tracked sends (delivered / undelivered / failed) and Switchboard's own outbox
  (delivered / blocked / undelivered / not confirmed), with the failures listed (number masked). Routee
  tracks only the latest 7 days: the older part of a period is not counted.
* Threads: a LiveVox snapshot when the digest is built: unread and active threads per SMS inbox, and the
  thread waiting longest for an answer (its last message is the customer's).
* `volume`: the current period's SMS (Zoom Contact Center, Zoom Phone, LiveVox; Routee reports no send time)
  and calls per bucket in the digest's time zone: per local hour (daily: 23 or 25 buckets on a DST day), per
  local day (weekly), per 5 minutes (hourly).

Scope (`DigestScope`): `queues` (Zoom queue ids or names) keeps the Zoom records of those queues only;
`inbox` (a LiveVox SMS channel id) keeps that inbox's threads and messages only. Routee knows neither, so a
scoped request counts no Routee sends in its SMS; Delivery is the workspace's whole.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SmsMessage, SmsStatus
from bot.jobs.retry import is_transient
from bot.phones import mask
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox.models import Thread
from bot.providers.routee import TRACKING_WINDOW, TrackingFilter
from bot.providers.zoom.models import ContactCenterQueue, SmsSession
from bot.services.contacts import e164
from bot.services.digest_schedule import Every
from bot.services.failures import describe
from bot.services.providers import Providers

__all__ = [
    "ALL_SECTIONS",
    "CALL_OUTCOMES",
    "Bucket",
    "CallTally",
    "DeliveryFailure",
    "DeliveryTally",
    "DigestData",
    "DigestRequest",
    "DigestScope",
    "InboxCount",
    "OldestThread",
    "Period",
    "Section",
    "SectionName",
    "SmsTally",
    "ThreadTally",
    "bucket_starts",
    "build_digest_data",
    "build_digests",
]

log = logging.getLogger(__name__)

TOP = 5
FAILURES_LISTED = 10
ZOOM_PAGE = 100  # Zoom's maximum: fewest pages against the HEAVY per-second limit
ROUTEE_PAGE = 2000  # Routee's maximum

SectionName = Literal["sms", "calls", "threads", "delivery"]
ALL_SECTIONS: frozenset[SectionName] = frozenset(("sms", "calls", "threads", "delivery"))

# Where SMS were counted (the keys of `SmsTally.sources`) and the names sources fail under.
ZOOM_CC = "Zoom Contact Center"
ZOOM_PHONE = "Zoom Phone"
LIVEVOX = "LiveVox"
ROUTEE = "Routee"

# Zoom Contact Center's call results (its OpenAPI enum) in the five outcomes a lead reads.
CALL_OUTCOMES: dict[str, str] = {
    "completed": "answered",
    "long_calls": "answered",
    "short_calls": "short",
    "hang_up_calls": "short",
    "short_abandoned": "abandoned",
    "long_abandoned": "abandoned",
    "hold_abandoned": "abandoned",
    "abandon_quit": "abandoned",
    "callback_abandoned_by_consumer": "abandoned",
    "overflowed_to_disconnect": "abandoned",
    "missed": "missed",
    "declined": "missed",
    "overflowed_to_inbox": "voicemail",
    "overflowed": "other",
    "auto_closed": "other",
    "contained": "other",  # ended in the flow (self-service), never reached a queue
}


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclass(frozen=True)
class DigestScope:
    """What one digest covers: a LiveVox inbox (SMS channel id) and Zoom queues (ids or names); empty: all."""

    inbox: str | None = None
    queues: tuple[str, ...] = ()

    def _matches(self, queue_id: str | None, name: str | None) -> bool:
        # Ids exactly (Zoom's are case-sensitive), names as people type them.
        names = {q.casefold() for q in self.queues}
        return (queue_id is not None and queue_id in self.queues) or (name or "").casefold() in names

    def takes_queues(self, queues: Iterable[ContactCenterQueue] | None) -> bool:
        if not self.queues:
            return True
        return any(
            self._matches(q.cc_queue_id, q.queue_name) or self._matches(q.queue_id, None)
            for q in queues or []
        )

    def takes_owner(self, owner_id: str | None, owner_name: str | None) -> bool:
        """A Zoom Phone session, by its owner (a call queue's id and name; a user's never match a queue)."""
        return not self.queues or self._matches(owner_id, owner_name)

    def takes_inbox(self, channel_id: object) -> bool:
        return self.inbox is None or str(channel_id) == self.inbox

    @property
    def whole_account(self) -> bool:
        return self.inbox is None and not self.queues


@dataclass(frozen=True)
class DigestRequest:
    """One digest to build: its scope and the sections it shows (unrequested sections cost no requests)."""

    scope: DigestScope = DigestScope()
    sections: frozenset[SectionName] = ALL_SECTIONS

    @classmethod
    def from_scope(
        cls, scope: Mapping[str, object] | None, *, inbox: str | None = None, queues: Sequence[str] = ()
    ) -> DigestRequest:
        """A subscription's `scope` JSON ({"sections", "inbox", "queues"}); `inbox` / `queues` are the
        channel mapping's, used where the JSON has no such key. Unknown sections and non-text values are
        dropped (the JSON is stored data, not a promise); no sections listed means all four."""
        scope = scope or {}
        raw_sections = scope.get("sections")
        sections = frozenset(
            s for s in (raw_sections if isinstance(raw_sections, list) else []) if s in ALL_SECTIONS
        )
        chosen_inbox = scope.get("inbox", inbox)
        raw_queues = scope.get("queues", list(queues))
        return cls(
            DigestScope(
                inbox=str(chosen_inbox)
                if isinstance(chosen_inbox, str | int) and chosen_inbox != ""
                else None,
                queues=tuple(
                    q
                    for q in (raw_queues if isinstance(raw_queues, list) else [])
                    if isinstance(q, str) and q
                ),
            ),
            sections or ALL_SECTIONS,
        )


@dataclass
class SmsTally:
    inbound: int = 0
    outbound: int = 0
    queues: Counter[str] = field(default_factory=Counter)
    agents: Counter[str] = field(default_factory=Counter)
    # engagements by where they were counted: "Zoom Contact Center", "Zoom Phone", "LiveVox", "Routee"
    sources: Counter[str] = field(default_factory=Counter)
    # first response: seconds from a customer's first inbound message to the first answer, summed over
    # the conversations where the data shows both (a mean, kept as two numbers so it streams)
    first_response_seconds: float = 0.0
    first_responses: int = 0

    @property
    def average_first_response_seconds(self) -> float | None:
        return None if not self.first_responses else self.first_response_seconds / self.first_responses

    @property
    def total(self) -> int:
        return self.inbound + self.outbound

    def count(self, source: str, inbound: bool) -> None:
        if inbound:
            self.inbound += 1
        else:
            self.outbound += 1
        self.sources[source] += 1


@dataclass
class CallTally:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    queues: Counter[str] = field(default_factory=Counter)
    handled_seconds: int = 0  # of answered calls
    # waiting before an agent answered (or the caller gave up), over calls that report it: Zoom's log
    # reports it only for abandoned calls (their whole duration was waiting; see the module docstring)
    wait_seconds: int = 0
    waited_calls: int = 0

    @property
    def average_wait_seconds(self) -> float | None:
        return None if not self.waited_calls else self.wait_seconds / self.waited_calls

    @property
    def abandoned_rate(self) -> float | None:
        return None if not self.total else self.outcomes["abandoned"] / self.total

    @property
    def average_handled_seconds(self) -> float | None:
        answered = self.outcomes["answered"]
        return None if not answered else self.handled_seconds / answered


@dataclass(frozen=True)
class DeliveryFailure:
    number: str  # masked
    status: str  # delivered / blocked / undelivered / failed / not confirmed
    reason: str  # in words, as the provider or the outbox has it
    source: str  # "Routee" or "Switchboard"


@dataclass
class DeliveryTally:
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[DeliveryFailure] = field(default_factory=list)
    failures_total: int = 0

    def failed(self, failure: DeliveryFailure) -> None:
        self.failures_total += 1
        if len(self.failures) < FAILURES_LISTED:
            self.failures.append(failure)


@dataclass(frozen=True)
class InboxCount:
    """One LiveVox inbox (SMS channel) right now: its unread and active threads."""

    name: str
    unread: int
    active: int


@dataclass(frozen=True)
class OldestThread:
    """The conversation waiting longest for an answer (the digest's button opens it)."""

    thread_id: str
    number: str  # masked
    inbox: str
    waiting_since: datetime


@dataclass
class ThreadTally:
    """LiveVox threads as they stand when the digest is built (a snapshot: no previous period)."""

    inboxes: list[InboxCount] = field(default_factory=list)
    oldest: OldestThread | None = None


@dataclass(frozen=True)
class Bucket:
    """Volume in one hour (daily digests), one local day (weekly) or 5 minutes (hourly), for the chart."""

    start: datetime  # UTC
    label: str  # local: "09:00", "Mon 3"
    sms: int = 0
    calls: int = 0


T = TypeVar("T")


@dataclass
class Section(Generic[T]):
    """A section's two tallies, or what stopped it."""

    name: str
    current: T | None = None
    previous: T | None = None
    error: str | None = None
    connected: bool = True
    transient: bool = False  # the error may pass (a provider down, a timeout): the run may be tried again


@dataclass
class DigestData:
    period: Period
    previous: Period
    sms: Section[SmsTally]
    calls: Section[CallTally]
    delivery: Section[DeliveryTally]
    threads: Section[ThreadTally] = field(default_factory=lambda: Section("LiveVox threads", connected=False))
    # the current period's volume, bucket by bucket (hours of a day, days of a week), oldest first
    volume: list[Bucket] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ buckets

FIVE_MINUTES = timedelta(minutes=5)


def bucket_starts(period: Period, zone: ZoneInfo, every: Every) -> list[datetime]:
    """The UTC starts of the chart's buckets over `period`, in `zone`'s own hours or days.

    Hours are stepped in real time from the period's start, so a local day that loses or gains an hour
    has 23 or 25 of them; days start at each local midnight (a weekly digest's days are 23 to 25 hours).
    """
    starts: list[datetime] = []
    if every is Every.WEEK:
        day = period.start.astimezone(zone).date()
        while True:
            moment = datetime.combine(day, time(0), zone).astimezone(UTC)
            if moment >= period.end:
                break
            starts.append(max(moment, period.start))
            day += timedelta(days=1)
        return starts
    step = FIVE_MINUTES if every is Every.HOUR else timedelta(hours=1)
    moment = period.start
    while moment < period.end:
        starts.append(moment)
        moment += step
    return starts


def _label(start: datetime, zone: ZoneInfo, every: Every) -> str:
    local = start.astimezone(zone)
    if every is Every.WEEK:
        return f"{local:%a} {local.day}"
    return f"{local:%H:%M}"


class _Volume:
    """Counts per bucket for one request (two ints per bucket, whatever the volume)."""

    def __init__(self, starts: list[datetime], end: datetime) -> None:
        self.starts = starts
        self.end = end
        self.sms = [0] * len(starts)
        self.calls = [0] * len(starts)

    def index(self, at: datetime) -> int | None:
        if not self.starts or at < self.starts[0] or at >= self.end:
            return None
        return bisect.bisect_right(self.starts, at) - 1

    def add(self, at: datetime | None, *, call: bool) -> None:
        if at is None:
            return
        index = self.index(at)
        if index is None:
            return
        if call:
            self.calls[index] += 1
        else:
            self.sms[index] += 1

    def buckets(self, zone: ZoneInfo, every: Every) -> list[Bucket]:
        return [
            Bucket(start, _label(start, zone, every), sms, calls)
            for start, sms, calls in zip(self.starts, self.sms, self.calls, strict=True)
        ]


# ------------------------------------------------------------------------------------------ filing


class _Filing:
    """One request's tallies; sources file every record they read into each filing that wants it."""

    def __init__(self, request: DigestRequest, current: Period, previous: Period, volume: _Volume) -> None:
        self.request = request
        self.scope = request.scope
        self.current = current
        self.previous = previous
        self.sms = (SmsTally(), SmsTally())
        self.calls = (CallTally(), CallTally())
        self.delivery = (DeliveryTally(), DeliveryTally())
        self.threads = ThreadTally()
        self.volume = volume

    def wants(self, section: SectionName) -> bool:
        return section in self.request.sections

    def sms_tally(self, at: datetime | None) -> SmsTally | None:
        return self.sms[0] if self.current.holds(at) else self.sms[1] if self.previous.holds(at) else None

    def call_tally(self, at: datetime | None) -> CallTally | None:
        return self.calls[0] if self.current.holds(at) else self.calls[1] if self.previous.holds(at) else None


class _FirstResponse:
    """A conversation's first responses, its messages given oldest first (O(1) memory per conversation).

    A run of customer messages is answered by the next outbound one: the time from the run's first message
    to that answer is one first response, filed by the period of the customer's first message.
    """

    def __init__(self, record: Callable[[datetime, float], None]) -> None:
        self.record = record
        self.waiting_since: datetime | None = None

    def message(self, at: datetime | None, inbound: bool | None) -> None:
        if at is None or inbound is None:
            return
        if inbound:
            if self.waiting_since is None:
                self.waiting_since = at
        elif self.waiting_since is not None:
            self.record(self.waiting_since, (at - self.waiting_since).total_seconds())
            self.waiting_since = None


def _first_response_recorder(filings: Sequence[_Filing]) -> Callable[[datetime, float], None]:
    def record(at: datetime, seconds: float) -> None:
        for filing in filings:
            tally = filing.sms_tally(at)
            if tally is not None:
                tally.first_response_seconds += seconds
                tally.first_responses += 1

    return record


# ------------------------------------------------------------------------------------------ sources

FANOUT = 4  # conversations read at once: a provider's round trip no longer paces its rate budget

X = TypeVar("X")


async def _each(items: AsyncIterator[X], work: Callable[[X], Awaitable[None]], width: int = FANOUT) -> None:
    """`work(item)` for every item, at most `width` at once, reading items only as slots free up.

    Unlike `HistoryService._bounded` (a list of jobs), items stream: at most `width` conversations are in
    memory, however many there are. The first failure cancels the rest and is raised as itself.
    """
    slots = asyncio.Semaphore(width)

    async def run(item: X) -> None:
        try:
            await work(item)
        finally:
            slots.release()

    try:
        async with asyncio.TaskGroup() as group:
            async for item in items:
                await slots.acquire()
                group.create_task(run(item))
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def _zoom_sms(providers: Providers, window: Period, filings: Sequence[_Filing]) -> None:
    assert providers.zoom is not None
    pager = providers.zoom.contact_center.sms.list(from_=window.start, to=window.end, page_size=ZOOM_PAGE)
    async for log_ in pager:
        at = log_.started_at
        queues = {q.queue_name for q in log_.queues or [] if q.queue_name}
        agents = {a.display_name for a in log_.agents or [] if a.display_name}
        for filing in filings:
            if not filing.scope.takes_queues(log_.queues):
                continue
            tally = filing.sms_tally(at)
            if tally is None:
                continue
            tally.count(ZOOM_CC, log_.direction == "inbound")
            tally.queues.update(queues)
            tally.agents.update(agents)
            if tally is filing.sms[0]:
                filing.volume.add(at, call=False)


async def _zoom_calls(providers: Providers, window: Period, filings: Sequence[_Filing]) -> None:
    assert providers.zoom is not None
    pager = providers.zoom.contact_center.voice_calls.list(
        from_=window.start, to=window.end, page_size=ZOOM_PAGE
    )
    async for call in pager:
        at = call.started_at
        outcome = CALL_OUTCOMES.get(call.result or "", "other")
        queues = {q.queue_name for q in call.queues or [] if q.queue_name}
        for filing in filings:
            if not filing.scope.takes_queues(call.queues):
                continue
            tally = filing.call_tally(at)
            if tally is None:
                continue
            tally.total += 1
            tally.outcomes[outcome] += 1
            tally.queues.update(queues)
            if outcome == "answered":
                tally.handled_seconds += call.total_duration or 0
            elif outcome == "abandoned" and call.total_duration is not None:
                tally.wait_seconds += call.total_duration
                tally.waited_calls += 1
            if tally is filing.calls[0]:
                filing.volume.add(at, call=True)


async def _zoom_phone(providers: Providers, window: Period, filings: Sequence[_Filing]) -> None:
    """The account's SMS sessions with a message in the window, then each one's messages (oldest first)."""
    zoom = providers.zoom
    assert zoom is not None
    sessions = zoom.phone.sms_sessions.list(
        from_=window.start,
        to=window.end,
        page_size=ZOOM_PAGE,
        session_type="all",
        filter_type="sent_received_message_time",
    )

    async def read(session: SmsSession) -> None:
        assert session.session_id is not None
        owner = next((p for p in session.participants or [] if p.is_session_owner), None)
        owner_id = owner.owner.id if owner is not None and owner.owner is not None else None
        owner_type = owner.owner.type if owner is not None and owner.owner is not None else None
        owner_name = owner.display_name if owner is not None else None
        mine = [f for f in filings if f.scope.takes_owner(owner_id, owner_name)]
        if not mine:
            return
        first = _FirstResponse(_first_response_recorder(mine))
        messages = zoom.phone.sms_sessions.get(
            session.session_id, from_=window.start, to=window.end, sort=1, page_size=ZOOM_PAGE
        )
        async for message in messages:
            at, inbound = message.sent_at, message.inbound
            first.message(at, inbound)
            for filing in mine:
                tally = filing.sms_tally(at)
                if tally is None or inbound is None:
                    continue
                tally.count(ZOOM_PHONE, inbound)
                if owner_name and owner_type == "callQueue":
                    tally.queues[owner_name] += 1
                elif owner_name:
                    tally.agents[owner_name] += 1
                if tally is filing.sms[0]:
                    filing.volume.add(at, call=False)

    async def listed() -> AsyncIterator[SmsSession]:
        async for session in sessions:
            if session.session_id:
                yield session

    await _each(listed(), read)


def _thread_number(thread: Thread) -> str:
    number = thread.from_ if thread.sms_inbound else thread.to
    if not number and thread.contact_info is not None and thread.contact_info.phones:
        number = thread.contact_info.phones[0].number
    return mask(e164(number) or number or "")


async def _livevox(
    agent: LiveVoxClient,
    window: Period,
    sms: Sequence[_Filing],
    threads: Sequence[_Filing],
) -> None:
    """The agent's SMS inboxes: their counts (threads) and their open threads' messages (SMS), in one listing.

    Threads come newest first; the SMS count reads a thread's history only when its last message falls in
    the window, and stops at its first message before the window (history is newest first too).
    """
    channels = [
        c
        for c in await agent.agent.channels()
        if (c.channel or "").lower() == "sms" and c.channel_id is not None
    ]
    for filing in threads:
        filing.threads.inboxes = [
            InboxCount(c.channel_name or "inbox", c.unread_count or 0, c.total_count or 0)
            for c in channels
            if filing.scope.takes_inbox(c.channel_id)
        ]

    async def listed() -> AsyncIterator[tuple[int | str, Sequence[_Filing]]]:
        for channel in channels:
            assert channel.channel_id is not None
            counting = [f for f in sms if f.scope.takes_inbox(channel.channel_id)]
            snapshot = [f for f in threads if f.scope.takes_inbox(channel.channel_id)]
            if not counting and not snapshot:
                continue
            async for thread in agent.threads.list_all(channel.channel_id, "SMS", personal=channel.personal):
                if thread.thread_id is None:
                    continue
                last = thread.occurred_at
                if thread.sms_inbound and last is not None:
                    for filing in snapshot:
                        oldest = filing.threads.oldest
                        if oldest is None or last < oldest.waiting_since:
                            filing.threads.oldest = OldestThread(
                                str(thread.thread_id),
                                _thread_number(thread),
                                thread.channel_name or channel.channel_name or "inbox",
                                last,
                            )
                if counting and last is not None and last >= window.start:
                    yield thread.thread_id, counting

    async def read(item: tuple[int | str, Sequence[_Filing]]) -> None:
        await _livevox_thread(agent, item[0], window, item[1])

    await _each(listed(), read)


async def _livevox_thread(
    agent: LiveVoxClient, thread_id: int | str, window: Period, filings: Sequence[_Filing]
) -> None:
    # History is newest first; first responses are found oldest first, so the walk is mirrored: a run of
    # customer messages (seen newest to oldest) is answered by the outbound message seen just before it.
    record = _first_response_recorder(filings)
    answer: datetime | None = None
    run_start: datetime | None = None
    async for message in agent.messages.history_all(thread_id=thread_id):
        at, inbound = message.occurred_at, message.inbound
        if at is None or inbound is None:
            continue
        if at < window.start:
            break
        if inbound:
            run_start = at
        else:
            if run_start is not None and answer is not None:
                record(run_start, (answer - run_start).total_seconds())
            answer, run_start = at, None
        for filing in filings:
            tally = filing.sms_tally(at)
            if tally is None:
                continue
            tally.count(LIVEVOX, inbound)
            if tally is filing.sms[0]:
                filing.volume.add(at, call=False)
    if run_start is not None and answer is not None:
        record(run_start, (answer - run_start).total_seconds())


_ROUTEE_STATUS = {"Delivered": "delivered", "Undelivered": "undelivered", "Failed": "failed"}
_OUTBOX_STATUS = {
    SmsStatus.DELIVERED: "delivered",
    SmsStatus.BLOCKED: "blocked",
    SmsStatus.UNDELIVERED: "undelivered",
    SmsStatus.FAILED: "failed",
    SmsStatus.ACCEPTED: "not confirmed",
    SmsStatus.UNKNOWN: "not confirmed",
}


async def _routee(
    providers: Providers,
    now: datetime,
    current: Period,
    previous: Period,
    sms: Sequence[_Filing],
    delivery: Sequence[_Filing],
) -> None:
    """Routee's outbound sends: counted as SMS (unscoped requests) and by delivery status, from one read."""
    routee = providers.routee
    assert routee is not None
    oldest = now - TRACKING_WINDOW + timedelta(minutes=1)

    # A tracked SMS carries no send time (only its last status's), and tracking searches by send time:
    # one search per period (together, the same pages as one search over both).
    async def one(index: int, period: Period) -> None:
        start, end = max(period.start, oldest), min(period.end, now)
        if start >= end:
            return  # Routee no longer tracks (or does not yet have) this period
        pager = routee.tracking.list(
            date_start=start,
            date_end=end - timedelta(milliseconds=1),  # inclusive end; the next period starts there
            filters=[TrackingFilter(field_name="direction", search_term="Outbound")],
            page_size=ROUTEE_PAGE,
        )
        async for tracked in pager:
            # Tracking lists each part of a long message; a message counts once, by its first part (no
            # set of ids kept, so memory stays flat however many were sent).
            if tracked.part not in (None, 0, 1):
                continue
            for filing in sms:
                filing.sms[index].count(ROUTEE, False)
            if not delivery:
                continue
            said = tracked.status.status if tracked.status is not None else None
            status = _ROUTEE_STATUS.get(said or "", "not confirmed")
            failure: DeliveryFailure | None = None
            if status != "delivered" and index == 0:
                detail = tracked.status.reason if tracked.status is not None else None
                reason = (detail.description or detail.detailed_status if detail else None) or said
                failure = DeliveryFailure(mask(tracked.to or ""), status, reason or "no reason given", ROUTEE)
            for filing in delivery:
                tally = filing.delivery[index]
                tally.statuses[status] += 1
                if failure is not None:
                    tally.failed(failure)

    await asyncio.gather(one(0, current), one(1, previous))


async def _outbox(
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    current: Period,
    previous: Period,
    filings: Sequence[_Filing],
) -> None:
    async with sessions() as session:
        rows = await session.stream(
            select(
                SmsMessage.created_at,
                SmsMessage.status,
                SmsMessage.to_number,
                SmsMessage.status_reason,
                SmsMessage.error,
            ).where(
                SmsMessage.team_id == team_id,
                SmsMessage.created_at >= previous.start,
                SmsMessage.created_at < current.end,
            )
        )
        async for at, status, number, reason, error in rows:
            index = 0 if current.holds(at) else 1
            word = _OUTBOX_STATUS.get(status)
            if word is None:  # pending: still being sent
                continue
            failure = None
            if word != "delivered" and index == 0:
                said = reason or error or "the provider has not reported it yet"
                failure = DeliveryFailure(mask(number), word, said, "Switchboard")
            for filing in filings:
                tally = filing.delivery[index]
                tally.statuses[word] += 1
                if failure is not None:
                    tally.failed(failure)


# ------------------------------------------------------------------------------------------ building


@dataclass(frozen=True)
class _Failed:
    said: str  # a sentence for the sections the source feeds
    transient: bool  # it may pass (down, slow, rate-limited): the run may be tried again


async def _run(name: str, work: Awaitable[None]) -> tuple[str, _Failed | None]:
    """Run one source; its failure is told by the sections it feeds (details go to the log)."""
    try:
        await work
    except Exception as error:  # a source fails alone; the digest says which and why
        log.warning("digest source failed", extra={"source": name, "error": type(error).__name__})
        return name, _Failed(describe(name, error), is_transient(error))
    return name, None


def _livevox_agent(providers: Providers, login: str | None) -> LiveVoxClient | None:
    """The LiveVox agent session the threads are read as (inboxes and threads are agent-only methods)."""
    if login:
        return providers.livevox_agent(login)
    if providers.livevox is not None and providers.livevox.is_agent:
        return providers.livevox
    return None


async def build_digests(
    providers: Providers,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    current: Period,
    previous: Period,
    *,
    requests: Sequence[DigestRequest],
    zone: ZoneInfo | None = None,
    every: Every = Every.DAY,
    livevox_login: str | None = None,
    now: datetime | None = None,
) -> list[DigestData]:
    """One digest per request, from one read of each provider over both periods (sources run concurrently,
    so the total is the slowest provider's, not their sum).

    `livevox_login`: the LiveVox agent whose inboxes the threads (and LiveVox's SMS) are read from; without
    one, a LiveVox connection that is itself an agent login is used, else LiveVox is left out. `now`: when
    the digest is built (default: the current time); Routee tracks only the 7 days before it.
    """
    zone = zone or ZoneInfo("UTC")
    starts = bucket_starts(current, zone, every)
    filings = [_Filing(r, current, previous, _Volume(starts, current.end)) for r in requests]
    window = Period(previous.start, current.end)
    agent = _livevox_agent(providers, livevox_login)

    def wanting(section: SectionName) -> list[_Filing]:
        return [f for f in filings if f.wants(section)]

    sms, calls, threads, delivery = wanting("sms"), wanting("calls"), wanting("threads"), wanting("delivery")
    work: list[Awaitable[tuple[str, _Failed | None]]] = []
    if providers.zoom is not None and sms:
        work.append(_run(ZOOM_CC, _zoom_sms(providers, window, sms)))
        # A session has no queue of the Contact Center's: queue-scoped requests take call-queue sessions
        # whose queue is named in their scope (by id or name), user sessions only when unscoped.
        work.append(_run(ZOOM_PHONE, _zoom_phone(providers, window, sms)))
    if providers.zoom is not None and calls:
        work.append(_run("Zoom Contact Center calls", _zoom_calls(providers, window, calls)))
    if agent is not None and (sms or threads):
        work.append(_run(LIVEVOX, _livevox(agent, window, sms, threads)))
    routee_sms = [f for f in sms if f.scope.whole_account]
    if providers.routee is not None and (routee_sms or delivery):
        work.append(
            _run(
                ROUTEE, _routee(providers, now or datetime.now(UTC), current, previous, routee_sms, delivery)
            )
        )
    if delivery:
        work.append(_run("Switchboard's outbox", _outbox(sessions, team_id, current, previous, delivery)))
    failed = dict(await asyncio.gather(*work))

    def failure(*sources: str) -> _Failed | None:
        return next((found for s in sources if (found := failed.get(s)) is not None), None)

    zoom, routee = providers.zoom is not None, providers.routee is not None
    out: list[DigestData] = []
    for filing in filings:
        data = DigestData(
            current,
            previous,
            _section("SMS", filing.wants("sms"), zoom or agent is not None or routee, filing.sms,
                     failure(ZOOM_CC, ZOOM_PHONE, LIVEVOX, ROUTEE if filing.scope.whole_account else "")),
            _section("Zoom Contact Center calls", filing.wants("calls"), zoom, filing.calls,
                     failure("Zoom Contact Center calls")),
            _section("Delivery", filing.wants("delivery"), True, filing.delivery,
                     failure(ROUTEE, "Switchboard's outbox")),
        )  # fmt: skip
        if filing.wants("threads") and agent is not None:
            error = failure(LIVEVOX)
            data.threads = (
                Section("LiveVox threads", error=error.said, transient=error.transient)
                if error
                else Section("LiveVox threads", filing.threads)
            )
        data.volume = filing.volume.buckets(zone, every)
        out.append(data)
    return out


def _section(
    name: str, wanted: bool, connected: bool, tallies: tuple[T, T], error: _Failed | None
) -> Section[T]:
    if not wanted or not connected:
        return Section(name, connected=False)
    if error is not None:
        # Partial numbers would mislead (a lead compares totals with the last period): the section says why.
        return Section(name, error=error.said, transient=error.transient)
    return Section(name, tallies[0], tallies[1])


async def build_digest_data(
    providers: Providers,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    current: Period,
    previous: Period,
    *,
    zone: ZoneInfo | None = None,
    every: Every = Every.DAY,
    scope: DigestScope | None = None,
    sections: Iterable[SectionName] = ALL_SECTIONS,
    livevox_login: str | None = None,
    now: datetime | None = None,
) -> DigestData:
    """One digest (see `build_digests`, which builds several from one read)."""
    request = DigestRequest(scope or DigestScope(), frozenset(sections))
    (data,) = await build_digests(
        providers,
        sessions,
        team_id,
        current,
        previous,
        requests=[request],
        zone=zone,
        every=every,
        livevox_login=livevox_login,
        now=now,
    )
    return data
