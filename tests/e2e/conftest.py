"""End-to-end harness: the real app (signed HTTP to /slack/events), the Slack emulator over real HTTP,
the sandbox providers in-process, a fresh migrated database with the demo workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.console.app import console_factory
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.container import Container
from bot.services.demo import TEAM_ID
from bot.settings import load_settings
from tests.databases import fresh_database


@dataclass
class Harness:
    driver: SlackDriver
    emulator: SlackEmulator
    container: Container
    app: Any

    async def audit_actions(self) -> list[tuple[str, str, str]]:
        from bot.db.repositories import AuditRepository

        async with self.container.sessions() as session:
            events = await AuditRepository(session, TEAM_ID).recent(limit=200)
        return [(e.actor, e.action, e.outcome) for e in reversed(events)]


async def _harness(url: str) -> AsyncIterator[Harness]:
    settings = load_settings(database_url=url)
    emulator = SlackEmulator(team_id=TEAM_ID)
    async with (
        emulator.serve() as api_url,
        console_factory(settings, migrate=False)(api_url) as (app, secret, idle),
        SlackDriver(app, secret, emulator, idle=idle) as driver,
    ):
        yield Harness(driver, emulator, app.state.container, app)


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Harness]:
    """On SQLite with in-process jobs: what `make run` uses."""
    with fresh_database("sqlite", tmp_path) as url:
        async for harness in _harness(url):
            yield harness
