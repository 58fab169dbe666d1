from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import ActionClaim
from bot.db.repositories.base import TeamRepository


class ActionClaimRepository(TeamRepository[ActionClaim]):
    model = ActionClaim

    async def claim(self, key: str, owner: str | None = None) -> bool:
        """True for the first caller with this key, and again for its `owner`; False for every repeat."""
        key = key[:200]
        try:
            async with self.session.begin_nested():
                self.session.add(ActionClaim(team_id=self.team_id, key=key, owner=owner))
                await self.session.flush()
        except IntegrityError:
            if owner is None:
                return False
            held = await self.session.scalar(
                select(ActionClaim.owner).where(ActionClaim.team_id == self.team_id, ActionClaim.key == key)
            )
            return held == owner
        return True


async def delete_old_claims(session: AsyncSession, *, older_than: timedelta) -> None:
    """Every workspace's claims made more than `older_than` ago (a repeat comes within minutes, not days)."""
    await session.execute(delete(ActionClaim).where(ActionClaim.created_at < utcnow() - older_than))
