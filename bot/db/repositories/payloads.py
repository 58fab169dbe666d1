from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models.slack_payload import SlackPayload
from bot.db.repositories.base import TeamRepository


class SlackPayloadRepository(TeamRepository[SlackPayload]):
    model = SlackPayload

    async def put(self, kind: str, user_id: str, data: dict[str, Any], ttl: timedelta) -> str:
        """Keep `data` for `user_id`; returns the unguessable token that stands for it in Slack."""
        token = secrets.token_urlsafe(24)
        self.session.add(
            SlackPayload(
                team_id=self.team_id,
                token=token,
                kind=kind,
                user_id=user_id,
                data=data,
                expires_at=utcnow() + ttl,
            )
        )
        await self.session.flush()
        return token

    async def get(self, token: str, kind: str, user_id: str) -> dict[str, Any] | None:
        """The data behind `token`, when it is of `kind`, belongs to `user_id` and has not expired."""
        row = await self.session.scalar(
            select(SlackPayload).where(
                SlackPayload.team_id == self.team_id,
                SlackPayload.token == token[:64],
                SlackPayload.kind == kind,
                SlackPayload.user_id == user_id,
                SlackPayload.expires_at > utcnow(),
            )
        )
        return dict(row.data) if row is not None else None


async def delete_expired_payloads(session: AsyncSession) -> None:
    """Every workspace's payloads past their expiry (`get` already refuses them)."""
    await session.execute(delete(SlackPayload).where(SlackPayload.expires_at <= utcnow()))
