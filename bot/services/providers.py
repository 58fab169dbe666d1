"""Which provider clients a workspace uses, built once and reused.

Where a connection comes from, in order:
- `SWITCHBOARD_PROVIDERS=sandbox`: the simulators of `bot.sandbox`, in-process, with their demo world;
- the workspace's own connections in the database (`switchboard admin connect`, `/switchboard connect`);
- the environment (`SWITCHBOARD_ZOOM_*`, `SWITCHBOARD_LIVEVOX_*`, `SWITCHBOARD_ROUTEE_*`), for every
  workspace without a connection of its own — what a single-workspace deployment uses.

LiveVox agent methods act as the logged-in agent, so each agent gets a session of their own: the
connection's password with the agent's LiveVox login (Switchboard's LiveVox agent logins share one
integration password; see the README).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.crypto import CredentialBox
from bot.db.models import Provider
from bot.db.repositories import ConnectionRepository
from bot.providers import LiveVoxClient, RateBudget, RouteeClient, ZoomClient, default_limiter_registry
from bot.services.connection_fields import FIELDS, from_environment
from bot.settings import ProvidersMode, Settings

log = logging.getLogger(__name__)

SANDBOX_BASE = "http://sandbox"


def sandbox_values() -> dict[Provider, dict[str, str]]:
    from bot.sandbox import credentials as c

    return {
        Provider.ZOOM: {
            "account_id": c.ZOOM_ACCOUNT_ID,
            "client_id": c.ZOOM_CLIENT_ID,
            "client_secret": c.ZOOM_CLIENT_SECRET,
            "plan": "pro",
            "api_url": f"{SANDBOX_BASE}/zoom/v2",
            "token_url": f"{SANDBOX_BASE}/zoom/oauth/token",
        },
        Provider.LIVEVOX: {
            "access_token": c.LIVEVOX_ACCESS_TOKEN,
            "client_name": c.LIVEVOX_CLIENT_NAME,
            "username": "SUPERVISOR",
            "password": c.LIVEVOX_PASSWORD,
            "agent": "false",
            "service_id": "100915",
            "environment": "NA3",
            "base_url": f"{SANDBOX_BASE}/livevox",
        },
        Provider.ROUTEE: {
            "app_id": c.ROUTEE_APP_ID,
            "app_secret": c.ROUTEE_APP_SECRET,
            "api_url": f"{SANDBOX_BASE}/routee/connect",
            "token_url": f"{SANDBOX_BASE}/routee/auth/oauth/token",
        },
    }


def _complete(provider: Provider, values: Mapping[str, str]) -> bool:
    return all(values.get(f.key) for f in FIELDS[provider] if f.required)


def build_zoom(
    values: Mapping[str, str], http: httpx.AsyncClient | None, *, rate_budget: RateBudget | None = None
) -> ZoomClient:
    return ZoomClient(
        account_id=values["account_id"],
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        api_url=values.get("api_url") or "https://api.zoom.us/v2",
        token_url=values.get("token_url") or "https://zoom.us/oauth/token",
        plan="business" if values.get("plan") == "business" else "pro",
        http_client=http,
        limiter_registry=rate_budget,
    )


def build_livevox(
    values: Mapping[str, str],
    http: httpx.AsyncClient | None,
    *,
    username: str | None = None,
    rate_budget: RateBudget | None = None,
) -> LiveVoxClient:
    return LiveVoxClient(
        access_token=values["access_token"],
        client_name=values["client_name"],
        username=username or values["username"],
        password=values["password"],
        agent=username is not None or values.get("agent", "false").lower() == "true",
        environment=values.get("environment") or "NA3",
        base_url=values.get("base_url") or None,
        version=values.get("version") or None,
        http_client=http,
        limiter_registry=rate_budget,
    )


def build_routee(
    values: Mapping[str, str], http: httpx.AsyncClient | None, *, rate_budget: RateBudget | None = None
) -> RouteeClient:
    return RouteeClient(
        app_id=values["app_id"],
        app_secret=values["app_secret"],
        api_url=values.get("api_url") or "https://connect.routee.net",
        token_url=values.get("token_url") or "https://auth.routee.net/oauth/token",
        http_client=http,
        limiter_registry=rate_budget,
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
                self.livevox_values, self._http, username=login, rate_budget=self._rate_budget
            )
            self._agents[login.upper()] = client
        return client

    async def aclose(self) -> None:
        for client in [self.zoom, self.livevox, self.routee, *self._agents.values()]:
            if client is not None:
                await client.aclose()


class ProviderRegistry:
    """Builds and caches each workspace's clients.

    `rate_budget` is where every client built here keeps its provider rate limits: the default is this
    process's buckets (enough for SQLite / one process); a deployment of several processes passes one
    budget they all share (`bot.db.rate_budget.PostgresRateBudget`), so together they stay under each
    provider account's limits.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        box: CredentialBox,
        *,
        rate_budget: RateBudget | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._box = box
        self.rate_budget: RateBudget = rate_budget or default_limiter_registry
        self._cache: dict[str, tuple[tuple[Any, ...], Providers]] = {}
        self._sandbox_http: httpx.AsyncClient | None = None
        self.sandbox_app: Any = None

    @property
    def sandboxed(self) -> bool:
        return self._settings.providers is ProvidersMode.SANDBOX

    def _sandbox(self) -> httpx.AsyncClient:
        if self._sandbox_http is None:
            from bot.sandbox.app import create_app

            self.sandbox_app = create_app(
                seed=self._settings.sandbox_seed, faults=self._settings.sandbox_faults
            )
            self._sandbox_http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.sandbox_app), base_url=SANDBOX_BASE, timeout=30
            )
        return self._sandbox_http

    async def _sources(self, team_id: str) -> tuple[tuple[Any, ...], dict[Provider, dict[str, str]]]:
        if self.sandboxed:
            return ("sandbox",), sandbox_values()
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

    async def for_team(self, team_id: str) -> Providers:
        fingerprint, values = await self._sources(team_id)
        cached = self._cache.get(team_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        http = self._sandbox() if self.sandboxed else None
        budget = self.rate_budget
        providers = Providers(team_id=team_id, _http=http, _rate_budget=budget)
        if Provider.ZOOM in values and _complete(Provider.ZOOM, values[Provider.ZOOM]):
            providers.zoom = build_zoom(values[Provider.ZOOM], http, rate_budget=budget)
        if Provider.LIVEVOX in values and _complete(Provider.LIVEVOX, values[Provider.LIVEVOX]):
            providers.livevox = build_livevox(values[Provider.LIVEVOX], http, rate_budget=budget)
            providers.livevox_values = values[Provider.LIVEVOX]
        if Provider.ROUTEE in values and _complete(Provider.ROUTEE, values[Provider.ROUTEE]):
            providers.routee = build_routee(values[Provider.ROUTEE], http, rate_budget=budget)
        if cached is not None:
            await cached[1].aclose()
        self._cache[team_id] = (fingerprint, providers)
        return providers

    async def aclose(self) -> None:
        for _, providers in self._cache.values():
            await providers.aclose()
        self._cache.clear()
        if self._sandbox_http is not None:
            await self._sandbox_http.aclose()
