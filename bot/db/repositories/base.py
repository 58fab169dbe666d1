"""Repositories are bound to one workspace at construction, so no query can forget the team."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base

ModelT = TypeVar("ModelT", bound=Base)


class TeamRepository(Generic[ModelT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession, team_id: str) -> None:
        if not team_id:
            raise ValueError("a repository needs the Slack team id it is scoped to")
        self.session = session
        self.team_id = team_id

    def _select(self) -> Select[ModelT]:
        """Every read starts here: rows of this model that belong to this team."""
        column: Any = self.model.team_id  # type: ignore[attr-defined]
        return select(self.model).where(column == self.team_id)

    async def _add(self, row: ModelT) -> ModelT:
        self.session.add(row)
        await self.session.flush()
        return row
