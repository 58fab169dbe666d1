"""Where a workspace's provider clients come from: sandbox, its own connection, or the environment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from bench.priority import free_port
from bot.container import provider_source
from bot.crypto import CredentialBox
from bot.db.models import Provider
from bot.db.repositories import ConnectionRepository
from bot.db.session import create_engine, create_sessionmaker, transaction
from bot.sandbox.app import create_app
from bot.sandbox.server import print_config
from bot.sandbox.source import SandboxSource
from bot.services.providers import LiveSource, ProviderRegistry
from bot.settings import load_settings
from tests.databases import fresh_sqlite


@pytest.fixture
async def sandbox_port() -> AsyncIterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.02)
    yield port
    server.should_exit = True
    await task


def _fragment_env(port: int) -> dict[str, str]:
    env = {}
    for line in print_config(port=port).splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


async def test_live_mode_with_the_print_config_fragment_talks_to_the_sandbox_over_http(
    sandbox_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in _fragment_env(sandbox_port).items():
        monkeypatch.setenv(key, value)
    with fresh_sqlite(tmp_path) as url:
        settings = load_settings(database_url=url)
        engine = create_engine(url)
        registry = ProviderRegistry(
            provider_source(settings, create_sessionmaker(engine), CredentialBox(settings.fernet_keys))
        )
        try:
            providers = await registry.for_team("T0ANY")  # no connection of its own: the environment's
            assert set(providers.connected) == {Provider.LIVEVOX, Provider.ZOOM, Provider.ROUTEE}
            assert isinstance(registry.source, LiveSource)  # nothing in-process: real HTTP to the port
            assert providers.zoom is not None and providers.livevox is not None
            logs = await providers.zoom.contact_center.sms.list(
                consumer_number="+14155550100", from_=date.today() - timedelta(days=30), to=date.today()
            ).collect()
            assert logs
            assert await providers.livevox.sms.templates()
            assert await registry.for_team("T0ANY") is providers  # reused, not rebuilt
        finally:
            await registry.aclose()
            await engine.dispose()


async def test_a_workspace_connection_wins_over_the_environment(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = Fernet.generate_key().decode()
    monkeypatch.setenv("SWITCHBOARD_PROVIDERS", "live")
    monkeypatch.setenv("SWITCHBOARD_SECRET_KEYS", keys)
    for key, value in _fragment_env(9).items():
        if key.startswith("SWITCHBOARD_ROUTEE"):
            monkeypatch.setenv(key, value)
    with fresh_sqlite(tmp_path) as url:
        settings = load_settings(database_url=url)
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        box = CredentialBox([keys])
        registry = ProviderRegistry(provider_source(settings, sessions, box))
        try:
            from_env = await registry.for_team("T0OWN")
            assert from_env.routee is not None and from_env.zoom is None
            async with transaction(sessions) as session:
                await ConnectionRepository(session, "T0OWN", box).upsert(
                    Provider.ROUTEE,
                    credentials={"app_id": "own-app", "app_secret": "own-secret"},
                    settings={
                        "api_url": "https://routee.example/connect",
                        "token_url": "https://routee.example/t",
                    },
                )
            own = await registry.for_team("T0OWN")
            assert own is not from_env  # the new connection replaced the cached clients
            assert own.routee is not None and "routee.example" in repr(own.routee)
            other = await registry.for_team("T0OTHER")  # other workspaces still use the environment
            assert other.routee is not None and "routee.example" not in repr(other.routee)
        finally:
            await registry.aclose()
            await engine.dispose()


async def test_sandbox_mode_uses_the_in_process_simulators(tmp_path: Path) -> None:
    with fresh_sqlite(tmp_path) as url:
        settings = load_settings(database_url=url)
        engine = create_engine(url)
        registry = ProviderRegistry(
            provider_source(
                settings, create_sessionmaker(engine), CredentialBox([Fernet.generate_key().decode()])
            )
        )
        try:
            assert isinstance(registry.source, SandboxSource) and not registry.source.started
            providers = await registry.for_team("T0DEMO")
            assert set(providers.connected) == {Provider.LIVEVOX, Provider.ZOOM, Provider.ROUTEE}
            agent = providers.livevox_agent("JRIVERA")
            assert agent is not None and agent.is_agent
            assert await agent.agent.channels()
            assert registry.source.started  # the simulators were built on first use
        finally:
            await registry.aclose()
            await engine.dispose()


async def test_every_client_it_builds_uses_the_rate_budget_it_was_given(tmp_path: Path) -> None:
    """The container passes the Postgres budget on Postgres; whatever is passed, every client uses it."""
    from bot.providers import RateKey, RateLimit, RateLimiterRegistry

    class Recording(RateLimiterRegistry):
        def __init__(self) -> None:
            super().__init__()
            self.keys: list[RateKey] = []

        async def reserve(self, key: RateKey, limit: RateLimit, now: float) -> float:
            self.keys.append(key)
            return await super().reserve(key, limit, now)

    budget = Recording()
    with fresh_sqlite(tmp_path) as url:
        settings = load_settings(database_url=url)
        engine = create_engine(url)
        registry = ProviderRegistry(
            provider_source(
                settings, create_sessionmaker(engine), CredentialBox([Fernet.generate_key().decode()])
            ),
            rate_budget=budget,
        )
        try:
            assert registry.rate_budget is budget
            providers = await registry.for_team("T0DEMO")
            assert providers.zoom is not None and providers.routee is not None
            await providers.zoom.contact_center.sms.list().first_page()
            agent = providers.livevox_agent("JRIVERA")  # built later, on demand: the same budget
            assert agent is not None
            await agent.agent.channels()
            assert {provider for provider, _, _ in budget.keys} == {"zoom", "livevox"}
            assert ("zoom", providers.zoom.account_id, "heavy") in budget.keys
        finally:
            await registry.aclose()
            await engine.dispose()


def test_the_default_budget_is_the_process_one(tmp_path: Path) -> None:
    from bot.providers import default_limiter_registry

    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    engine = create_engine(settings.database_url)
    box = CredentialBox([Fernet.generate_key().decode()])
    registry = ProviderRegistry(provider_source(settings, create_sessionmaker(engine), box))
    assert registry.rate_budget is default_limiter_registry
