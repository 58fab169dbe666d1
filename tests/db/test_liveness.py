"""Pooled Postgres connections checked by their socket instead of a ping (bot/db/liveness.py): a connection
the server has closed is told apart without a round trip, and both pools (SQLAlchemy's, and the job
queue's psycopg_pool) hand out a working connection after the database dropped all of theirs, and so do
the hot path's own connections (LiveConnections)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from bot.db.liveness import LiveConnections, check_quietly, is_quiet
from bot.db.session import create_engine
from tests.databases import fresh_postgres, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def _end_every_other_session(url: str) -> int:
    """What a restart or an outage does to the pools: the server ends their sessions."""
    async with await psycopg.AsyncConnection.connect(_conninfo(url), autocommit=True) as admin:
        cursor = await admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = await cursor.fetchone()
    await asyncio.sleep(0.2)  # the server's goodbye reaches the sockets
    assert row is not None
    return int(row[0])


async def test_a_connection_the_server_closed_is_not_quiet(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(_conninfo(url), autocommit=True) as connection:
        await connection.execute("SELECT 1")
        assert is_quiet(connection)  # used, answered, idle: nothing on its socket
        assert await _end_every_other_session(url) == 1
        assert not is_quiet(connection)
        with pytest.raises(psycopg.OperationalError):
            await check_quietly(connection)  # not quiet: the real check runs, and fails


async def test_sqlalchemy_hands_out_a_live_connection_after_the_database_dropped_its_own(url: str) -> None:
    engine = create_engine(url, pool_size=3)
    try:
        # Three connections in the pool, each used once.
        connections = [await engine.connect() for _ in range(3)]
        for connection in connections:
            await connection.execute(text("SELECT 1"))
            await connection.close()
        assert await _end_every_other_session(url) == 3
        # No ping on checkout, yet no query meets a dead connection: each is replaced as it is handed out.
        for _ in range(3):
            async with engine.connect() as connection:
                assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_the_job_queue_pool_hands_out_a_live_connection_after_the_database_dropped_its_own(
    url: str,
) -> None:
    async with AsyncConnectionPool(
        _conninfo(url), min_size=2, max_size=2, check=check_quietly, open=False
    ) as pool:
        await pool.wait()
        assert await _end_every_other_session(url) == 2
        for _ in range(3):
            async with pool.connection() as connection:
                cursor = await connection.execute("SELECT 1")
                assert await cursor.fetchone() == (1,)


async def _backend(connection: psycopg.AsyncConnection[Any]) -> int:
    cursor = await connection.execute("SELECT pg_backend_pid()")
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_live_connections_are_kept_replaced_when_the_server_closed_them_and_dropped_after_a_failure(
    url: str,
) -> None:
    live = LiveConnections(_conninfo(url), setup="SET synchronous_commit = off")
    try:
        async with live.connection() as connection:
            first = await _backend(connection)
            cursor = await connection.execute("SHOW synchronous_commit")
            assert await cursor.fetchone() == ("off",)  # the setup ran on the new connection
        async with live.connection() as connection:
            assert await _backend(connection) == first  # kept between uses: no new connection
        # The server ends the session (a restart, an outage): the next use gets a new one, without an error.
        assert await _end_every_other_session(url) == 1
        async with live.connection() as connection:
            second = await _backend(connection)
        assert second != first
        # A statement that fails leaves its connection in no known state: it is closed, not handed out.
        with pytest.raises(psycopg.errors.DivisionByZero):
            async with live.connection() as connection:
                await connection.execute("SELECT 1 / 0")
        assert connection.closed
        async with live.connection() as connection:
            assert await _backend(connection) not in (first, second)
    finally:
        await live.aclose()
    assert connection.closed  # closed with the set


async def test_live_connections_say_when_the_database_cannot_be_reached() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    live = LiveConnections(f"postgresql://postgres@127.0.0.1:{port}/nothing")
    with pytest.raises(psycopg.OperationalError):
        async with live.connection():
            pass
