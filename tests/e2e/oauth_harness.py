"""The OAuth-mode harness of the end-to-end tests: the real app in OAuth mode against the Slack emulator
(its oauth.v2.access, authorize page and rotating tokens), a fake "now" shared by Bolt's token rotator, our
per-team clients and the emulator, and an installer's browser for /slack/install. The `oauth` fixture
(tests/e2e/conftest.py) gives one on SQLite and on Postgres."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.console.app import FUNCTIONS, console_factory
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.container import Container
from bot.db.models import AuditEvent, UserMapping, Workspace
from bot.services.demo import TEAM_ID
from bot.settings import load_settings

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret"
APP_URL = "http://switchboard.local"
REDIRECT_URI = f"{APP_URL}/slack/oauth_redirect"
NEW_TEAM = "T0NEWTEAM"
INSTALLER = "U0NEWADMIN"
HOUR = 3600.0


class FakeNow:
    """Real time plus an offset the test moves: Bolt's token rotator, our per-team clients and the
    emulator read it, so "eleven hours later" happens at once for all three."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class OAuthHarness:
    app: Any
    emulator: SlackEmulator
    container: Container
    secret: str
    idle: Callable[[], Any]
    now: FakeNow
    old_key: str

    def driver(self, team_id: str = NEW_TEAM, **options: Any) -> SlackDriver:
        return SlackDriver(self.app, self.secret, self.emulator, idle=self.idle, team_id=team_id, **options)

    def web(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=APP_URL)

    async def install(self) -> httpx.Response:
        """An installer's browser: Add to Slack ▸ Slack's authorize page ▸ back to the redirect URL."""
        async with self.web() as web, httpx.AsyncClient() as browser:
            start = await web.get("/slack/install")
            assert start.status_code == 302, start.text
            cookie = start.headers["set-cookie"].split(";")[0]  # Secure: a browser sends it on https
            approved = await browser.get(start.headers["location"])
            assert approved.status_code == 302, approved.text
            back = urlsplit(approved.headers["location"])
            assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI
            return await web.get(f"{back.path}?{back.query}", headers={"cookie": cookie})

    async def rows(self, table: Any) -> list[Any]:
        async with self.container.sessions() as session:
            return list((await session.execute(select(table))).mappings())

    async def workspace(self, team_id: str = NEW_TEAM) -> Workspace | None:
        async with self.container.sessions() as session:
            query = select(Workspace).where(Workspace.team_id == team_id)
            return (await session.execute(query)).scalar_one_or_none()

    async def mapping(self, team_id: str, user_id: str) -> UserMapping | None:
        async with self.container.sessions() as session:
            query = select(UserMapping).where(
                UserMapping.team_id == team_id, UserMapping.slack_user_id == user_id
            )
            return (await session.execute(query)).scalar_one_or_none()

    async def actions(self, team_id: str = NEW_TEAM) -> list[str]:
        async with self.container.sessions() as session:
            query = select(AuditEvent.action).where(AuditEvent.team_id == team_id).order_by(AuditEvent.id)
            return list((await session.execute(query)).scalars())


@contextlib.asynccontextmanager
async def oauth_harness(
    url: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> AsyncIterator[OAuthHarness]:
    """`overrides`: more settings (e.g. `workflow_user=…`)."""
    now = FakeNow()
    # Bolt's rotator reads `time()` from its module; so does the installation model for expires_at.
    monkeypatch.setattr("slack_sdk.oauth.token_rotation.async_rotator.time", now)
    monkeypatch.setattr("slack_sdk.oauth.installation_store.models.installation.time", now)
    monkeypatch.setattr("slack_sdk.oauth.installation_store.models.bot.time", now)
    old_key = Fernet.generate_key().decode()
    settings = load_settings(
        database_url=url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret="state-secret",
        slack_redirect_uri=REDIRECT_URI,
        secret_keys=old_key,
        sandbox_delivery_seconds=0.05,
        **overrides,
    )
    # No static token is valid: whatever is answered was answered with a workspace's own token.
    emulator = SlackEmulator(team_id=TEAM_ID, tokens=(), clock=now, post_rate=None, functions=FUNCTIONS)
    emulator.register_oauth_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], token_rotation=True)
    emulator.add_user(id=INSTALLER, name="newadmin", real_name="Nia Newadmin")
    async with (
        emulator.serve() as api_url,
        console_factory(settings, migrate=False)(api_url) as (app, secret, idle),
    ):
        container = app.state.container
        assert container.slack_clients is not None
        container.slack_clients.clock = now
        yield OAuthHarness(app, emulator, container, secret, idle, now, old_key)


def tokens_used(harness: OAuthHarness, method: str) -> list[str | None]:
    return [call.token for call in harness.emulator.calls_to(method)]
