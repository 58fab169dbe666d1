"""The digest scheduler: which subscriptions' slots are due, claimed once however many processes tick.

`DigestScheduler.tick(now)` runs every minute (a procrastinate periodic task, so one tick per minute across
the workers, and it is also safe when two tick at once). For each enabled subscription it finds the slots
since its last run (`bot.services.digest_schedule`), inserts one `digest_runs` row per slot (unique per
slot: the database decides who claimed it), marks slots missed by more than the late window as skipped,
and answers the runs that are waiting to be posted. Deferring a job for a run is idempotent (the job
starts a run only once, `start_run`), so a run whose job was never queued is simply offered again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import DigestRunStatus
from bot.db.repositories.digests import (
    SlotClaim,
    claim_slots,
    runs_to_post,
    schedulable_subscriptions,
)
from bot.db.session import transaction
from bot.services.digest_schedule import LATE_WITHIN, ScheduleError, due_slots, parse_schedule

__all__ = ["LOOK_BACK", "DigestScheduler", "DueRun"]

log = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=8)
"""How far back a tick looks for missed slots (a weekly digest missed once is still noted as skipped)."""


@dataclass(frozen=True)
class DueRun:
    """A run to build and post (or, when skipped, to note in the channel)."""

    run_id: int
    team_id: str
    subscription_id: int
    channel_id: str
    slot: datetime
    late: bool
    skipped: bool


class DigestScheduler:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def tick(self, now: datetime) -> list[DueRun]:
        """Claim every due slot; the runs to post now (PENDING ones within the late window) and the
        slots this tick found skipped (the latest per subscription, so a long outage is noted once)."""
        async with transaction(self._sessions) as session:
            subscriptions = await schedulable_subscriptions(session)
            claims: list[SlotClaim] = []
            channels: dict[int, str] = {}
            for item in subscriptions:
                subscription = item.subscription
                channels[subscription.id] = subscription.channel_id
                try:
                    schedule = parse_schedule(subscription.schedule.split(), subscription.timezone)
                except ScheduleError:  # stored by an older version, or edited by hand: never crash the tick
                    log.warning("digest subscription %s has an unreadable schedule", subscription.id)
                    continue
                since = max(
                    item.last_slot or subscription.created_at, subscription.created_at, now - LOOK_BACK
                )
                for due in due_slots(schedule, since=since, now=now):
                    status = DigestRunStatus.SKIPPED if due.skipped else DigestRunStatus.PENDING
                    claims.append(SlotClaim(subscription.team_id, subscription.id, due.at, status, due.late))
            claimed = await claim_slots(session, claims)
            pending = await runs_to_post(session, since=now - LATE_WITHIN)
        due_runs = [
            DueRun(
                run.id,
                run.team_id,
                run.subscription_id,
                channels[run.subscription_id],
                run.scheduled_for,
                run.late,
                skipped=False,
            )
            for run in pending
            if run.subscription_id in channels  # paused since: waits for resume, or expires
        ]
        # Skipped slots this tick claimed are noted; after a long outage only the latest of each
        # subscription, so the channel gets one note, not one per missed day.
        latest_skipped: dict[int, SlotClaim] = {}
        for claim in claims:
            if claim.status is DigestRunStatus.SKIPPED and (claim.subscription_id, claim.slot) in claimed:
                latest_skipped[claim.subscription_id] = claim
        for claim in latest_skipped.values():
            due_runs.append(
                DueRun(
                    claimed[(claim.subscription_id, claim.slot)],
                    claim.team_id,
                    claim.subscription_id,
                    channels[claim.subscription_id],
                    claim.slot,
                    late=False,
                    skipped=True,
                )
            )
        return due_runs
