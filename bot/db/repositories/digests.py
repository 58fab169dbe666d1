from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DigestRun, DigestRunStatus, DigestSubscription, Workspace
from bot.db.repositories.base import TeamRepository


class DigestRepository(TeamRepository[DigestSubscription]):
    model = DigestSubscription

    async def subscriptions(self, *, enabled_only: bool = True) -> list[DigestSubscription]:
        query = self._select()
        if enabled_only:
            query = query.where(DigestSubscription.enabled.is_(True))
        return list((await self.session.execute(query.order_by(DigestSubscription.id))).scalars())

    async def subscribe(self, channel_id: str, schedule: str, **fields: object) -> DigestSubscription:
        row = DigestSubscription(team_id=self.team_id, channel_id=channel_id, schedule=schedule, **fields)
        return await self._add(row)

    async def get(self, subscription_id: int) -> DigestSubscription | None:
        """One of this team's subscriptions (another team's id finds nothing)."""
        query = self._select().where(DigestSubscription.id == subscription_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def on_channel(self, channel_id: str) -> list[DigestSubscription]:
        query = self._select().where(DigestSubscription.channel_id == channel_id)
        return list((await self.session.execute(query.order_by(DigestSubscription.id))).scalars())

    async def delete(self, subscription: DigestSubscription) -> None:
        """Remove a subscription and its runs (explicitly: SQLite cascades only with foreign keys on)."""
        await self.session.execute(delete(DigestRun).where(DigestRun.subscription_id == subscription.id))
        await self.session.delete(subscription)
        await self.session.flush()

    async def latest_runs(self, subscription_ids: Sequence[int]) -> dict[int, DigestRun]:
        """Each subscription's latest run (by its slot, run-now included), in one query."""
        if not subscription_ids:
            return {}
        latest = (
            select(DigestRun.subscription_id, func.max(DigestRun.scheduled_for).label("slot"))
            .where(DigestRun.team_id == self.team_id, DigestRun.subscription_id.in_(subscription_ids))
            .group_by(DigestRun.subscription_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(DigestRun)
            .join(
                latest,
                (latest.c.subscription_id == DigestRun.subscription_id)
                & (latest.c.slot == DigestRun.scheduled_for),
            )
            .order_by(DigestRun.id)
        )
        return {run.subscription_id: run for run in rows.scalars()}

    async def last_scheduled_slot(self, subscription: DigestSubscription) -> datetime | None:
        """The latest slot of the schedule that has a run (run-now runs are outside the schedule)."""
        return await self.session.scalar(
            select(func.max(DigestRun.scheduled_for)).where(
                DigestRun.subscription_id == subscription.id, DigestRun.manual.is_(False)
            )
        )

    async def claim_run(self, subscription: DigestSubscription, slot: datetime) -> DigestRun | None:
        """Claim a scheduled slot; None when another worker already has it (the unique key decides)."""
        if subscription.team_id != self.team_id:
            raise PermissionError("subscription belongs to another workspace")
        run = DigestRun(team_id=self.team_id, subscription_id=subscription.id, scheduled_for=slot)
        try:
            async with self.session.begin_nested():
                self.session.add(run)
                await self.session.flush()
        except IntegrityError:
            return None
        return run


# ------------------------------------------------------------------------ the scheduler's cross-team view


@dataclass(frozen=True)
class Schedulable:
    """An enabled subscription of an installed workspace, with the last slot it has a run for."""

    subscription: DigestSubscription
    last_slot: datetime | None


async def schedulable_subscriptions(session: AsyncSession) -> list[Schedulable]:
    """Every workspace's enabled subscriptions (not of uninstalled workspaces), in one query.

    The scheduler is the one reader across teams: it only finds what is due and claims its slots, each
    run row carrying its subscription's team.
    """
    last = (
        select(DigestRun.subscription_id, func.max(DigestRun.scheduled_for).label("last_slot"))
        .where(DigestRun.manual.is_(False))  # run-now is outside the schedule
        .group_by(DigestRun.subscription_id)
        .subquery()
    )
    rows = await session.execute(
        select(DigestSubscription, last.c.last_slot)
        .join(Workspace, Workspace.team_id == DigestSubscription.team_id)
        .outerjoin(last, last.c.subscription_id == DigestSubscription.id)
        .where(DigestSubscription.enabled.is_(True), Workspace.uninstalled_at.is_(None))
        .order_by(DigestSubscription.id)
    )
    return [Schedulable(subscription, last_slot) for subscription, last_slot in rows.all()]


@dataclass(frozen=True)
class SlotClaim:
    team_id: str
    subscription_id: int
    slot: datetime
    status: DigestRunStatus  # PENDING (to post, maybe late) or SKIPPED
    late: bool


async def claim_slots(session: AsyncSession, claims: Sequence[SlotClaim]) -> dict[tuple[int, datetime], int]:
    """Insert a run per (subscription, slot) that has none; {(subscription, slot): run id} of the rows THIS
    call inserted.

    The unique (subscription_id, scheduled_for) key decides between concurrent schedulers in any number
    of processes: each slot's row is inserted once, and only its inserter gets its id back.
    """
    if not claims:
        return {}
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(DigestRun)
        .values(
            [
                {
                    "team_id": c.team_id,
                    "subscription_id": c.subscription_id,
                    "scheduled_for": c.slot,
                    "status": c.status,
                    "late": c.late,
                }
                for c in claims
            ]
        )
        .on_conflict_do_nothing(index_elements=[DigestRun.subscription_id, DigestRun.scheduled_for])
        .returning(DigestRun.id, DigestRun.subscription_id, DigestRun.scheduled_for)
    )
    rows = await session.execute(statement)
    return {(row.subscription_id, row.scheduled_for): row.id for row in rows}


async def runs_to_post(session: AsyncSession, *, since: datetime) -> list[DigestRun]:
    """Runs still PENDING with a slot after `since`: just claimed, or claimed by a scheduler whose job was
    never queued (it died between the two). Offering them again is safe: a run is started only once."""
    rows = await session.execute(
        select(DigestRun)
        .where(DigestRun.status == DigestRunStatus.PENDING, DigestRun.scheduled_for > since)
        .order_by(DigestRun.scheduled_for, DigestRun.id)
    )
    return list(rows.scalars())


async def start_run(session: AsyncSession, run_id: int, *, now: datetime, stale_after: timedelta) -> bool:
    """Move a run to RUNNING; False when another job has it (or it is done). A RUNNING run whose worker
    died (no heartbeat for `stale_after`) may be taken over; a slow one keeps beating and is left alone."""
    beat = func.coalesce(DigestRun.heartbeat_at, DigestRun.started_at)
    result = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.id == run_id,
            (DigestRun.status == DigestRunStatus.PENDING)
            | ((DigestRun.status == DigestRunStatus.RUNNING) & (beat < now - stale_after)),
        )
        .values(status=DigestRunStatus.RUNNING, started_at=now, heartbeat_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def beat(session: AsyncSession, run_id: int, *, now: datetime) -> None:
    """The running job is alive (see `start_run`)."""
    await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id, DigestRun.status == DigestRunStatus.RUNNING)
        .values(heartbeat_at=now)
    )


async def claim_note(session: AsyncSession, run_id: int, *, now: datetime) -> bool:
    """Claim the note of a SKIPPED run (its heartbeat marks who is writing it): True once."""
    result = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.id == run_id,
            DigestRun.status == DigestRunStatus.SKIPPED,
            DigestRun.message_ts.is_(None),
            DigestRun.heartbeat_at.is_(None),
        )
        .values(heartbeat_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def release_run(session: AsyncSession, run_id: int) -> None:
    """Give a RUNNING run back (its job will be retried): the next job may claim it at once."""
    await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id, DigestRun.status == DigestRunStatus.RUNNING)
        .values(status=DigestRunStatus.PENDING, heartbeat_at=None)
    )


async def record_post(session: AsyncSession, run_id: int, *, ts: str, now: datetime) -> None:
    """The message is in the channel: recorded at once, so a retry of the run never posts it again."""
    await session.execute(
        update(DigestRun).where(DigestRun.id == run_id).values(message_ts=ts, heartbeat_at=now)
    )


async def finish_run(
    session: AsyncSession, run_id: int, status: DigestRunStatus, *, now: datetime, error: str | None = None
) -> None:
    await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id)
        .values(status=status, finished_at=now, heartbeat_at=None, error=error)
    )


async def manual_run(session: AsyncSession, subscription: DigestSubscription, *, now: datetime) -> int:
    """A run outside the schedule (`digest run-now`), for the period that ended at the last slot."""
    run = DigestRun(
        team_id=subscription.team_id,
        subscription_id=subscription.id,
        scheduled_for=now,
        status=DigestRunStatus.PENDING,
        manual=True,
    )
    session.add(run)
    await session.flush()
    return run.id


@dataclass(frozen=True)
class RunWithSubscription:
    run: DigestRun
    subscription: DigestSubscription


async def run_with_subscription(session: AsyncSession, run_id: int) -> RunWithSubscription | None:
    row = (
        await session.execute(
            select(DigestRun, DigestSubscription)
            .join(DigestSubscription, DigestSubscription.id == DigestRun.subscription_id)
            .where(DigestRun.id == run_id)
        )
    ).first()
    return None if row is None else RunWithSubscription(row[0], row[1])
