"""Which provider clients a workspace uses, built once and reused.

Where a workspace's connections come from is a `ProviderSource`, chosen by the composition root
(`bot.container`): `LiveSource` here (`SWITCHBOARD_PROVIDERS=live`), or the in-process simulators of
`bot.sandbox.source.SandboxSource` (`SWITCHBOARD_PROVIDERS=sandbox`). This module knows neither the
sandbox nor any transport: a source hands over connection values and, if it has one, the HTTP client.

`LiveSource` looks, in order, at:
- the workspace's own connections in the database (`switchboard admin connect`, `/switchboard connect`);
- the environment (`SWITCHBOARD_ZOOM_*`, `SWITCHBOARD_LIVEVOX_*`, `SWITCHBOARD_ROUTEE_*`), for every
  workspace without a connection of its own — what a single-workspace deployment uses.

LiveVox agent methods act as the logged-in agent, so each agent gets a session of their own: the
connection's password with the agent's LiveVox login (Switchboard's LiveVox agent logins share one
integration password; see the README).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.crypto import CredentialBox
from bot.db.models import Provider
from bot.db.repositories import ConnectionRepository
from bot.providers import (
    DEFAULT_DEADLINE,
    LiveVoxClient,
    RateBudget,
    RouteeClient,
    ZoomClient,
    default_limiter_registry,
    livevox,
    routee,
    zoom,
)
from bot.services.connection_fields import FIELDS, from_environment
from bot.settings import Settings

log = logging.getLogger(__name__)

Connections = dict[Provider, dict[str, str]]
"""A workspace's connection values by provider (the keys of `connection_fields.FIELDS`)."""


class ProviderSource(Protocol):
    """Where a workspace's provider connections come from, and the HTTP client their clients share.

    `connections` returns (fingerprint, values): the registry keeps a workspace's clients while the
    fingerprint stays the same, and rebuilds them when it changes (a connection was edited).
    `http_client` is the client every provider client of the source uses, or None for each to open its
    own; `aclose` releases whatever the source opened.
    """

    async def connections(self, team_id: str) -> tuple[Hashable, Connections]: ...

    def http_client(self) -> httpx.AsyncClient | None: ...

    async def aclose(self) -> None: ...


class LiveSource:
    """The real providers: the workspace's own connections in the database, then the environment's."""

    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], box: CredentialBox
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._box = box

    async def connections(self, team_id: str) -> tuple[Hashable, Connections]:
        async with self._sessions() as session:
            repo = ConnectionRepository(session, team_id, self._box)
            rows = {row.provider: row for row in await repo.list() if row.name == "default"}
            values = {p: {**row.settings, **repo.credentials(row)} for p, row in rows.items()}
        fingerprint = tuple(sorted((p.value, row.updated_at.isoformat()) for p, row in rows.items()))
        for provider in Provider:
            if provider not in values:
                env = from_environment(provider, self._settings)
                if _complete(provider, env):
                    values[provider] = env
        return fingerprint, values

    def http_client(self) -> httpx.AsyncClient | None:
        return None  # each client opens its own, with the default timeouts

    async def aclose(self) -> None:
        return None


def _complete(provider: Provider, values: Mapping[str, str]) -> bool:
    return all(values.get(f.key) for f in FIELDS[provider] if f.required)


def build_zoom(
    values: Mapping[str, str],
    http: httpx.AsyncClient | None,
    *,
    rate_budget: RateBudget | None = None,
    deadline: float | None = DEFAULT_DEADLINE,
) -> ZoomClient:
    return ZoomClient(
        account_id=values["account_id"],
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        api_url=values.get("api_url") or zoom.API_URL,
        token_url=values.get("token_url") or zoom.TOKEN_URL,
        plan="business" if values.get("plan") == "business" else "pro",
        http_client=http,
        limiter_registry=rate_budget,
        deadline=deadline,
    )


def build_livevox(
    values: Mapping[str, str],
    http: httpx.AsyncClient | None,
    *,
    username: str | None = None,
    rate_budget: RateBudget | None = None,
    deadline: float | None = DEFAULT_DEADLINE,
) -> LiveVoxClient:
    return LiveVoxClient(
        access_token=values["access_token"],
        client_name=values["client_name"],
        username=username or values["username"],
        password=values["password"],
        agent=username is not None or values.get("agent", "false").lower() == "true",
        environment=values.get("environment") or livevox.DEFAULT_ENVIRONMENT,
        base_url=values.get("base_url") or None,
        version=values.get("version") or None,
        http_client=http,
        limiter_registry=rate_budget,
        deadline=deadline,
    )


def build_routee(
    values: Mapping[str, str],
    http: httpx.AsyncClient | None,
    *,
    rate_budget: RateBudget | None = None,
    deadline: float | None = DEFAULT_DEADLINE,
) -> RouteeClient:
    return RouteeClient(
        app_id=values["app_id"],
        app_secret=values["app_secret"],
        api_url=values.get("api_url") or routee.API_URL,
        token_url=values.get("token_url") or routee.TOKEN_URL,
        http_client=http,
        limiter_registry=rate_budget,
        deadline=deadline,
    )


@dataclass
class Providers:
    """The clients of one workspace; a provider that is not connected is None."""

    team_id: str
    zoom: ZoomClient | None = None
    livevox: LiveVoxClient | None = None
    routee: RouteeClient | None = None
    livevox_values: dict[str, str] = field(default_factory=dict, repr=False)
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    _rate_budget: RateBudget | None = field(default=None, repr=False)
    _deadline: float | None = field(default=DEFAULT_DEADLINE, repr=False)
    _agents: dict[str, LiveVoxClient] = field(default_factory=dict, repr=False)

    @property
    def connected(self) -> list[Provider]:
        return [
            p
            for p, c in (
                (Provider.LIVEVOX, self.livevox),
                (Provider.ZOOM, self.zoom),
                (Provider.ROUTEE, self.routee),
            )
            if c
        ]

    @property
    def livevox_service_id(self) -> int | None:
        raw = self.livevox_values.get("service_id")
        return int(raw) if raw and raw.isdigit() else None

    def livevox_agent(self, login: str | None) -> LiveVoxClient | None:
        """A LiveVox session acting as the agent with this login (None when LiveVox is not connected)."""
        if self.livevox is None or not login:
            return None
        if self.livevox.is_agent and self.livevox_values.get("username", "").upper() == login.upper():
            return self.livevox
        client = self._agents.get(login.upper())
        if client is None:
            client = build_livevox(
                self.livevox_values,
                self._http,
                username=login,
                rate_budget=self._rate_budget,
                deadline=self._deadline,
            )
            self._agents[login.upper()] = client
        return client

    async def aclose(self) -> None:
        for client in [self.zoom, self.livevox, self.routee, *self._agents.values()]:
            if client is not None:
                await client.aclose()


class ProviderRegistry:
    """Builds and caches each workspace's clients from what `source` says its connections are.

    `rate_budget` is where every client built here keeps its provider rate limits: the default is this
    process's buckets (enough for SQLite / one process); a deployment of several processes passes one
    budget they all share (`bot.db.rate_budget.PostgresRateBudget`), so together they stay under each
    provider account's limits. `deadline` is the most one call of those clients may take in all
    (`SWITCHBOARD_PROVIDER_DEADLINE_SECONDS`).
    """

    def __init__(
        self,
        source: ProviderSource,
        *,
        rate_budget: RateBudget | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        self.source = source
        self.rate_budget: RateBudget = rate_budget or default_limiter_registry
        self.deadline = deadline
        self._cache: dict[str, tuple[Hashable, Providers]] = {}

    async def for_team(self, team_id: str) -> Providers:
        fingerprint, values = await self.source.connections(team_id)
        cached = self._cache.get(team_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        http = self.source.http_client()
        budget, deadline = self.rate_budget, self.deadline
        providers = Providers(team_id=team_id, _http=http, _rate_budget=budget, _deadline=deadline)
        if Provider.ZOOM in values and _complete(Provider.ZOOM, values[Provider.ZOOM]):
            providers.zoom = build_zoom(values[Provider.ZOOM], http, rate_budget=budget, deadline=deadline)
        if Provider.LIVEVOX in values and _complete(Provider.LIVEVOX, values[Provider.LIVEVOX]):
            providers.livevox = build_livevox(
                values[Provider.LIVEVOX], http, rate_budget=budget, deadline=deadline
            )
            providers.livevox_values = values[Provider.LIVEVOX]
        if Provider.ROUTEE in values and _complete(Provider.ROUTEE, values[Provider.ROUTEE]):
            providers.routee = build_routee(
                values[Provider.ROUTEE], http, rate_budget=budget, deadline=deadline
            )
        if cached is not None:
            await cached[1].aclose()
        self._cache[team_id] = (fingerprint, providers)
        return providers

    async def aclose(self) -> None:
        for _, providers in self._cache.values():
            await providers.aclose()
        self._cache.clear()
        await self.source.aclose()
