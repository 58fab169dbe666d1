from __future__ import annotations

from typing import Any

from bot.db.models import ChannelMapping
from bot.db.repositories.base import TeamRepository


class ChannelMappingRepository(TeamRepository[ChannelMapping]):
    model = ChannelMapping

    async def get(self, channel_id: str) -> ChannelMapping | None:
        query = self._select().where(ChannelMapping.channel_id == channel_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list(self) -> list[ChannelMapping]:
        return list(
            (await self.session.execute(self._select().order_by(ChannelMapping.channel_id))).scalars()
        )

    async def upsert(self, channel_id: str, **fields: Any) -> tuple[ChannelMapping, bool]:
        row = await self.get(channel_id)
        created = row is None
        if row is None:
            row = ChannelMapping(team_id=self.team_id, channel_id=channel_id)
            self.session.add(row)
        for key, value in fields.items():
            if not hasattr(ChannelMapping, key) or key in {"id", "team_id", "channel_id"}:
                raise ValueError(f"unknown channel mapping field {key!r}")
            setattr(row, key, value)
        await self.session.flush()
        return row, created

    async def delete(self, channel_id: str) -> bool:
        row = await self.get(channel_id)
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        return True
