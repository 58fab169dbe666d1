from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.db.base import utcnow
from bot.db.models import SlackDelivery
from bot.db.repositories.base import TeamRepository


class SlackDeliveryRepository(TeamRepository[SlackDelivery]):
    """Claims on deliveries from Slack: the first claim of a key wins until it expires (see SlackDelivery)."""

    model = SlackDelivery

    async def claim(self, key: str, *, keep_for: timedelta) -> bool:
        """True for the first delivery with this key; False for a retry or replay while the claim lasts."""
        now = utcnow()
        # Opportunistic clean-up: every claim first drops this team's expired rows (the index on expires_at
        # keeps it cheap), which also frees an expired key to be claimed again.
        await self.session.execute(
            delete(SlackDelivery).where(SlackDelivery.team_id == self.team_id, SlackDelivery.expires_at < now)
        )
        try:
            async with self.session.begin_nested():
                self.session.add(
                    SlackDelivery(team_id=self.team_id, key=key[:200], expires_at=now + keep_for)
                )
                await self.session.flush()
        except IntegrityError:
            return False
        return True
