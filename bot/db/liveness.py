"""Whether a pooled Postgres connection is still alive, told without a round trip in the usual case.

A connection waiting in a pool has nothing to say to the server, and the server nothing to it: when its
socket is readable, something happened meanwhile (the server closed it, a restart or a proxy cut it, or,
rarely, it sent a notice). So a quiet socket is a live connection; only a readable one needs the real
check, a round trip. Pools otherwise ping every connection they hand out (SQLAlchemy's pool_pre_ping,
psycopg_pool's `check`): on the ack path, that was one round trip more for each Slack delivery claim and
each batch of deferred jobs, for a check that almost always says yes.

What a ping would catch and this does not: a peer that vanished without a word (a half-open TCP
connection). A ping does not fix that either: it hangs like the query would, until a timeout.
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg import pq
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine


def is_quiet(connection: psycopg.AsyncConnection[Any]) -> bool:
    """True when the connection is open, idle and nothing has arrived on its socket since it was last used
    (it is then alive as far as anything short of a round trip can tell)."""
    if connection.closed or connection.broken:
        return False
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    readable, _, _ = select.select([pgconn.socket], [], [], 0)
    return not readable


async def check_quietly(connection: psycopg.AsyncConnection[Any]) -> None:
    """A psycopg_pool `check`: the pool's own (a round trip) only for a connection that is not quiet.
    Raises when the connection is gone; the pool then replaces it."""
    if not is_quiet(connection):
        await AsyncConnectionPool.check_connection(connection)


def check_on_checkout(engine: AsyncEngine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, without pool_pre_ping's round trip: a connection that
    is not quiet is reported disconnected on checkout, and the pool hands out a fresh one instead."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _quiet_or_replaced(_dbapi: Any, record: Any, _proxy: Any) -> None:
        driver = record.driver_connection
        if isinstance(driver, psycopg.AsyncConnection) and not is_quiet(driver):
            raise exc.DisconnectionError("the connection is no longer quiet (closed by the server?)")


class LiveConnections:
    """A few Postgres connections of a hot path's own, outside any pool: `async with
    live.connection() as connection`. The batched statements on the ack path (Slack delivery claims,
    deferred jobs) hold their connections between batches: a pool's checkout and return (its lock, its
    check, its reset) and a driver wrapper's cursor were a quarter of each batch's CPU.

    A connection is handed out again only while it is quiet (`is_quiet`), so one the server closed (a
    restart, an outage) is replaced without a round trip; one whose statement failed, timed out or was
    cancelled is closed, since its state is anybody's guess. Connections are autocommit: each batch is one
    statement, committed when it returns. `setup`: a statement run once on each new connection.
    `connect_timeout`: seconds (psycopg's, at least 2) before a connection that cannot be made raises
    OperationalError, which callers read as the database being away."""

    def __init__(self, conninfo: str, *, setup: str | None = None, connect_timeout: int = 5) -> None:
        self._conninfo = conninfo
        self._setup = setup
        self._connect_timeout = connect_timeout
        self._idle: list[psycopg.AsyncConnection[tuple[Any, ...]]] = []
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[tuple[Any, ...]]]:
        connection = None
        while self._idle and connection is None:
            candidate = self._idle.pop()
            if is_quiet(candidate):
                connection = candidate
            else:
                await _close(candidate)
        if connection is None:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
            )
            if self._setup:
                try:
                    await connection.execute(self._setup)
                except BaseException:
                    await _close(connection)
                    raise
        try:
            yield connection
        except BaseException:
            await _close(connection)
            raise
        if self._closed:
            await _close(connection)
        else:
            self._idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close(connection)


async def _close(connection: psycopg.AsyncConnection[Any]) -> None:
    with contextlib.suppress(Exception):
        await connection.close()
