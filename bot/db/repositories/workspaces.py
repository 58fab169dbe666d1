from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Workspace
from bot.db.repositories.base import TeamRepository


class WorkspaceRepository(TeamRepository[Workspace]):
    model = Workspace

    async def get(self) -> Workspace | None:
        result = await self.session.execute(self._select())
        return result.scalar_one_or_none()

    async def ensure(self, name: str = "") -> Workspace:
        """The workspace row, created on first sight; a reinstall clears `uninstalled_at`."""
        workspace = await self.get()
        if workspace is None:
            return await self._add(Workspace(team_id=self.team_id, name=name))
        if name and workspace.name != name:
            workspace.name = name
        workspace.uninstalled_at = None
        await self.session.flush()
        return workspace

    async def mark_uninstalled(self) -> None:
        workspace = await self.get()
        if workspace is not None:
            workspace.uninstalled_at = utcnow()
            await self.session.flush()


async def all_team_ids(session: AsyncSession) -> list[str]:
    """The one cross-team read: maintenance (key rotation, digest ticks) iterates teams, then scopes."""
    result = await session.execute(select(Workspace.team_id).order_by(Workspace.team_id))
    return list(result.scalars())


async def enterprise_team_ids(session: AsyncSession, enterprise_id: str) -> list[str]:
    """The workspaces of an Enterprise Grid org Switchboard knows (and the org's own row, under its id):
    what an org-wide install serves, so what its removal stops and its reinstall resumes."""
    query = (
        select(Workspace.team_id).where(Workspace.enterprise_id == enterprise_id).order_by(Workspace.team_id)
    )
    return list((await session.execute(query)).scalars())
