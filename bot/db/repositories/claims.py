from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.db.base import utcnow
from bot.db.models import ActionClaim
from bot.db.repositories.base import TeamRepository


class ActionClaimRepository(TeamRepository[ActionClaim]):
    model = ActionClaim

    async def claim(self, key: str) -> bool:
        """True for the first caller with this key; False for every repeat."""
        try:
            async with self.session.begin_nested():
                self.session.add(ActionClaim(team_id=self.team_id, key=key[:200]))
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def prune(self, older_than: timedelta = timedelta(days=2)) -> None:
        await self.session.execute(
            delete(ActionClaim).where(
                ActionClaim.team_id == self.team_id, ActionClaim.created_at < utcnow() - older_than
            )
        )
