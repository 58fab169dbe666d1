from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Provider, SmsMessage, SmsStatus
from bot.db.repositories.base import TeamRepository


class SmsMessageRepository(TeamRepository[SmsMessage]):
    model = SmsMessage

    async def by_key(self, idempotency_key: str) -> SmsMessage | None:
        query = self._select().where(SmsMessage.idempotency_key == idempotency_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def create_pending(
        self,
        *,
        idempotency_key: str,
        slack_user_id: str,
        to_number: str,
        provider: Provider,
        from_number: str | None = None,
        body: str | None = None,
        template_id: str | None = None,
        channel_id: str | None = None,
        thread_id: str | None = None,
    ) -> tuple[SmsMessage, bool]:
        """The outbox row for a send; an existing row with the same key is returned instead (not re-sent)."""
        existing = await self.by_key(idempotency_key)
        if existing is not None:
            return existing, False
        row = SmsMessage(
            team_id=self.team_id,
            idempotency_key=idempotency_key,
            slack_user_id=slack_user_id,
            to_number=to_number,
            from_number=from_number,
            provider=provider,
            body=body,
            template_id=template_id,
            channel_id=channel_id,
            thread_id=thread_id,
            status=SmsStatus.PENDING,
        )
        return await self._add(row), True

    async def finish(
        self,
        row: SmsMessage,
        status: SmsStatus,
        *,
        provider_message_id: str | None = None,
        error: str | None = None,
    ) -> SmsMessage:
        if row.team_id != self.team_id:
            raise PermissionError("message belongs to another workspace")
        row.status = status
        row.provider_message_id = provider_message_id
        row.error = error
        await self.session.flush()
        return row

    async def settle(
        self,
        row_id: int,
        status: SmsStatus,
        *,
        reason: str | None,
        checked_at: datetime | None = None,
        only_unexplained: bool = False,
    ) -> bool:
        """Move an ACCEPTED row to what its delivery record says (`status`, `reason` in words).

        A conditional UPDATE, so of two follow-ups reading the same record only one moves the row (and
        writes the audit event): True for that one. `only_unexplained`: only a row with no reason yet (the
        "not confirmed yet" note, which leaves the status ACCEPTED, is written once)."""
        query = (
            update(SmsMessage)
            .where(
                SmsMessage.team_id == self.team_id,
                SmsMessage.id == row_id,
                SmsMessage.status == SmsStatus.ACCEPTED,
            )
            .values(status=status, status_reason=reason, status_checked_at=checked_at or utcnow())
            .execution_options(synchronize_session=False)
        )
        if only_unexplained:
            query = query.where(SmsMessage.status_reason.is_(None))
        result = await self.session.execute(query)
        return bool(getattr(result, "rowcount", 0))

    async def checked(self, row_id: int, at: datetime | None = None) -> None:
        """When the delivery record was last read (nothing in it yet)."""
        await self.session.execute(
            update(SmsMessage)
            .where(SmsMessage.team_id == self.team_id, SmsMessage.id == row_id)
            .values(status_checked_at=at or utcnow())
            .execution_options(synchronize_session=False)
        )

    async def unknown_if_pending(self, row_id: int, reason: str) -> bool:
        """A row still PENDING ends UNKNOWN with `reason` (a conditional UPDATE: a send that has just
        ended its row keeps what it wrote). True when this call moved it."""
        result = await self.session.execute(
            update(SmsMessage)
            .where(
                SmsMessage.team_id == self.team_id,
                SmsMessage.id == row_id,
                SmsMessage.status == SmsStatus.PENDING,
            )
            .values(status=SmsStatus.UNKNOWN, error=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def recent(self, *, limit: int = 20, slack_user_id: str | None = None) -> list[SmsMessage]:
        query = self._select()
        if slack_user_id is not None:
            query = query.where(SmsMessage.slack_user_id == slack_user_id)
        query = query.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def texted(self, slack_user_id: str, to_number: str) -> bool:
        """Whether this person sent `to_number` an SMS through Switchboard that reached (or may have
        reached) the provider: a refused send gives no conversation."""
        query = (
            self._select()
            .where(
                SmsMessage.slack_user_id == slack_user_id,
                SmsMessage.to_number == to_number,
                SmsMessage.status != SmsStatus.FAILED,
            )
            .limit(1)
        )
        return (await self.session.execute(query)).first() is not None

    async def to_number(self, to_number: str, *, since: datetime, until: datetime) -> list[SmsMessage]:
        """Everything Switchboard sent `to_number` in the span, by anyone (refused sends left out: they never
        left), oldest first."""
        query = (
            self._select()
            .where(
                SmsMessage.to_number == to_number,
                SmsMessage.status != SmsStatus.FAILED,
                SmsMessage.created_at >= since,
                SmsMessage.created_at <= until,
            )
            .order_by(SmsMessage.created_at, SmsMessage.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def thread_ids(self, to_number: str) -> list[str]:
        """The LiveVox threads replies to `to_number` were sent in."""
        query = (
            select(SmsMessage.thread_id)
            .where(
                SmsMessage.team_id == self.team_id,
                SmsMessage.to_number == to_number,
                SmsMessage.thread_id.is_not(None),
            )
            .distinct()
        )
        return [str(t) for t in (await self.session.execute(query)).scalars() if t]


async def stale_pending(session: AsyncSession, *, before: datetime, limit: int = 500) -> list[SmsMessage]:
    """Every workspace's outbox rows still PENDING that were written before `before` (a send takes
    seconds: these lost their ending, a database blink or a dead worker right after the provider call)."""
    query = (
        select(SmsMessage)
        .where(SmsMessage.status == SmsStatus.PENDING, SmsMessage.created_at < before)
        .order_by(SmsMessage.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
