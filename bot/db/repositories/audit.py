from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_

from bot.db.models import AuditEvent
from bot.db.repositories.base import TeamRepository


@dataclass(frozen=True)
class AuditFilter:
    """Which events: by whom (`actor`), which action (exact, or every `sms.…` for `sms`), which target."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]  # newest first
    older: bool  # there are events before the last one
    newer: bool  # there are events after the first one


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

    async def page(
        self,
        where: AuditFilter,
        *,
        limit: int = 20,
        before_id: int | None = None,
        after_id: int | None = None,
    ) -> AuditPage:
        """One page of the trail, newest first, by id (ids grow with time): the newest, the `limit` before
        `before_id` (older), or the `limit` after `after_id` (newer)."""
        query = self._select()
        if where.actor is not None:
            query = query.where(AuditEvent.actor == where.actor)
        if where.action is not None:
            query = query.where(
                or_(
                    AuditEvent.action == where.action,
                    AuditEvent.action.startswith(where.action + ".", autoescape=True),
                )
            )
        if where.target_type is not None:
            query = query.where(AuditEvent.target_type == where.target_type)
        if where.target_id is not None:
            query = query.where(AuditEvent.target_id == where.target_id)
        if after_id is not None:
            rows = list(
                (
                    await self.session.execute(
                        query.where(AuditEvent.id > after_id).order_by(AuditEvent.id.asc()).limit(limit + 1)
                    )
                ).scalars()
            )
            newer = len(rows) > limit
            events = list(reversed(rows[:limit]))
            return AuditPage(events, older=True, newer=newer)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        rows = list(
            (await self.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit + 1))).scalars()
        )
        return AuditPage(rows[:limit], older=len(rows) > limit, newer=before_id is not None)
