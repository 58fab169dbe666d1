"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.session import create_engine
from tests.databases import backends, fresh_database


@pytest.fixture(params=backends())
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A freshly migrated database on every backend (SQLite always, Postgres when configured)."""
    with fresh_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        yield async_sessionmaker(engine, expire_on_commit=False)
        await engine.dispose()
