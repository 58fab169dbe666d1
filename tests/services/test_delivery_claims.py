"""The replay check's claims (bot/services/deliveries.py), on every backend: the first delivery of a key
wins, every repeat loses (in one batch or later), and on Postgres the claims' own connection is replaced
when the database drops it, without a claim lost or a repeat let through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import SlackDelivery
from bot.db.session import create_engine
from bot.services.deliveries import DeliveryClaims
from tests.databases import backends, fresh_database

KEEP = timedelta(minutes=10)


@pytest.fixture(params=backends())
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    with fresh_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        yield engine
        await engine.dispose()


async def _rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(SlackDelivery))).scalar_one())


async def test_a_burst_of_claims_wins_each_key_once(engine: AsyncEngine) -> None:
    claims = DeliveryClaims(engine)
    try:
        keys = [f"signature:{n % 30}" for n in range(90)]  # each key three times, all at once
        won = await asyncio.gather(*(claims.claim("T0DEMO", key, keep_for=KEEP) for key in keys))
        assert sum(won) == 30
        assert {key for key, first in zip(keys, won, strict=True) if first} == set(keys[:30])
        # Later, one at a time: still repeats; another workspace's same key is its own.
        assert not await claims.claim("T0DEMO", "signature:7", keep_for=KEEP)
        assert await claims.claim("T0OTHER", "signature:7", keep_for=KEEP)
        assert await _rows(engine) == 31
    finally:
        await claims.aclose()


async def test_an_expired_claim_is_taken_over(engine: AsyncEngine) -> None:
    claims = DeliveryClaims(engine)
    try:
        assert await claims.claim("T0DEMO", "event:Ev1", keep_for=-timedelta(seconds=1))
        assert await claims.claim("T0DEMO", "event:Ev1", keep_for=KEEP)
        assert not await claims.claim("T0DEMO", "event:Ev1", keep_for=KEEP)
    finally:
        await claims.aclose()


@pytest.mark.parametrize("engine", [p for p in backends() if p == "postgres"], indirect=True)
async def test_the_claims_connection_is_replaced_when_the_database_drops_it(engine: AsyncEngine) -> None:
    claims = DeliveryClaims(engine)
    try:
        assert await claims.claim("T0DEMO", "signature:before", keep_for=KEEP)
        # What a restart or an outage does to it: the server ends every other session of the database.
        async with engine.connect() as admin:
            ended = await admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert ended.scalar_one() >= 1
        await asyncio.sleep(0.2)  # the server's goodbye reaches the socket
        # The next claims go on a new connection: none fails, and what was claimed before still counts.
        assert await claims.claim("T0DEMO", "signature:after", keep_for=KEEP)
        assert not await claims.claim("T0DEMO", "signature:before", keep_for=KEEP)
    finally:
        await claims.aclose()
