"""Send later: an SMS kept for its time, listed, cancellable, and fired once.

Every way in (`/sms send … --at`, the send form's time, *Send at …* on a card quiet hours refused, a
workflow step) makes one row here, keyed by its intent, so a double click or a redelivered submission
finds the row it made. A time inside the recipient's quiet hours is moved to the next allowed one when it
is scheduled (the caller tells the person). When the time comes the row is claimed (PENDING → SENDING) by
exactly one job and sent through `SmsService.send`, whose guard checks the number again then, with the
outbox keyed by the row: a send fires once, and an outcome the provider left unknown is never re-sent. A
claimed row whose job ended without an answer (its worker died) ends UNKNOWN, never SENDING for ever.
Nothing here knows about Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import Role, ScheduledSend, ScheduledStatus
from bot.db.repositories import AuditRepository
from bot.db.repositories.scheduled_sends import ScheduledSendRepository, overdue, stuck
from bot.db.session import transaction
from bot.errors import InputError
from bot.phones import mask
from bot.services.identity import Identity
from bot.services.quiet_hours import QuietVerdict
from bot.services.quiet_hours import check as quiet_check
from bot.services.send_rules import SendRules
from bot.services.send_time import check_send_time

MARGIN = timedelta(seconds=2)
"""A send moved to the opening of the sending window goes this long after it, so the guard's check then
finds the window open."""

SENDING_LIMIT = timedelta(hours=1)
"""A send takes seconds (minutes, with a slow provider): a row sending this long lost its job without the
stalled-job recovery ending it (an in-memory queue dies with its process; the database was away when
the recovery ran). The sweeper ends it UNKNOWN."""

UNKNOWN_OUTCOME = "outcome unknown: see /sms logs"
"""What an UNKNOWN row says: whether it reached the provider is in the outbox row, which `/sms logs`
shows."""

SWEEP_GRACE = timedelta(minutes=1)
"""A pending row this late has lost its job (a database restored, a queue emptied by hand): the sweeper
fires it."""


@dataclass(frozen=True)
class ScheduleRequest:
    key: str  # the intent: the same key finds the same row
    number: str  # E.164
    at: datetime  # aware: when the person asked for it
    origin: str
    text: str | None = None
    template_id: str | None = None
    sender: str | None = None
    channel_id: str | None = None
    thread_id: str | None = None
    account: str | None = None


@dataclass(frozen=True)
class Scheduled:
    row: ScheduledSend
    created: bool  # False: this intent had been scheduled already (nothing new was made)
    moved: QuietVerdict | None = None  # quiet hours moved it (`row.asked_for` is what was asked)


class ScheduledSends:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def plan(self, team_id: str, number: str, at: datetime) -> tuple[datetime, QuietVerdict | None]:
        """When a send asked for `at` may go: `at`, or the next time the recipient's sending hours allow
        (with the verdict that moved it). InputError when no time in the next week is allowed."""
        check_send_time(at, self._clock.now())
        window = await SendRules(self._sessions).window(team_id)
        quiet = quiet_check(number, at, window)
        if quiet.allowed:
            return at, None
        if quiet.next_allowed is None:
            raise InputError(quiet.sentence())
        return quiet.next_allowed + MARGIN, quiet

    async def schedule(self, identity: Identity, request: ScheduleRequest) -> Scheduled:
        """Make the row for `request` (or find the one its key made), audited once."""
        if not identity.may(Role.AGENT):
            raise InputError("Only linked agents can schedule SMS.")
        send_at, moved = await self.plan(identity.team_id, request.number, request.at)
        async with transaction(self._sessions) as session:
            row, created = await ScheduledSendRepository(session, identity.team_id).add(
                ScheduledSend(
                    team_id=identity.team_id,
                    key=request.key,
                    user_id=identity.user_id,
                    channel_id=request.channel_id,
                    number=request.number,
                    text=request.text,
                    template_id=request.template_id,
                    sender=request.sender,
                    thread_id=request.thread_id,
                    account=request.account,
                    send_at=send_at,
                    asked_for=request.at if moved else None,
                    origin=request.origin[:40],
                    status=ScheduledStatus.PENDING,
                )
            )
            if created:
                await AuditRepository(session, identity.team_id).record(
                    identity.user_id,
                    "sms.scheduled",
                    target_type="phone",
                    target_id=mask(request.number),
                    details={
                        "id": row.id,
                        "at": send_at.isoformat(),
                        "asked_for": request.at.isoformat() if moved else None,
                        "origin": request.origin,
                        "key": request.key,
                    },
                )
        return Scheduled(row, created, moved if created else None)

    async def existing(self, team_id: str, key: str) -> ScheduledSend | None:
        """The row an intent made already (a redelivered submission, a double click), if any."""
        async with self._sessions() as session:
            return await ScheduledSendRepository(session, team_id).by_key(key)

    async def waiting(self, identity: Identity, *, team: bool, limit: int = 50) -> Sequence[ScheduledSend]:
        """Sends not gone yet, soonest first: the person's own, or (supervisors) the team's."""
        if team and not identity.may(Role.SUPERVISOR):
            raise InputError(
                "Only supervisors and admins see the team's scheduled SMS; `/sms scheduled` shows yours."
            )
        async with self._sessions() as session:
            return await ScheduledSendRepository(session, identity.team_id).waiting(
                user_id=None if team else identity.user_id, limit=limit
            )

    async def get(self, team_id: str, row_id: int) -> ScheduledSend | None:
        async with self._sessions() as session:
            return await ScheduledSendRepository(session, team_id).get(row_id)

    async def cancel(self, identity: Identity, row_id: int) -> ScheduledSend:
        """Cancel a pending send: one's own, or anyone's in the team for supervisors. InputError, in
        words, when it is not theirs or is not pending any more."""
        async with transaction(self._sessions) as session:
            repo = ScheduledSendRepository(session, identity.team_id)
            row = await repo.get(row_id)
            if row is None:
                raise InputError("There is no such scheduled SMS.")
            allowed = row.user_id == identity.user_id or identity.may(Role.SUPERVISOR)
            if allowed:
                if not await repo.cancel(row_id, identity.user_id, self._clock.now()):
                    await session.refresh(row)
                    raise InputError(_not_pending(row))
                await AuditRepository(session, identity.team_id).record(
                    identity.user_id,
                    "sms.schedule_cancelled",
                    target_type="phone",
                    target_id=mask(row.number),
                    details={"id": row.id, "scheduled_by": row.user_id},
                )
                await session.refresh(row)
        if not allowed:  # audited in its own transaction: the refusal must stay on record
            async with transaction(self._sessions) as session:
                await AuditRepository(session, identity.team_id).record(
                    identity.user_id,
                    "access.denied",
                    target_type="scheduled_sms",
                    target_id=str(row_id),
                    outcome="denied",
                    details={"what": "cancel a scheduled SMS", "required": Role.SUPERVISOR.value},
                )
            raise InputError("Only the person who scheduled it, or a supervisor, can cancel this SMS.")
        return row

    async def claim(self, team_id: str, row_id: int) -> ScheduledSend | None:
        """The row, now SENDING, when its time has come and nobody fired or cancelled it."""
        async with transaction(self._sessions) as session:
            return await ScheduledSendRepository(session, team_id).claim(row_id, self._clock.now())

    async def settle(self, row: ScheduledSend, status: ScheduledStatus, outcome: str | None = None) -> None:
        async with transaction(self._sessions) as session:
            repo = ScheduledSendRepository(session, row.team_id)
            found = await repo.get(row.id)
            if found is not None:
                await repo.settle(found, status, outcome)

    async def unknown(self, team_id: str, row_id: int) -> bool:
        """A claimed row whose job ended without knowing what became of the send (its worker died, or the
        send failed midway): UNKNOWN, off the lists, never fired again (the outbox row says whether it
        went). False when it was not sending any more."""
        async with transaction(self._sessions) as session:
            return await ScheduledSendRepository(session, team_id).unknown(
                row_id, UNKNOWN_OUTCOME, self._clock.now()
            )

    async def give_up(self, team_id: str, row_id: int, outcome: str) -> bool:
        """A pending row that will not be sent (its time is long gone and firing it keeps failing):
        REFUSED with `outcome`, off the lists and the sweeper's. False when it was not pending any more."""
        async with transaction(self._sessions) as session:
            return await ScheduledSendRepository(session, team_id).give_up(row_id, outcome, self._clock.now())

    async def move(self, row: ScheduledSend, at: datetime) -> ScheduledSend | None:
        """A fired row pending again for `at` (quiet hours refused it when it fired), audited."""
        async with transaction(self._sessions) as session:
            repo = ScheduledSendRepository(session, row.team_id)
            found = await repo.get(row.id)
            if found is None:
                return None
            await repo.move(found, at)
            await AuditRepository(session, row.team_id).record(
                "switchboard",
                "sms.schedule_moved",
                target_type="phone",
                target_id=mask(row.number),
                details={"id": row.id, "at": at.isoformat(), "scheduled_by": row.user_id},
            )
            return found

    async def overdue(self) -> list[tuple[str, int]]:
        """(team, id) of pending sends whose job should have fired them by now."""
        async with self._sessions() as session:
            return await overdue(session, self._clock.now() - SWEEP_GRACE)

    async def stuck(self) -> list[tuple[str, int]]:
        """(team, id) of sends claimed so long ago that their job is gone (see `SENDING_LIMIT`)."""
        async with self._sessions() as session:
            return await stuck(session, self._clock.now() - SENDING_LIMIT)


def _not_pending(row: ScheduledSend) -> str:
    if row.status is ScheduledStatus.CANCELLED:
        return "It was cancelled already."
    if row.status is ScheduledStatus.REFUSED:
        return "Too late to cancel: its time came, and it was not sent."
    if row.status is ScheduledStatus.SENDING:
        return "Too late to cancel: it is being sent now."
    if row.status is ScheduledStatus.UNKNOWN:
        return "Too late to cancel: its time came, and `/sms logs` shows whether it went out."
    return "Too late to cancel: it has been sent."
