"""Shared bits of the benchmarks: a booted app (as in the console) and JSON output.

Every benchmark reports a ratio against a floor measured in the same run, because the machines are
shared and noisy: absolute milliseconds move with the neighbours, ratios much less.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.console.app import console_factory
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.db.migrate import upgrade
from bot.services.demo import TEAM_ID
from bot.settings import load_settings


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=True), flush=True)


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1 if len(ordered) >= 10 else -1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


@contextlib.asynccontextmanager
async def booted(**settings: Any) -> AsyncIterator[tuple[SlackDriver, SlackEmulator, Any]]:
    """The real app on a fresh SQLite file with the demo workspace, driven over signed HTTP."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        config = load_settings(database_url=url, **settings)
        emulator = SlackEmulator(team_id=TEAM_ID)
        async with (
            emulator.serve() as api_url,
            console_factory(config, migrate=False)(api_url) as (app, secret, idle),
            SlackDriver(app, secret, emulator, idle=idle) as driver,
        ):
            yield driver, emulator, app.state.container
