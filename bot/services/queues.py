"""Zoom Contact Center queues by name.

Zoom's API (the Contact Center and Phone SMS specs we build on) has no operation that lists queues: the only
place a queue's name appears is on the engagements routed through it (`GET /contact_center/sms` and
`GET /contact_center/voice_calls` carry `queues: [{queue_id, cc_queue_id, queue_name}]`). So the queues
Switchboard knows are those with SMS or call traffic in the last `QUEUE_DAYS` days, read from those logs.
A queue without traffic in that time is still given by its id.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.providers.zoom import ZoomClient
from bot.providers.zoom.models import ContactCenterQueue

QUEUE_DAYS = 30
# Enough engagements to meet every busy queue, bounded so a large account's check stays a few pages.
MAX_RECORDS = 1000
# How help and the channel mapping say where the names come from (one sentence, for people).
QUEUES_NOTE = (
    f"Zoom lists no queues, so a queue is known by name once it had SMS or calls in the last {QUEUE_DAYS} "
    "days; any other is given by its id."
)
PAGE_SIZE = 100  # Zoom's largest page


@dataclass(frozen=True)
class QueueDirectory:
    """Queue id → name, as Zoom's SMS and call logs of the last `QUEUE_DAYS` days name them."""

    names: dict[str, str]

    def name(self, queue_id: str) -> str | None:
        return self.names.get(queue_id)

    def resolve(self, value: str) -> str | None:
        """The queue id for `value`: a known id, or a known queue's name (any case, spaces trimmed)."""
        if value in self.names:
            return value
        wanted = " ".join(value.split()).casefold()
        for queue_id, name in self.names.items():
            if " ".join(name.split()).casefold() == wanted:
                return queue_id
        return None

    def listed(self) -> list[str]:
        """`Name (id)` of every known queue, by name."""
        return [
            f"{name} ({qid})" for qid, name in sorted(self.names.items(), key=lambda kv: kv[1].casefold())
        ]


def _add(names: dict[str, str], queues: Iterable[ContactCenterQueue] | None) -> None:
    for queue in queues or []:
        # `queue_id` is deprecated by Zoom in favour of `cc_queue_id`; either names the same queue.
        queue_id = queue.cc_queue_id or queue.queue_id
        if queue_id and queue.queue_name:
            names.setdefault(queue_id, queue.queue_name)


async def _collect(items: AsyncIterator[Sequence[ContactCenterQueue] | None], names: dict[str, str]) -> None:
    seen = 0
    async for queues in items:
        _add(names, queues)
        seen += 1
        if seen >= MAX_RECORDS:
            break


async def queue_directory(zoom: ZoomClient, now: datetime) -> QueueDirectory:
    """The queues named in the SMS and call logs of the last `QUEUE_DAYS` days (both read at once).
    Zoom failures propagate: the caller says the queues could not be checked."""
    since = now - timedelta(days=QUEUE_DAYS)
    sms = zoom.contact_center.sms.list(from_=since, to=now, page_size=PAGE_SIZE)
    calls = zoom.contact_center.voice_calls.list(from_=since, to=now, page_size=PAGE_SIZE)

    async def sms_queues() -> AsyncIterator[Sequence[ContactCenterQueue] | None]:
        async for log_ in sms:
            yield log_.queues

    async def call_queues() -> AsyncIterator[Sequence[ContactCenterQueue] | None]:
        async for call in calls:
            yield call.queues

    names: dict[str, str] = {}
    await asyncio.gather(_collect(sms_queues(), names), _collect(call_queues(), names))
    return QueueDirectory(names)
