from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import NullPool

from bot.db.session import create_engine
from tests.databases import POSTGRES_URL, check_postgres, fresh_database, postgres_available


def pytest_sessionstart(session: pytest.Session) -> None:
    # CI sets SWITCHBOARD_TEST_DATABASE_URL and must never skip the Postgres tests silently.
    if postgres_available():
        try:
            check_postgres()
        except Exception as error:
            pytest.exit(
                f"SWITCHBOARD_TEST_DATABASE_URL is set but Postgres is unreachable: {error}", returncode=3
            )


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return "database: postgres + sqlite"
    return "database: sqlite only (set SWITCHBOARD_TEST_DATABASE_URL for postgres)"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env or real settings."""
    for name in list(os.environ):
        if name.startswith(("SWITCHBOARD_", "SLACK_")) and name != "SWITCHBOARD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SWITCHBOARD_DEV_KEY_FILE", str(tmp_path / "dev.key"))
    from bot.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database for the session: Postgres when configured, else SQLite."""
    kind = "postgres" if postgres_available() else "sqlite"
    with fresh_database(kind, tmp_path_factory.mktemp("db")) as url:
        yield url


def _sqlite_savepoints(engine: Any) -> None:
    # pysqlite/aiosqlite begin transactions lazily, which breaks SAVEPOINT-based test isolation;
    # the documented fix is to emit BEGIN ourselves.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@pytest.fixture
async def db_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test: each test sees a clean schema."""
    engine = create_engine(database_url, poolclass=NullPool)
    if database_url.startswith("sqlite"):
        _sqlite_savepoints(engine)
    async with engine.connect() as connection:
        outer = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()
    await engine.dispose()


@pytest.fixture
def fernet_key() -> str:
    return Fernet.generate_key().decode()
