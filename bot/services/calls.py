"""Voice call logs of a number (Zoom Contact Center), newest first, served a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.services.providers import Providers
from bot.services.time_range import TimeRange, parse_timestamp


@dataclass(frozen=True)
class CallRecord:
    at: datetime | None
    direction: str | None
    queue: str | None
    agent: str | None
    result: str | None
    duration_s: int | None
    recorded: bool | None
    engagement_id: str | None


@dataclass(frozen=True)
class CallPage:
    calls: list[CallRecord]
    offset: int
    total: int
    truncated: bool  # more calls exist than were fetched (max_records)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.calls) < self.total


PAGE_SIZE = 10  # calls per /calls page


class CallsService:
    def __init__(self, *, max_records: int = 500) -> None:
        self.max_records = max_records

    async def fetch(self, providers: Providers, number: str, span: TimeRange) -> list[CallRecord]:
        if providers.zoom is None:
            raise LookupError("Zoom is not connected")
        calls: list[CallRecord] = []
        pager = providers.zoom.contact_center.voice_calls.list(
            from_=span.start, to=span.end, consumer_number=number, page_size=100
        )
        async for call in pager:
            calls.append(
                CallRecord(
                    at=parse_timestamp(call.start_time),
                    direction=call.direction,
                    queue=", ".join(q.queue_name for q in call.queues or [] if q.queue_name) or None,
                    agent=", ".join(a.display_name for a in call.agents or [] if a.display_name) or None,
                    result=call.result,
                    duration_s=call.total_duration,
                    recorded=call.recorded,
                    engagement_id=call.engagement_id,
                )
            )
            if len(calls) >= self.max_records:
                break
        calls.sort(key=lambda c: c.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return calls

    async def page(
        self, providers: Providers, number: str, span: TimeRange, *, offset: int = 0, size: int = PAGE_SIZE
    ) -> CallPage:
        calls = await self.fetch(providers, number, span)
        return CallPage(
            calls=calls[offset : offset + size],
            offset=offset,
            total=len(calls),
            truncated=len(calls) >= self.max_records,
        )
