"""What a digest says: the period's numbers, aggregated as the records stream past, with the previous period.

Each section reads its provider once over both periods (the previous one and the digest's own) and files
every record into one of two tallies by its time, so the ▲▼ change costs no second pass and memory does not
grow with the volume (counters, never lists of records; the failures listed are capped). A section whose
provider fails says so on its own; the others still count.

Sections:
* SMS: Zoom Contact Center SMS engagements, in/out, top queues and agents.
* Calls: Zoom Contact Center voice calls by outcome (answered, abandoned, missed, voicemail, short), the
  abandoned rate, the average handled call's duration, by queue.
* Delivery: Routee's tracked sends (delivered / undelivered / failed) and Switchboard's own outbox
  (delivered / blocked / undelivered / not confirmed), with the failures listed (number masked).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SmsMessage, SmsStatus
from bot.jobs.retry import is_transient
from bot.phones import mask
from bot.providers.routee import TrackingFilter
from bot.services.failures import describe
from bot.services.providers import Providers

__all__ = [
    "CALL_OUTCOMES",
    "Bucket",
    "CallTally",
    "DeliveryFailure",
    "DeliveryTally",
    "DigestData",
    "InboxCount",
    "OldestThread",
    "Period",
    "Section",
    "SmsTally",
    "ThreadTally",
    "build_digest_data",
]

log = logging.getLogger(__name__)

TOP = 5
FAILURES_LISTED = 10

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


@dataclass
class CallTally:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    queues: Counter[str] = field(default_factory=Counter)
    handled_seconds: int = 0  # of answered calls
    # waiting before an agent answered (or the caller gave up), over calls that report it
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
    """Volume in one hour (daily digests) or one local day (weekly), for the chart."""

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


# ------------------------------------------------------------------------------------------ sections


async def _sms(providers: Providers, current: Period, previous: Period) -> tuple[SmsTally, SmsTally]:
    assert providers.zoom is not None
    now, before = SmsTally(), SmsTally()
    pager = providers.zoom.contact_center.sms.list(from_=previous.start, to=current.end, page_size=100)
    async for log_ in pager:
        at = log_.started_at
        tally = now if current.holds(at) else before if previous.holds(at) else None
        if tally is None:
            continue
        if log_.direction == "inbound":
            tally.inbound += 1
        else:
            tally.outbound += 1
        tally.queues.update({q.queue_name for q in log_.queues or [] if q.queue_name})
        tally.agents.update({a.display_name for a in log_.agents or [] if a.display_name})
    return now, before


async def _calls(providers: Providers, current: Period, previous: Period) -> tuple[CallTally, CallTally]:
    assert providers.zoom is not None
    now, before = CallTally(), CallTally()
    pager = providers.zoom.contact_center.voice_calls.list(
        from_=previous.start, to=current.end, page_size=100
    )
    async for call in pager:
        at = call.started_at
        tally = now if current.holds(at) else before if previous.holds(at) else None
        if tally is None:
            continue
        outcome = CALL_OUTCOMES.get(call.result or "", "other")
        tally.total += 1
        tally.outcomes[outcome] += 1
        tally.queues.update({q.queue_name for q in call.queues or [] if q.queue_name})
        if outcome == "answered":
            tally.handled_seconds += call.total_duration or 0
    return now, before


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
    providers: Providers, current: Period, previous: Period, tallies: tuple[DeliveryTally, DeliveryTally]
) -> None:
    assert providers.routee is not None
    routee = providers.routee

    # A tracked SMS carries no send time (only its last status's), and tracking searches by send time:
    # one search per period (together, the same pages as one search over both).
    async def one(period: Period, tally: DeliveryTally, listed: bool) -> None:
        pager = routee.tracking.list(
            date_start=period.start,
            date_end=period.end - timedelta(milliseconds=1),  # inclusive end; the next period starts there
            filters=[TrackingFilter(field_name="direction", search_term="Outbound")],
            page_size=2000,
        )
        async for sms in pager:
            # Tracking lists each part of a long message; a message counts once, by its first part (no
            # set of ids kept, so memory stays flat however many were sent).
            if sms.part not in (None, 0, 1):
                continue
            said = sms.status.status if sms.status is not None else None
            status = _ROUTEE_STATUS.get(said or "", "not confirmed")
            tally.statuses[status] += 1
            if status != "delivered" and listed:
                detail = sms.status.reason if sms.status is not None else None
                reason = (detail.description or detail.detailed_status if detail else None) or said
                tally.failed(
                    DeliveryFailure(mask(sms.to or ""), status, reason or "no reason given", "Routee")
                )

    await asyncio.gather(one(current, tallies[0], True), one(previous, tallies[1], False))


async def _outbox(
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    current: Period,
    previous: Period,
    tallies: tuple[DeliveryTally, DeliveryTally],
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
            tally = tallies[0] if current.holds(at) else tallies[1]
            word = _OUTBOX_STATUS.get(status)
            if word is None:  # pending: still being sent
                continue
            tally.statuses[word] += 1
            if word != "delivered" and tally is tallies[0]:
                said = reason or error or "the provider has not reported it yet"
                tally.failed(DeliveryFailure(mask(number), word, said, "Switchboard"))


async def _section(name: str, connected: bool, fetch: Callable[[], Awaitable[tuple[T, T]]]) -> Section[T]:
    if not connected:
        return Section(name, connected=False)
    try:
        current, previous = await fetch()
    except Exception as error:  # a section fails alone; the digest says which and why
        log.warning("digest section failed", extra={"section": name, "error": type(error).__name__})
        return Section(name, error=describe(name, error), transient=is_transient(error))
    return Section(name, current, previous)


async def build_digest_data(
    providers: Providers,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    current: Period,
    previous: Period,
) -> DigestData:
    """Every section, fetched concurrently (the total is the slowest provider's, not their sum)."""

    async def delivery() -> tuple[DeliveryTally, DeliveryTally]:
        tallies = (DeliveryTally(), DeliveryTally())
        work = [_outbox(sessions, team_id, current, previous, tallies)]
        if providers.routee is not None:
            work.append(_routee(providers, current, previous, tallies))
        await asyncio.gather(*work)
        return tallies

    zoom = providers.zoom is not None
    sms, calls, sent = await asyncio.gather(
        _section("Zoom Contact Center SMS", zoom, lambda: _sms(providers, current, previous)),
        _section("Zoom Contact Center calls", zoom, lambda: _calls(providers, current, previous)),
        _section("Delivery", True, delivery),
    )
    return DigestData(current, previous, sms, calls, sent)
