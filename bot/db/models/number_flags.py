from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class NumberFlags(TeamScoped, Base):
    """The compliance flags LiveVox last showed for a number (one row per team and number).

    LiveVox shows a contact's flags only in the thread lists of the inboxes that hold its threads, read as
    an agent who works them. Once a thread moves to someone Switchboard has no link for, no read of ours
    shows them any more: every view then shows these, said to be "as LiveVox showed them <when>", instead
    of nothing.
    """

    __tablename__ = "number_flags"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    number: Mapped[str] = mapped_column(String(20))  # E.164
    do_not_contact: Mapped[bool] = mapped_column(Boolean)
    do_not_contact_today: Mapped[bool] = mapped_column(Boolean)
    sms_opted_in: Mapped[bool | None] = mapped_column(Boolean)
    seen_at: Mapped[datetime]
