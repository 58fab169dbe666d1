from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.console.driver import SlackDriver, bolt_idle
from bot.console.emulator import DEFAULT_TOKEN, ManualClock, SlackEmulator
from tests.console.tiny_app import SECRET, asgi, build_app


@dataclass
class Served:
    emulator: SlackEmulator
    api_url: str
    client: AsyncWebClient
    clock: ManualClock


@dataclass
class Env:
    emulator: SlackEmulator
    driver: SlackDriver


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """An emulator on real HTTP with a manual clock, and a slack_sdk client pointed at it."""
    clock = ManualClock()
    emulator = SlackEmulator(clock=clock)
    async with emulator.serve() as api_url:
        yield Served(emulator, api_url, AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url), clock)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    """The tiny Bolt app behind a driver, talking to a served emulator."""
    emulator = SlackEmulator()
    async with (
        emulator.serve() as api_url,
        SlackDriver(asgi(build_app(api_url)), SECRET, emulator, idle=bolt_idle) as driver,
    ):
        yield Env(emulator, driver)
