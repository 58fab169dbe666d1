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

import select
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
