"""Run Alembic from Python (`switchboard db upgrade`, tests) with the same env.py as `alembic upgrade`."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.errors import ConfigError


def _find_alembic_ini() -> Path:
    # The migrations live beside the package in a source checkout (editable installs, Procfile deploys),
    # or in the working directory.
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = root / "alembic.ini"
        if candidate.is_file():
            return candidate
    raise ConfigError("alembic.ini not found: run switchboard from the project checkout")


def alembic_config(url: str, *, configure_logging: bool = False) -> Config:
    config = Config(str(_find_alembic_ini()))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = configure_logging
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`.

    Synchronous: env.py runs its own event loop, so when called from async code (the console, tests)
    the migration runs in a worker thread.
    """
    config = alembic_config(url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, config, revision).result()
