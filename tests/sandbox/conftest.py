"""Fixtures for the sandbox simulators: a fixed world, a fake clock and an in-process HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox.app import create_app
from bot.sandbox.clock import FakeClock
from bot.sandbox.world import World
from tests.sandbox.helpers import ANCHOR, START, make_client


@pytest.fixture
def world() -> World:
    return World.generate(seed=7, volume=1, now=ANCHOR)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(world: World, clock: FakeClock) -> object:
    return create_app(world=world, clock=clock)


@pytest.fixture
async def client(app: object, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, clock) as c:
        yield c
