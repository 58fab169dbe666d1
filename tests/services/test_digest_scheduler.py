"""The digest scheduler on every backend: each slot claimed once however many ticks race, late and skipped
slots after an outage, paused and uninstalled workspaces left alone, and a run started only once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import DigestRun, DigestRunStatus, DigestSubscription, Workspace
from bot.db.repositories.digests import start_run
from bot.services.digests import DigestScheduler

NY = ZoneInfo("America/New_York")


async def subscribe(
    sessions: async_sessionmaker[AsyncSession],
    schedule: str,
    zone: str,
    *,
    created: datetime,
    team: str = "T1",
    channel: str = "C1",
    enabled: bool = True,
    uninstalled: bool = False,
) -> int:
    async with sessions() as session, session.begin():
        if await session.scalar(select(Workspace).where(Workspace.team_id == team)) is None:
            session.add(Workspace(team_id=team, uninstalled_at=created if uninstalled else None))
        row = DigestSubscription(
            team_id=team,
            channel_id=channel,
            name=f"{schedule} {channel}",
            schedule=schedule,
            timezone=zone,
            enabled=enabled,
            created_at=created,
        )
        session.add(row)
        await session.flush()
        return row.id


async def runs(sessions: async_sessionmaker[AsyncSession]) -> list[DigestRun]:
    async with sessions() as session:
        return list((await session.execute(select(DigestRun).order_by(DigestRun.scheduled_for))).scalars())


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


async def test_a_due_slot_is_claimed_once_and_offered_until_started(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sub = await subscribe(sessions, "daily 09:00", "America/New_York", created=ny(2026, 12, 1, 12))
    scheduler = DigestScheduler(sessions)
    assert await scheduler.tick(ny(2026, 12, 2, 8, 59)) == []
    [due] = await scheduler.tick(ny(2026, 12, 2, 9, 0, 30))
    assert (due.subscription_id, due.slot, due.late, due.skipped) == (sub, ny(2026, 12, 2, 9), False, False)
    [again] = await scheduler.tick(
        ny(2026, 12, 2, 9, 1, 30)
    )  # its job may not have been queued: offered again
    assert again.run_id == due.run_id and len(await runs(sessions)) == 1

    async with sessions() as session, session.begin():
        assert await start_run(
            session, due.run_id, now=ny(2026, 12, 2, 9, 2), stale_after=timedelta(minutes=10)
        )
    async with sessions() as session, session.begin():  # a second job for the same run does nothing
        assert not await start_run(
            session, due.run_id, now=ny(2026, 12, 2, 9, 3), stale_after=timedelta(minutes=10)
        )
    assert await scheduler.tick(ny(2026, 12, 2, 9, 4)) == []
    async with sessions() as session, session.begin():  # ... unless its worker died long ago
        assert await start_run(
            session, due.run_id, now=ny(2026, 12, 2, 9, 30), stale_after=timedelta(minutes=10)
        )


async def test_racing_ticks_claim_each_slot_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    for channel in ("C1", "C2", "C3"):
        await subscribe(
            sessions, "hourly :15", "UTC", created=datetime(2026, 12, 2, tzinfo=UTC), channel=channel
        )
    schedulers = [DigestScheduler(sessions) for _ in range(5)]
    now = datetime(2026, 12, 2, 3, 15, 20, tzinfo=UTC)
    answers = await asyncio.gather(*(s.tick(now) for s in schedulers), return_exceptions=True)
    offered = [due for answer in answers if isinstance(answer, list) for due in answer]
    rows = await runs(sessions)
    # 00:15 .. 03:15 for three channels: 12 rows, never two for one slot, whoever won.
    assert len(rows) == 12 and len({(r.subscription_id, r.scheduled_for) for r in rows}) == 12
    assert {d.run_id for d in offered} <= {r.id for r in rows}
    late = {r.scheduled_for.hour for r in rows if r.late}
    assert late == {0, 1, 2}  # missed by more than the grace, within six hours: posted late


async def test_after_a_long_outage_old_slots_are_skipped_and_noted_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await subscribe(sessions, "daily 09:00", "America/New_York", created=ny(2026, 11, 27, 12))
    scheduler = DigestScheduler(sessions)
    due = await scheduler.tick(ny(2026, 12, 2, 10, 0))  # down since 27 Nov
    rows = await runs(sessions)
    assert [(r.scheduled_for.astimezone(NY).day, r.status) for r in rows] == [
        (28, DigestRunStatus.SKIPPED),
        (29, DigestRunStatus.SKIPPED),
        (30, DigestRunStatus.SKIPPED),
        (1, DigestRunStatus.SKIPPED),
        (2, DigestRunStatus.PENDING),
    ]
    assert [(d.slot.astimezone(NY).day, d.late, d.skipped) for d in due] == [
        (2, True, False),
        (1, False, True),
    ]
    assert [d for d in await scheduler.tick(ny(2026, 12, 2, 10, 1)) if d.skipped] == []  # noted once


async def test_paused_and_uninstalled_subscriptions_do_not_run(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    created = datetime(2026, 12, 1, tzinfo=UTC)
    await subscribe(sessions, "hourly :00", "UTC", created=created, enabled=False)
    await subscribe(sessions, "hourly :00", "UTC", created=created, team="T2", uninstalled=True)
    assert await DigestScheduler(sessions).tick(datetime(2026, 12, 1, 5, 0, 10, tzinfo=UTC)) == []
    assert await runs(sessions) == []


async def test_a_daily_digest_posts_once_a_day_at_nine_local_across_the_spring_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Ticking every ten minutes (a fake clock) from 6 to 11 March 2026, New York changing on the 8th."""
    await subscribe(sessions, "daily 09:00", "America/New_York", created=ny(2026, 3, 6))
    scheduler = DigestScheduler(sessions)
    now = ny(2026, 3, 6)
    while now < ny(2026, 3, 11):
        await scheduler.tick(now)
        async with sessions() as session, session.begin():  # each offered run is taken by its job
            pending = (
                await session.execute(select(DigestRun.id).where(DigestRun.status == "pending"))
            ).scalars()
            for run_id in list(pending):
                assert await start_run(session, run_id, now=now, stale_after=timedelta(minutes=30))
        now += timedelta(minutes=10)
    rows = await runs(sessions)
    assert [r.scheduled_for.astimezone(NY).strftime("%d %H:%M %Z") for r in rows] == [
        "06 09:00 EST",
        "07 09:00 EST",
        "08 09:00 EDT",
        "09 09:00 EDT",
        "10 09:00 EDT",
    ]
    assert not any(r.late for r in rows)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DigestRun)) == 5


async def test_a_daily_digest_posts_once_a_day_at_nine_local_across_the_fall_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Ticking every ten minutes from 30 October to 4 November 2026, New York falling back on the 1st (the
    25-hour day), with a second subscription inside the repeated hour (01:30 happens twice: posted once)."""
    await subscribe(sessions, "daily 09:00", "America/New_York", created=ny(2026, 10, 30))
    await subscribe(sessions, "daily 01:30", "America/New_York", created=ny(2026, 10, 30), channel="C2")
    scheduler = DigestScheduler(sessions)
    now = ny(2026, 10, 30)
    while now < ny(2026, 11, 4):
        await scheduler.tick(now)
        async with sessions() as session, session.begin():
            pending = (
                await session.execute(select(DigestRun.id).where(DigestRun.status == "pending"))
            ).scalars()
            for run_id in list(pending):
                assert await start_run(session, run_id, now=now, stale_after=timedelta(minutes=30))
        now += timedelta(minutes=10)
    rows = await runs(sessions)
    nine = [r for r in rows if r.scheduled_for.astimezone(NY).hour == 9]
    assert [r.scheduled_for.astimezone(NY).strftime("%d %H:%M %Z") for r in nine] == [
        "30 09:00 EDT",
        "31 09:00 EDT",
        "01 09:00 EST",
        "02 09:00 EST",
        "03 09:00 EST",
    ]
    early = [r for r in rows if r.scheduled_for.astimezone(NY).hour == 1]
    assert [r.scheduled_for.astimezone(NY).strftime("%d %H:%M %Z") for r in early] == [
        "30 01:30 EDT",
        "31 01:30 EDT",
        "01 01:30 EDT",  # the first of the two 01:30s of the long day, and only that one
        "02 01:30 EST",
        "03 01:30 EST",
    ]
