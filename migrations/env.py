"""Alembic environment: async engines, batch mode on SQLite, the URL from Switchboard's settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

import bot.db.models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base, include_name
from bot.db.session import create_engine
from bot.settings import load_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or load_settings().database_url
    )


def _configure(**kwargs: object) -> None:
    url = _url()
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=url.startswith("sqlite"),  # SQLite can only ALTER by copying the table
        compare_type=True,
        compare_server_default=False,
        include_name=include_name,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by tests (autogenerate comparison on an open connection)
        _run_sync(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
