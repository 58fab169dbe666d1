"""End-to-end harness: the real app (signed HTTP to /slack/events), the Slack emulator over real HTTP,
the sandbox providers in-process, a fresh migrated database with the demo workspace."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.console.app import FUNCTIONS, console_factory
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.container import Container
from bot.services.demo import TEAM_ID
from bot.settings import load_settings
from bot.slack.oauth import BOT_SCOPES
from tests.databases import backends, fresh_database
from tests.e2e.oauth_harness import OAuthHarness, oauth_harness


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


MakeHarness = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


ALWAYS = (0, 24 * 60, "1234567")


async def set_send_window(container: Container, start: int, end: int, days: str = "1234567") -> None:
    """The demo team's sending hours (`/switchboard quiet-hours`), written directly."""
    from bot.db.repositories import WorkspaceRepository
    from bot.db.session import transaction

    async with transaction(container.sessions) as session:
        workspace = await WorkspaceRepository(session, TEAM_ID).ensure()
        workspace.send_window_start, workspace.send_window_end, workspace.send_days = start, end, days


@contextlib.asynccontextmanager
async def _harness(
    url: str,
    *,
    settle_timeout: float = 10.0,
    send_window: tuple[int, int, str] | None = ALWAYS,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    # Delivery records come and are read within a fraction of a second, so a send's follow-up settles fast.
    overrides.setdefault("sandbox_delivery_seconds", 0.05)
    overrides.setdefault("sms_delivery_first_check_seconds", 0.1)
    overrides.setdefault("sms_delivery_checks", 6)
    settings = load_settings(database_url=url, **overrides)
    # The token holds the manifest's scopes (BOT_SCOPES is pinned to them): a call needing another one is
    # refused with missing_scope, as Slack refuses it.
    emulator = SlackEmulator(team_id=TEAM_ID, functions=FUNCTIONS, scopes=BOT_SCOPES)
    async with (
        emulator.serve() as api_url,
        console_factory(settings, migrate=False)(api_url) as (app, secret, idle),
        SlackDriver(app, secret, emulator, idle=idle, settle_timeout=settle_timeout) as driver,
    ):
        # Sends must not depend on the hour the suite runs at: the demo team texts at any time unless a
        # test asks for real quiet hours (`send_window=None`: the default 08:00-21:00, or its own).
        if send_window is not None:
            await set_send_window(app.state.container, *send_window)
        yield Harness(driver, emulator, app.state.container, app)


@pytest.fixture
def make_harness(tmp_path: Path) -> MakeHarness:
    """A harness with other settings, e.g. `make_harness(sandbox_faults="livevox:error_rate=1")`."""

    @contextlib.asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[Harness]:
        with fresh_database("sqlite", tmp_path) as url:
            async with _harness(url, **overrides) as harness:
                yield harness

    return build


@pytest.fixture
async def slack(make_harness: MakeHarness) -> AsyncIterator[Harness]:
    """On SQLite with in-process jobs: what `make run` uses."""
    async with make_harness() as harness:
        yield harness


@pytest.fixture(params=backends())
async def oauth(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[OAuthHarness]:
    """OAuth mode (SLACK_CLIENT_ID …), on SQLite and on Postgres: nothing is installed yet."""
    with fresh_database(request.param, tmp_path) as url:
        async with oauth_harness(url, monkeypatch) as harness:
            yield harness


def _shown(message: object) -> str:
    """A message's text and blocks, as one string to look for words in."""
    import json

    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 20.0) -> None:
    """Wait for what a click's listener does after its ack (a busy machine takes longer)."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def answered(slack: Harness, words: str, user: str = "U0AGENT") -> str:
    """The person's latest answer once it holds `words`."""

    async def said() -> bool:
        return words in _shown(slack.driver.last_response(user))

    await until(said, f"an answer saying {words!r}")
    return _shown(slack.driver.last_response(user))
