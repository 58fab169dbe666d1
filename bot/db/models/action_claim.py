from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class ActionClaim(TeamScoped, Base):
    """The first of several identical clicks or submissions claims the key; the others do nothing.

    A unique row rather than a process-local set, so it holds across web processes and restarts.
    `owner` names the job that claimed it (`bot.jobs.contract.Claim`), so that the job's own retries and
    the listener that stored it are not taken for repeats.
    """

    __tablename__ = "action_claims"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    key: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(32), default=None)
