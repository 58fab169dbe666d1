from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledSend, ScheduledStatus, Workspace
from bot.db.repositories.base import TeamRepository

WAITING = (ScheduledStatus.PENDING, ScheduledStatus.SENDING)


class ScheduledSendRepository(TeamRepository[ScheduledSend]):
    """The team's send-laters: one row per intent (`key`), fired once."""

    model = ScheduledSend

    async def get(self, row_id: int) -> ScheduledSend | None:
        """One of this team's rows (another team's id finds nothing)."""
        return (
            await self.session.execute(self._select().where(ScheduledSend.id == row_id))
        ).scalar_one_or_none()

    async def by_key(self, key: str) -> ScheduledSend | None:
        return (
            await self.session.execute(self._select().where(ScheduledSend.key == key))
        ).scalar_one_or_none()

    async def add(self, row: ScheduledSend) -> tuple[ScheduledSend, bool]:
        """The row, or the one already made for its key (a double click, a redelivered submission)."""
        existing = await self.by_key(row.key)
        if existing is not None:
            return existing, False
        try:
            async with self.session.begin_nested():
                return await self._add(row), True
        except IntegrityError:
            existing = await self.by_key(row.key)
            assert existing is not None
            return existing, False

    async def waiting(self, *, user_id: str | None = None, limit: int = 50) -> Sequence[ScheduledSend]:
        """Not sent yet (or going out now), soonest first; one person's, or the whole team's."""
        query = self._select().where(ScheduledSend.status.in_(WAITING))
        if user_id is not None:
            query = query.where(ScheduledSend.user_id == user_id)
        query = query.order_by(ScheduledSend.send_at, ScheduledSend.id).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def claim(self, row_id: int, now: datetime) -> ScheduledSend | None:
        """PENDING → SENDING when its time has come, in one statement: of two jobs firing one row (a
        retry, the sweeper), one gets it. None: cancelled, fired already, or moved to a later time."""
        result = await self.session.execute(
            update(ScheduledSend)
            .where(
                ScheduledSend.team_id == self.team_id,
                ScheduledSend.id == row_id,
                ScheduledSend.status == ScheduledStatus.PENDING,
                ScheduledSend.send_at <= now,
            )
            .values(status=ScheduledStatus.SENDING, fired_at=now, updated_at=now)
        )
        if not _changed(result):
            return None
        row = await self.get(row_id)
        if row is not None:
            await self.session.refresh(row)
        return row

    async def cancel(self, row_id: int, actor: str, now: datetime) -> bool:
        """PENDING → CANCELLED; False when it is not pending any more (it fired, or was cancelled)."""
        result = await self.session.execute(
            update(ScheduledSend)
            .where(
                ScheduledSend.team_id == self.team_id,
                ScheduledSend.id == row_id,
                ScheduledSend.status == ScheduledStatus.PENDING,
            )
            .values(status=ScheduledStatus.CANCELLED, cancelled_by=actor, outcome="cancelled", updated_at=now)
        )
        return _changed(result)

    async def unknown(self, row_id: int, outcome: str, now: datetime) -> bool:
        """SENDING → UNKNOWN, in one statement: the job that fired it ended without knowing what became
        of the send. False when it is not sending (its job settled it first: that answer stands)."""
        return await self._end(row_id, ScheduledStatus.SENDING, ScheduledStatus.UNKNOWN, outcome, now)

    async def give_up(self, row_id: int, outcome: str, now: datetime) -> bool:
        """PENDING → REFUSED (`outcome`: why), in one statement: a row that could not be fired in time is
        never fired. False when it is not pending any more (a job claimed or cancelled it first)."""
        return await self._end(row_id, ScheduledStatus.PENDING, ScheduledStatus.REFUSED, outcome, now)

    async def _end(
        self, row_id: int, was: ScheduledStatus, status: ScheduledStatus, outcome: str, now: datetime
    ) -> bool:
        result = await self.session.execute(
            update(ScheduledSend)
            .where(
                ScheduledSend.team_id == self.team_id, ScheduledSend.id == row_id, ScheduledSend.status == was
            )
            .values(status=status, outcome=outcome, updated_at=now)
        )
        return _changed(result)

    async def settle(self, row: ScheduledSend, status: ScheduledStatus, outcome: str | None = None) -> None:
        """A fired row's end: SENT (the outbox row has the rest) or REFUSED (`outcome`: why)."""
        row.status = status
        row.outcome = outcome
        await self.session.flush()

    async def move(self, row: ScheduledSend, at: datetime) -> None:
        """A fired row the guard refused only for quiet hours: pending again, for the next allowed time
        (the time first asked for is kept)."""
        row.asked_for = row.asked_for or row.send_at
        row.send_at = at
        row.status = ScheduledStatus.PENDING
        await self.session.flush()


async def overdue(session: AsyncSession, before: datetime, *, limit: int = 100) -> list[tuple[str, int]]:
    """(team, id) of pending rows whose time passed before `before`, every team: the sweeper's list."""
    query = (
        select(ScheduledSend.team_id, ScheduledSend.id)
        .join(Workspace, Workspace.team_id == ScheduledSend.team_id)
        .where(
            ScheduledSend.status == ScheduledStatus.PENDING,
            ScheduledSend.send_at < before,
            Workspace.uninstalled_at.is_(None),  # nothing runs for a workspace that removed the app
        )
        .order_by(ScheduledSend.send_at)
        .limit(limit)
    )
    return [(str(team), int(row_id)) for team, row_id in (await session.execute(query)).all()]


async def stuck(session: AsyncSession, before: datetime, *, limit: int = 100) -> list[tuple[str, int]]:
    """(team, id) of rows still sending that were fired before `before`, every team: the sweeper ends
    them UNKNOWN."""
    query = (
        select(ScheduledSend.team_id, ScheduledSend.id)
        .join(Workspace, Workspace.team_id == ScheduledSend.team_id)
        .where(
            ScheduledSend.status == ScheduledStatus.SENDING,
            ScheduledSend.fired_at < before,
            Workspace.uninstalled_at.is_(None),
        )
        .order_by(ScheduledSend.fired_at)
        .limit(limit)
    )
    return [(str(team), int(row_id)) for team, row_id in (await session.execute(query)).all()]


def _changed(result: object) -> bool:
    return bool(getattr(result, "rowcount", 0))
