"""Audit trail writes that stand alone (denials, failures), each in its own short transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repositories import AuditRepository
from bot.db.session import transaction


class AuditService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self,
        team_id: str,
        actor: str,
        action: str,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> None:
        async with transaction(self._sessions) as session:
            await AuditRepository(session, team_id).record(
                actor, action, target_type=target_type, target_id=target_id, outcome=outcome, details=details
            )

    async def denied(
        self,
        team_id: str,
        actor: str,
        what: str,
        *,
        required: str | None,
        target_type: str | None = None,
        target_id: str | None = None,
        attempted: str | None = None,
        reason: str | None = None,
    ) -> None:
        """A refusal, saying what was attempted: `what` (the command or surface), its target, and
        `attempted` (the command line or the action id, numbers masked by the caller); `reason` when it
        was not the role (what came back with the request named nothing of theirs)."""
        details: dict[str, Any] = {"what": what, "required": required}
        if attempted:
            details["attempted"] = attempted
        if reason:
            details["reason"] = reason
        await self.record(
            team_id,
            actor,
            "access.denied",
            target_type=target_type,
            target_id=target_id,
            outcome="denied",
            details=details,
        )
