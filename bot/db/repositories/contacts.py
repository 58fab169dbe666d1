from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db.base import utcnow
from bot.db.models import NumberContact, NumberFlags
from bot.db.repositories.base import TeamRepository


class NumberContactRepository(TeamRepository[NumberContact]):
    """The numbers each person had a LiveVox conversation with, as Switchboard saw them."""

    model = NumberContact

    async def record(
        self,
        slack_user_id: str,
        number: str,
        *,
        thread_id: str | None,
        source: str = "livevox_thread",
        at: datetime | None = None,
    ) -> NumberContact:
        """One row per person and number: created on first sight, then its thread and time refreshed."""
        seen = at or utcnow()
        row = await self._one(slack_user_id, number)
        if row is None:
            try:
                # A savepoint: two jobs may see the same thread at once; the loser updates the winner's row.
                async with self.session.begin_nested():
                    row = NumberContact(
                        team_id=self.team_id,
                        slack_user_id=slack_user_id,
                        number=number,
                        source=source,
                        thread_id=thread_id,
                        last_seen_at=seen,
                    )
                    self.session.add(row)
                    await self.session.flush()
                return row
            except IntegrityError:
                row = await self._one(slack_user_id, number)
                assert row is not None
        if thread_id:
            row.thread_id = thread_id
        row.last_seen_at = seen
        await self.session.flush()
        return row

    async def record_many(
        self, slack_user_id: str, seen: dict[str, str | None], *, source: str = "livevox_thread"
    ) -> None:
        """`record` for many numbers at once (a listed inbox): one read, one write."""
        if not seen:
            return
        now = utcnow()
        query = self._select().where(
            NumberContact.slack_user_id == slack_user_id, NumberContact.number.in_(list(seen))
        )
        existing = {row.number: row for row in (await self.session.execute(query)).scalars()}
        for number, thread_id in seen.items():
            row = existing.get(number)
            if row is not None:
                row.thread_id = thread_id or row.thread_id
                row.last_seen_at = now
        new = [n for n in seen if n not in existing]
        try:
            async with self.session.begin_nested():
                self.session.add_all(
                    NumberContact(
                        team_id=self.team_id,
                        slack_user_id=slack_user_id,
                        number=number,
                        source=source,
                        thread_id=seen[number],
                        last_seen_at=now,
                    )
                    for number in new
                )
                await self.session.flush()
        except IntegrityError:  # another job recorded some of them meanwhile: one at a time then
            for number in new:
                await self.record(slack_user_id, number, thread_id=seen[number], source=source, at=now)
        await self.session.flush()

    async def _one(self, slack_user_id: str, number: str) -> NumberContact | None:
        query = self._select().where(
            NumberContact.slack_user_id == slack_user_id, NumberContact.number == number
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def had(self, slack_user_id: str, number: str) -> bool:
        return await self._one(slack_user_id, number) is not None

    async def seen_by(self, thread_id: str) -> list[str]:
        """Who Switchboard saw the thread with (their view, or a supervisor's view of their inbox), the
        latest first."""
        query = (
            select(NumberContact.slack_user_id)
            .where(NumberContact.team_id == self.team_id, NumberContact.thread_id == thread_id)
            .order_by(NumberContact.last_seen_at.desc())
        )
        return list((await self.session.execute(query)).scalars())

    async def thread_ids(self, number: str) -> list[str]:
        """Every thread of `number` anyone's view showed, the latest first."""
        query = (
            select(NumberContact.thread_id)
            .where(
                NumberContact.team_id == self.team_id,
                NumberContact.number == number,
                NumberContact.thread_id.is_not(None),
            )
            .order_by(NumberContact.last_seen_at.desc())
        )
        return [str(t) for t in (await self.session.execute(query)).scalars() if t]

    async def numbers(self, slack_user_id: str, numbers: Iterable[str]) -> set[str]:
        wanted = list(set(numbers))
        if not wanted:
            return set()
        query = select(NumberContact.number).where(
            NumberContact.team_id == self.team_id,
            NumberContact.slack_user_id == slack_user_id,
            NumberContact.number.in_(wanted),
        )
        return set((await self.session.execute(query)).scalars())

    async def had_thread(self, slack_user_id: str, thread_id: str) -> bool:
        query = (
            self._select()
            .where(NumberContact.slack_user_id == slack_user_id, NumberContact.thread_id == thread_id)
            .limit(1)
        )
        return (await self.session.execute(query)).first() is not None


class NumberFlagsRepository(TeamRepository[NumberFlags]):
    """The flags LiveVox last showed per number (see `NumberFlags`)."""

    model = NumberFlags

    async def get(self, number: str) -> NumberFlags | None:
        return await self.session.scalar(self._select().where(NumberFlags.number == number))

    async def put(
        self,
        number: str,
        *,
        do_not_contact: bool,
        do_not_contact_today: bool,
        sms_opted_in: bool | None,
        seen_at: datetime,
    ) -> None:
        """Insert or refresh (the latest sighting wins; two at once: one insert, the other an update)."""
        values = {
            "do_not_contact": do_not_contact,
            "do_not_contact_today": do_not_contact_today,
            "sms_opted_in": sms_opted_in,
            "seen_at": seen_at,
        }
        row = await self.get(number)
        if row is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(NumberFlags(team_id=self.team_id, number=number, **values))
                    await self.session.flush()
                return
            except IntegrityError:
                row = await self.get(number)
                if row is None:
                    raise
        for key, value in values.items():
            setattr(row, key, value)
