from __future__ import annotations

from typing import Any

from bot.db.models import AuditEvent
from bot.db.repositories.base import TeamRepository


class AuditRepository(TeamRepository[AuditEvent]):
    model = AuditEvent

    async def record(
        self,
        actor: str,
        action: str,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            team_id=self.team_id,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            details=details or {},
        )
        return await self._add(event)

    async def recent(self, *, limit: int = 20, actor: str | None = None) -> list[AuditEvent]:
        query = self._select()
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())
