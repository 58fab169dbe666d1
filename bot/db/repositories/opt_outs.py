from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.db.models import OptOut
from bot.db.repositories.base import TeamRepository


class OptOutRepository(TeamRepository[OptOut]):
    """The team's opt-out list: numbers no one of the team may text."""

    model = OptOut

    async def get(self, number: str) -> OptOut | None:
        result = await self.session.execute(self._select().where(OptOut.number == number))
        return result.scalar_one_or_none()

    async def list(self, *, limit: int = 200) -> Sequence[OptOut]:
        query = self._select().order_by(OptOut.created_at.desc(), OptOut.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def add(
        self,
        number: str,
        *,
        source: str,
        added_by: str,
        reason: str | None = None,
        evidence_text: str | None = None,
        evidence_provider: str | None = None,
        evidence_at: datetime | None = None,
    ) -> tuple[OptOut, bool]:
        """The number's row, created when absent; (row, created). An existing row is left as it is."""
        row = await self.get(number)
        if row is not None:
            return row, False
        try:
            async with self.session.begin_nested():  # two sends may see the same STOP at once
                row = await self._add(
                    OptOut(
                        team_id=self.team_id,
                        number=number,
                        source=source,
                        added_by=added_by,
                        reason=reason,
                        evidence_text=evidence_text,
                        evidence_provider=evidence_provider,
                        evidence_at=evidence_at,
                    )
                )
            return row, True
        except IntegrityError:
            row = await self.get(number)
            assert row is not None
            return row, False

    async def remove(self, number: str) -> OptOut | None:
        row = await self.get(number)
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()
        return row
