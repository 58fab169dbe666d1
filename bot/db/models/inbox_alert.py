from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped


class InboxPoll(TeamScoped, Base):
    """The alert poller's state for one LiveVox inbox (a group inbox: its service id).

    One row per (team, inbox): when it was last read, how it is failing (the poller backs off while
    LiveVox fails and catches up after), and whether its first read has happened (the threads already
    waiting then are summed up in one card, not posted one by one).
    """

    __tablename__ = "inbox_polls"
    __table_args__ = (UniqueConstraint("team_id", "inbox"),)

    inbox: Mapped[str] = mapped_column(String(64))
    first_polled_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class InboxThread(TeamScoped, Base):
    """A thread of a followed inbox that Switchboard has seen: one row per (team, inbox, thread), so a new
    inbound conversation is announced once however many workers poll and however often they restart."""

    __tablename__ = "inbox_threads"
    __table_args__ = (UniqueConstraint("team_id", "inbox", "thread_id"),)

    inbox: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(20))  # E.164
    # Seen while the inbox's first read summed up what was already waiting: no card of its own.
    summarized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its cards were posted (claimed) in every following channel; until then each round tries again, so a
    # poller that died between reading the inbox and posting loses nothing.
    announced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the thread is now, as the poller last saw it: waiting (in the group inbox), taken, resolved.
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    holder: Mapped[str | None] = mapped_column(String(64))  # who has it (a LiveVox agent id or login)
    last_message_at: Mapped[datetime | None]
    # The customer's message waiting for an answer since (None: answered); nudges count from it.
    waiting_since: Mapped[datetime | None]
    # Whether LiveVox shows it read, as last seen (the card says so).
    read: Mapped[bool | None]
    # Who holds it, as a Slack user (a linked agent), when known: the card says it, nudges mention them.
    holder_user: Mapped[str | None] = mapped_column(String(32))
    # What the card says happened last ("Taken by <@U…>"), mrkdwn, escaped when written.
    status_note: Mapped[str | None] = mapped_column(Text)
    # What the card shows of the conversation (contact, account, last message, flags), as first read:
    # the card is re-drawn from it when the thread changes, also once LiveVox no longer shows it to us.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The waiting message (its `waiting_since`) each reminder was given for: each is given once per message.
    nudged_for: Mapped[datetime | None]
    escalated_for: Mapped[datetime | None]


class AlertCard(TeamScoped, Base):
    """A thread's card in one channel: claimed (ts None) before it is posted, so it is posted at most once."""

    __tablename__ = "alert_cards"
    __table_args__ = (UniqueConstraint("thread_row_id", "channel_id"),)

    thread_row_id: Mapped[int] = mapped_column(ForeignKey("inbox_threads.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    # The time of the last message of the conversation posted into the card's Slack thread.
    replied_through: Mapped[datetime | None]
