"""Claims on Slack deliveries, many per round trip: the replay check every request passes before its ack.

Every request Slack sends is claimed once (see SlackDelivery) before anything is done for it, so this runs
on the busiest path there is. Done one transaction per request, it was most of a request's CPU (ORM unit of
work, a savepoint, a clean-up DELETE: five round trips). Here a claim joins the next batch instead: while
one statement is on its way to the database, the claims that arrive meanwhile wait for the next, so one
request alone costs one autocommit statement, and a burst of N costs a few. Expired rows are deleted
now and then, not on every claim (an expired claim is taken over by the upsert itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import utcnow
from bot.db.liveness import LiveConnections
from bot.db.repositories.deliveries import (
    DeliveryClaim,
    claim_deliveries,
    claim_deliveries_psycopg,
    delete_expired_deliveries,
    delete_expired_deliveries_psycopg,
)

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    claim: DeliveryClaim
    answer: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class DeliveryClaims:
    """`await claim(team, key, keep_for=…)`: True for the first delivery of a key while its claim lasts.

    Args:
        engine: the app's engine; claims run on it in autocommit (one statement each, nothing to hold).
        max_batch: claims in one statement at most.
        timeout: seconds a batch may take; its claims then raise TimeoutError (Slack wants its ack within
            3 s, and a database that does not answer must not hold every request behind it).
        clean_every: seconds between deletions of a team's expired claims.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = 200,
        timeout: float = 2.0,
        clean_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        # On Postgres: a connection of the claims' own (bot.db.liveness.LiveConnections). Batches go one at
        # a time, so one connection is all they use, and holding it spares each batch a pool checkout and
        # SQLAlchemy's execution machinery (together most of a batch's CPU in the ack benchmark's profile).
        # Claims need not wait for their WAL to reach the disk (a round trip's worth of time on every
        # batch, before the acks it answers): the connection is the claims' own, so this covers them alone
        # (a session setting: in autocommit there is no transaction for SET LOCAL). What a crash of
        # Postgres can then lose is the last fraction of a second of claims, so a repeat of one of those
        # deliveries after the crash is done again: the harm this path already accepts while the database
        # is away (bot/slack/app.py). Deferred jobs, and everything else, stay durable when committed.
        self._connections: LiveConnections | None = None
        if engine.dialect.name == "postgresql":
            conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._connections = LiveConnections(conninfo, setup="SET synchronous_commit = off")
        self._max_batch = max_batch
        self._timeout = timeout
        self._clean_every = clean_every
        self._clock = clock
        self._cleaned: dict[str, float] = {}
        self._waiting: list[_Waiting] = []
        self._sender: asyncio.Task[None] | None = None

    async def claim(self, team_id: str, key: str, *, keep_for: timedelta) -> bool:
        """Raises what the database raised (SQLAlchemyError or psycopg.Error, OSError) or TimeoutError when
        it could not be asked."""
        waiting = _Waiting(DeliveryClaim(team_id, key, keep_for))
        self._waiting.append(waiting)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        # A request given up on cancels only its own future, which its batch then skips.
        return await waiting.answer

    async def aclose(self) -> None:
        if self._sender is not None and not self._sender.done():
            with contextlib.suppress(Exception):
                await self._sender
        if self._connections is not None:
            await self._connections.aclose()

    async def _send(self) -> None:
        """Send what is waiting, a batch at a time, until nothing is."""
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            try:
                if self._connections is None:
                    await self._send_batch(batch)
                else:
                    await self._send_batch_psycopg(batch, self._connections)
            except Exception as error:  # every waiter gets it; the sender goes on with the next batch
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(error)
                        waiting.answer.exception()  # retrieved here too, in case its request is gone

    def _answer(self, batch: list[_Waiting], won: list[bool]) -> None:
        for waiting, first in zip(batch, won, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(first)

    async def _send_batch(self, batch: list[_Waiting]) -> None:
        now = utcnow()
        async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
            self._answer(batch, await claim_deliveries(connection, [w.claim for w in batch], now=now))
            due = self._due_for_cleaning({w.claim.team_id for w in batch})
            if due:
                try:
                    await delete_expired_deliveries(connection, due, now=now)
                except SQLAlchemyError as error:  # only housekeeping: the next batch tries again
                    log.warning("could not delete expired Slack deliveries: %s", type(error).__name__)

    async def _send_batch_psycopg(self, batch: list[_Waiting], connections: LiveConnections) -> None:
        # A batch that fails, times out or is cancelled midway closes its connection (LiveConnections),
        # and the next starts on a new one. A failed clean-up fails only the batch's housekeeping: its
        # claims were answered before it, and the next batch cleans again.
        now = utcnow()
        async with asyncio.timeout(self._timeout), connections.connection() as connection:
            won = await claim_deliveries_psycopg(connection, [w.claim for w in batch], now=now)
            self._answer(batch, won)
            due = self._due_for_cleaning({w.claim.team_id for w in batch})
            if due:
                await delete_expired_deliveries_psycopg(connection, due, now=now)

    def _due_for_cleaning(self, team_ids: set[str]) -> list[str]:
        now = self._clock()
        due = sorted(
            t for t in team_ids if now - self._cleaned.get(t, -self._clean_every) >= self._clean_every
        )
        for team_id in due:
            self._cleaned[team_id] = now
        return due
