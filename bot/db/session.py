"""Engines and sessions. The caller owns the transaction: repositories never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.liveness import check_on_checkout


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets the console read while a job writes.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    # Instead of pool_pre_ping: a connection the database closed is replaced on checkout all the same, told
    # by its socket, not by a round trip on every checkout (bot/db/liveness.py). A connection dropped
    # silently on the way (a NAT or load balancer forgetting an idle flow sends nothing) still looks alive
    # there: recycling connections after 30 minutes keeps them younger than most such idle timeouts.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_async_engine(url, **kwargs)
    check_on_checkout(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends normally, rolls back on any error."""
    async with sessions() as session, session.begin():
        yield session
