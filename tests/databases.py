"""Throw-away databases for tests: a fresh Postgres database (when SWITCHBOARD_TEST_DATABASE_URL is set)
or a fresh SQLite file, each built with `alembic upgrade head` like production."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bot.db.migrate import upgrade

POSTGRES_URL = os.environ.get("SWITCHBOARD_TEST_DATABASE_URL", "").strip()


def postgres_available() -> bool:
    return bool(POSTGRES_URL)


def _admin_dsn() -> str:
    url = make_url(POSTGRES_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_postgres() -> None:
    """Raises when SWITCHBOARD_TEST_DATABASE_URL is set but Postgres cannot be reached."""
    with psycopg.connect(_admin_dsn(), connect_timeout=5) as connection:
        connection.execute("SELECT 1")


@contextmanager
def fresh_postgres(*, migrate: bool = True) -> Iterator[str]:
    name = f"switchboard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_sqlite(directory: Path, *, migrate: bool = True) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{directory / f'switchboard-{uuid.uuid4().hex[:8]}.db'}"
    if migrate:
        upgrade(url)
    yield url


@contextmanager
def fresh_database(kind: str, directory: Path, *, migrate: bool = True) -> Iterator[str]:
    if kind == "postgres":
        with fresh_postgres(migrate=migrate) as url:
            yield url
    else:
        with fresh_sqlite(directory, migrate=migrate) as url:
            yield url


def backends() -> list[str]:
    """SQLite always; Postgres too when the machine has it configured (CI requires it)."""
    return ["sqlite", "postgres"] if postgres_available() else ["sqlite"]
