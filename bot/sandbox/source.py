"""The sandbox as a provider source (`SWITCHBOARD_PROVIDERS=sandbox`): every workspace talks to the
in-process simulators, with their demo world and any injected faults.

It fits `bot.services.providers.ProviderSource`; the composition root (`bot.container`) picks it, so
nothing in `bot/services` knows the sandbox or builds its transport.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from bot.db.models import Provider
from bot.providers.livevox import DEFAULT_ENVIRONMENT
from bot.sandbox import credentials as c
from bot.sandbox._common import SandboxStarlette
from bot.sandbox.app import create_app
from bot.sandbox.faults import FaultSpec
from bot.sandbox.livevox import LiveVoxState
from bot.sandbox.world import DEMO

BASE_URL = "http://sandbox"
"""The in-process simulators' origin: requests never leave the process, so the host is only a name."""

_FINGERPRINT = ("sandbox",)  # the sandbox's connections never change: a workspace's clients are built once


def connection_values(base_url: str = BASE_URL) -> dict[Provider, dict[str, str]]:
    """Connection values (the keys of `connection_fields.FIELDS`) that the simulators at `base_url` accept.

    LiveVox is connected as the demo supervisor (a user login), as a production workspace would be; the
    registry opens agent sessions from it per linked user.
    """
    return {
        Provider.ZOOM: {
            "account_id": c.ZOOM_ACCOUNT_ID,
            "client_id": c.ZOOM_CLIENT_ID,
            "client_secret": c.ZOOM_CLIENT_SECRET,
            "plan": "pro",
            "api_url": f"{base_url}/zoom/v2",
            "token_url": f"{base_url}/zoom/oauth/token",
        },
        Provider.LIVEVOX: {
            "access_token": c.LIVEVOX_ACCESS_TOKEN,
            "client_name": c.LIVEVOX_CLIENT_NAME,
            "username": DEMO.supervisor_login,
            "password": c.LIVEVOX_PASSWORD,
            "agent": "false",
            "service_id": str(DEMO.service_id),
            "environment": DEFAULT_ENVIRONMENT,  # a required field; `base_url` decides the host
            "base_url": f"{base_url}/livevox",
        },
        Provider.ROUTEE: {
            "app_id": c.ROUTEE_APP_ID,
            "app_secret": c.ROUTEE_APP_SECRET,
            "api_url": f"{base_url}/routee/connect",
            "token_url": f"{base_url}/routee/auth/oauth/token",
        },
    }


class SandboxSource:
    """The simulators of `bot.sandbox.app`, reached over an in-process ASGI transport.

    The app (and its world) is built on first use, so a container that never calls a provider (a CLI
    command) does not generate the world. Tests reach the world and the fault injectors through `app`
    (`app.state.world`, `app.state.injectors`).
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        faults: str | FaultSpec | None = None,
        delivery_delay: timedelta | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._seed = seed
        self._clock = clock
        self._faults = faults
        self._delivery_delay = delivery_delay
        self._app: SandboxStarlette | None = None
        self._http: httpx.AsyncClient | None = None

    @property
    def app(self) -> SandboxStarlette:
        if self._app is None:
            self._app = create_app(
                seed=self._seed, faults=self._faults, delivery_delay=self._delivery_delay, clock=self._clock
            )
        return self._app

    @property
    def livevox(self) -> LiveVoxState:
        """The LiveVox simulator's state: its world, its clock, `inject_inbound`."""
        state: LiveVoxState = self.app.state.livevox
        return state

    @property
    def started(self) -> bool:
        """Whether the simulators were built (something asked for a client)."""
        return self._app is not None

    async def connections(self, team_id: str) -> tuple[tuple[str], dict[Provider, dict[str, str]]]:
        return _FINGERPRINT, connection_values()

    def http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            # ASGITransport ignores httpx timeouts: the provider clients' own call deadline bounds a call.
            self._http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL, timeout=30
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
