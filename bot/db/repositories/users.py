from __future__ import annotations

from bot.db.models import Role, UserMapping
from bot.db.repositories.base import TeamRepository


class UserMappingRepository(TeamRepository[UserMapping]):
    model = UserMapping

    async def get(self, slack_user_id: str) -> UserMapping | None:
        query = self._select().where(UserMapping.slack_user_id == slack_user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list(self) -> list[UserMapping]:
        query = self._select().order_by(UserMapping.role, UserMapping.slack_user_id)
        return list((await self.session.execute(query)).scalars())

    async def count_admins(self, *, lock: bool = False) -> int:
        """How many admins the workspace has; `lock` holds their rows until the transaction ends, so two
        admins demoting each other at once cannot both pass a "not the last admin" check (Postgres)."""
        query = self._select().where(UserMapping.role == Role.ADMIN)
        if lock:
            query = query.with_for_update()
        return len(list((await self.session.execute(query)).scalars()))

    async def link(
        self,
        slack_user_id: str,
        *,
        role: Role | None = None,
        livevox_agent_id: str | None = None,
        livevox_login: str | None = None,
        zoom_user_id: str | None = None,
    ) -> tuple[UserMapping, bool]:
        """Create or update a mapping; fields left as None keep their current value."""
        row = await self.get(slack_user_id)
        created = row is None
        if row is None:
            row = UserMapping(team_id=self.team_id, slack_user_id=slack_user_id, role=role or Role.AGENT)
            self.session.add(row)
        elif role is not None:
            row.role = role
        if livevox_agent_id is not None:
            row.livevox_agent_id = livevox_agent_id
        if livevox_login is not None:
            row.livevox_login = livevox_login
        if zoom_user_id is not None:
            row.zoom_user_id = zoom_user_id
        await self.session.flush()
        return row, created

    async def unlink(self, slack_user_id: str) -> bool:
        row = await self.get(slack_user_id)
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        return True
