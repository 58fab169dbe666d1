"""The team's sending rules, as admins change them: its opt-out list and its sending hours (audited).

What they mean for a send is `bot.services.send_guard`'s; the list also grows by itself when the guard
reads an opt-out in a customer's history (added by "switchboard", with the message as evidence).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OptOut
from bot.db.repositories import AuditRepository, OptOutRepository, WorkspaceRepository
from bot.db.session import transaction
from bot.phones import mask
from bot.services.quiet_hours import DEFAULT_WINDOW, SendWindow

REASON_CHARS = 300


class SendRules:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def opt_outs(self, team_id: str, *, limit: int = 200) -> Sequence[OptOut]:
        async with self._sessions() as session:
            return await OptOutRepository(session, team_id).list(limit=limit)

    async def add(self, team_id: str, actor: str, number: str, reason: str | None) -> tuple[OptOut, bool]:
        """Put `number` (E.164) on the list; (row, created). An existing entry is kept as it was."""
        reason = (reason or "").strip()[:REASON_CHARS] or None
        async with transaction(self._sessions) as session:
            row, created = await OptOutRepository(session, team_id).add(
                number, source="manual", added_by=actor, reason=reason
            )
            if created:
                await AuditRepository(session, team_id).record(
                    actor,
                    "optout.added",
                    target_type="phone",
                    target_id=mask(number),
                    details={"source": "manual", "reason": reason},
                )
        return row, created

    async def remove(self, team_id: str, actor: str, number: str) -> OptOut | None:
        """Take `number` off the list (audited, with what the entry said); None when it was not on it."""
        async with transaction(self._sessions) as session:
            row = await OptOutRepository(session, team_id).remove(number)
            if row is not None:
                await AuditRepository(session, team_id).record(
                    actor,
                    "optout.removed",
                    target_type="phone",
                    target_id=mask(number),
                    details={"source": row.source, "reason": row.reason, "evidence": row.evidence_text},
                )
        return row

    async def window(self, team_id: str) -> SendWindow:
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session, team_id).get()
        if workspace is None:
            return DEFAULT_WINDOW
        return SendWindow(workspace.send_window_start, workspace.send_window_end, workspace.send_days)

    async def set_window(self, team_id: str, actor: str, window: SendWindow) -> SendWindow:
        """Change the team's sending hours (audited); returns the window it had."""
        async with transaction(self._sessions) as session:
            workspace = await WorkspaceRepository(session, team_id).ensure()
            before = SendWindow(workspace.send_window_start, workspace.send_window_end, workspace.send_days)
            workspace.send_window_start, workspace.send_window_end = window.start, window.end
            workspace.send_days = window.days
            await session.flush()
            await AuditRepository(session, team_id).record(
                actor,
                "workspace.send_window_changed",
                target_type="workspace",
                target_id=team_id,
                details={"window": window.describe(), "before": before.describe()},
            )
        return before
