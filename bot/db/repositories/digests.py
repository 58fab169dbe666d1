from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.db.models import DigestRun, DigestSubscription
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
