"""OAuth mode: Bolt's own install flow, slack_sdk's SQLAlchemy stores on our tables, tokens encrypted.

With SLACK_CLIENT_ID / SLACK_CLIENT_SECRET / SLACK_STATE_SECRET set, Bolt serves `/slack/install` and
`/slack/oauth_redirect` (`AsyncOAuthFlow`) and authorizes every request from its workspace's installation
(`AsyncInstallationStoreAuthorize`, which also refreshes rotating tokens before they expire). What this
module adds to slack_sdk's stores:

- the tables are ours (bot/db/models/slack_install.py, created by migration 0014, never at run time);
- every token (bot, refresh, user) is stored as a Fernet token under SWITCHBOARD_SECRET_KEYS, like provider
  credentials, and re-encrypted by `switchboard admin rotate-keys`;
- the OAuth state is signed with SLACK_STATE_SECRET before it is stored, so a forged one is refused without
  a database read;
- a finished install onboards the workspace (`bot.services.installs`): its row (a reinstall resumes it),
  its installer as first admin;
- jobs get their workspace's client (`TeamClients`, behind `Container.slack_for`), refreshed when due;
- a rotating token is refreshed by one caller at a time, across processes (`SerialRotator`): Slack revokes
  a refresh token once it is used, so two refreshes with the same one would leave one of them (and, had
  it been saved last, the workspace) with a dead token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import psycopg
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.crypto import CredentialBox
from bot.db.models import Workspace, slack_bots, slack_installations, slack_oauth_states
from bot.db.session import transaction
from bot.errors import BusyError, ConfigError, SwitchboardError
from bot.services.installs import onboard, resume_org
from bot.settings import Settings
from bot.slack.web_client import web_client

log = logging.getLogger(__name__)

# What Switchboard asks Slack for (app_manifest.yaml's oauth_config.scopes.bot; tests keep them equal).
BOT_SCOPES = ("commands", "chat:write", "files:write", "users:read", "channels:read", "groups:read")
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Fernet tokens are base64 of a 0x80 version byte and a 64-bit timestamp whose high bytes stay zero until
# 2106: they all begin so. Slack's tokens begin with "xox"; nothing else is stored in these columns.
_SEALED_PREFIX = "gAAAAA"
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
# How long a refresh waits for another process's refresh of the same installation (one HTTP call to Slack).
REFRESH_LOCK_TIMEOUT = "15s"
RENEWING = (  # what a person is told when that wait ran out and their token cannot be used meanwhile
    "Switchboard is renewing its Slack sign-in for this workspace right now; please try again in a few "
    "seconds."
)


class RefreshLockTimeout(Exception):
    """Another process held an installation's refresh lock for longer than `REFRESH_LOCK_TIMEOUT`."""


class NotInstalled(SwitchboardError):
    """A job's workspace has no installation (it removed the app, or never installed it)."""


def authorize_url(api_url: str) -> str:
    """Slack's authorize page, next to the Web API it was given (https://slack.com/oauth/v2/authorize,
    or the emulator's when SLACK_API_URL points at one)."""
    return urljoin(api_url if api_url.endswith("/") else api_url + "/", "../oauth/v2/authorize")


class _Sealer:
    def __init__(self, box: CredentialBox) -> None:
        self._box = box

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(_SEALED_PREFIX):
            return value
        return self._box.seal({"token": value})

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(_SEALED_PREFIX):
            return value
        return str(self._box.open(value)["token"])


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's async SQLAlchemy installation store on our tables, its tokens sealed at rest."""

    def __init__(self, client_id: str, engine: AsyncEngine, box: CredentialBox) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = slack_installations.metadata
        self.installations = slack_installations
        self.bots = slack_bots
        self._sealer = _Sealer(box)

    async def async_save(self, installation: Installation) -> None:
        sealed = Installation(**installation.to_dict_for_copying())
        for name in TOKEN_FIELDS:
            setattr(sealed, name, self._sealer.seal(getattr(installation, name)))
        await super().async_save(sealed)  # saves its bot too, through async_save_bot (already sealed)

    async def async_save_bot(self, bot: Bot) -> None:
        sealed = Bot(**bot.to_dict_for_copying())
        for name in ("bot_token", "bot_refresh_token"):
            setattr(sealed, name, self._sealer.seal(getattr(bot, name)))
        await super().async_save_bot(sealed)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        if bot is not None:
            for name in ("bot_token", "bot_refresh_token"):
                setattr(bot, name, self._sealer.open(getattr(bot, name)))
        return bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is not None:
            for name in TOKEN_FIELDS:
                setattr(installation, name, self._sealer.open(getattr(installation, name)))
        return installation

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self.engine.begin() as connection:
            await self.delete_all_in(connection, enterprise_id=enterprise_id, team_id=team_id)

    async def delete_all_in(
        self, connection: AsyncConnection | AsyncSession, *, enterprise_id: str | None, team_id: str | None
    ) -> None:
        """The bot and installation rows of a workspace (or an org: team_id None), deleted in the caller's
        transaction, so that they go with what it records or not at all (the store's own deletes each
        commit on a connection of their own, which SQLite's single writer would also wait on for ever)."""
        for table in (self.bots, self.installations):
            await connection.execute(
                table.delete().where(
                    table.c.client_id == self.client_id,
                    table.c.enterprise_id == enterprise_id,
                    table.c.team_id == team_id,
                )
            )


class SignedStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's async SQLAlchemy state store on our table; each state carries an HMAC under
    SLACK_STATE_SECRET, checked before the (single-use, expiring) row is looked up and consumed."""

    def __init__(self, engine: AsyncEngine, secret: str, *, expiration_seconds: int) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = slack_oauth_states.metadata
        self.oauth_states = slack_oauth_states
        self._key = hashlib.sha256(b"switchboard:oauth-state:" + secret.encode()).digest()

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = uuid.uuid4().hex
        state = f"{nonce}.{self._sign(nonce)}"
        # slack_sdk's issue makes its own id; the row must hold ours, so the insert is done here.
        expire_at = datetime.fromtimestamp(time.time() + self.expiration_seconds, tz=UTC).replace(tzinfo=None)
        async with self.engine.begin() as connection:
            await connection.execute(self.oauth_states.insert(), {"state": state, "expire_at": expire_at})
        return state

    async def async_consume(self, state: str) -> bool:
        nonce, _, signature = (state or "").partition(".")
        if not nonce or not hmac.compare_digest(signature, self._sign(nonce)):
            log.warning("refused an OAuth state that is not ours")
            return False
        return bool(await super().async_consume(state))


class SwitchboardOAuthFlow(AsyncOAuthFlow):
    """Bolt's flow; once the installation is stored, the workspace is onboarded (a failure there is
    Bolt's `storage_error` page, not a half-installed workspace that says it worked)."""

    def __init__(self, *, on_installed: Callable[[Installation], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_installed = on_installed

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation) -> None:
        await super().store_installation(request, installation)
        try:
            await self._on_installed(installation)
        except Exception as error:
            log.exception("could not onboard an installed workspace")
            raise BoltError("the workspace could not be set up") from error


class SerialRotator(AsyncTokenRotator):
    """slack_sdk's token rotator, made safe for many callers: a refresh that is due takes the
    installation's lock (in this process, and on Postgres an advisory lock every process shares), reads
    the installation again, and refreshes only if nobody did meanwhile; the refreshed installation is
    saved before the lock is let go. Slack revokes a refresh token once it is used: without this, two
    requests (or a request and a job, or Bolt's own two rotation calls for a request from someone other
    than the installer) would refresh with the same token, and one would get `invalid_refresh_token`.

    Bolt's authorize and `TeamClients` both use one instance; whoever comes second gets the installation
    as the first left it (a caller that gets an installation back saves it again: the same row, unchanged).
    On SQLite the in-process lock is all there is: SQLite deployments run one process."""

    def __init__(
        self,
        settings: Settings,
        store: EncryptedInstallationStore,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        assert settings.slack_client_id and settings.slack_client_secret
        super().__init__(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=oauth_client(settings),
        )
        self._store = store
        self._engine = engine
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def _valid(self, installation: Installation) -> bool:
        """Whether the installation's tokens all work for another minute at least."""
        horizon = self._clock() + 60
        return all(
            expires is None or expires > horizon
            for token, expires in (
                (installation.bot_token, installation.bot_token_expires_at),
                (installation.user_token, installation.user_token_expires_at),
            )
            if token is not None
        )

    def _due(self, installation: Installation, minutes_before_expiration: int) -> bool:
        horizon = self._clock() + minutes_before_expiration * 60
        return any(
            refresh is not None and expires is not None and expires <= horizon
            for refresh, expires in (
                (installation.bot_refresh_token, installation.bot_token_expires_at),
                (installation.user_refresh_token, installation.user_token_expires_at),
            )
        )

    async def perform_token_rotation(
        self, *, installation: Installation, minutes_before_expiration: int = 120
    ) -> Installation | None:
        if not self._due(installation, minutes_before_expiration):
            return None  # the common case: no lock, no read
        key = f"{installation.enterprise_id or '-'}:{installation.team_id or '-'}"
        try:
            return await self._rotate(key, installation, minutes_before_expiration)
        except RefreshLockTimeout:
            # Another process has been refreshing for longer than we wait (Slack slow to answer it). A
            # token refreshed ahead of time still works: go on with it, and leave the refresh to them.
            if self._valid(installation):
                log.warning(
                    "token refresh held by another process; using the current token", extra={"team": key}
                )
                return None
            raise BusyError(RENEWING) from None

    async def _rotate(
        self, key: str, installation: Installation, minutes_before_expiration: int
    ) -> Installation | None:
        async with self._locks.setdefault(key, asyncio.Lock()), self._across_processes(key):
            current = await self._store.async_find_installation(
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                is_enterprise_install=installation.is_enterprise_install,
            )
            if current is None or not current.bot_token:  # uninstalled meanwhile
                # What a refresh of a removed installation gets from Slack; Bolt and TeamClients end there.
                gone = SlackApiError(
                    "the installation is gone", {"ok": False, "error": "invalid_refresh_token"}
                )  # type: ignore[no-untyped-call]
                raise SlackTokenRotationError(gone)
            if current.bot_token != installation.bot_token or current.user_token != installation.user_token:
                log.info("token refreshed by another caller meanwhile", extra={"team": key})
                return current
            refreshed = await super().perform_token_rotation(
                installation=current, minutes_before_expiration=minutes_before_expiration
            )
            if refreshed is not None:
                await self._store.async_save(refreshed)
            return refreshed

    @contextlib.asynccontextmanager
    async def _across_processes(self, key: str) -> AsyncIterator[None]:
        if self._engine.dialect.name != "postgresql":
            yield
            return
        lock_id = refresh_lock_id(key)
        # Held by this connection's transaction: released at commit, or when the connection dies.
        async with self._engine.connect() as connection, connection.begin():
            await connection.execute(text(f"SET LOCAL lock_timeout = '{REFRESH_LOCK_TIMEOUT}'"))
            try:
                await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
            except DBAPIError as error:
                if isinstance(error.orig, psycopg.errors.LockNotAvailable):
                    raise RefreshLockTimeout(key) from error
                raise
            yield


def refresh_lock_id(key: str) -> int:
    """The Postgres advisory lock of one installation's token refresh (`key`: "<enterprise>:<team>")."""
    digest = hashlib.sha256(b"switchboard:slack-token-refresh:" + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def oauth_client(settings: Settings) -> AsyncWebClient:
    """A token-less client for oauth.v2.access and auth.test, on SLACK_API_URL."""
    return web_client(None, settings.slack_api_url)


def build_oauth_flow(
    settings: Settings,
    store: EncryptedInstallationStore,
    engine: AsyncEngine,
    *,
    on_installed: Callable[[Installation], Any],
    rotator: SerialRotator | None = None,
    state_expiration_seconds: int = 600,
) -> SwitchboardOAuthFlow:
    if not (settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret):
        raise ConfigError("SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are required")
    secret = settings.slack_client_secret.get_secret_value()
    client = oauth_client(settings)
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # /slack/install is the "Add to Slack" link itself: straight on to Slack's authorize page.
        install_page_rendering_enabled=False,
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=store,
        token_rotation_expiration_minutes=settings.slack_refresh_minutes,
        state_store=SignedStateStore(
            engine,
            settings.slack_state_secret.get_secret_value(),
            expiration_seconds=state_expiration_seconds,
        ),
        state_expiration_seconds=state_expiration_seconds,
        logger=log,
    )
    # Bolt's default authorize refreshes tokens through a client of its own on slack.com; this one uses
    # SLACK_API_URL, and caches auth.test per token (a refreshed token is a new key; an uninstalled
    # workspace has no token to look up, so a stale entry is never reached).
    oauth_settings.authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=secret,
        token_rotation_expiration_minutes=settings.slack_refresh_minutes,
        cache_enabled=True,
        client=client,
    )
    # One refresh at a time per installation, shared with the jobs' clients (`TeamClients.rotator`).
    oauth_settings.authorize.token_rotator = rotator or SerialRotator(settings, store, engine)
    return SwitchboardOAuthFlow(client=client, logger=log, settings=oauth_settings, on_installed=on_installed)


@dataclass
class _Cached:
    client: AsyncWebClient
    until: float


class TeamClients:
    """The Web API client of each workspace in OAuth mode, from its installation (refreshed when its
    token is due), cached for `ttl` seconds and never past the moment its token needs a refresh."""

    def __init__(
        self,
        settings: Settings,
        store: EncryptedInstallationStore,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._base_url = settings.slack_api_url
        self._refresh_minutes = settings.slack_refresh_minutes
        self._ttl = ttl
        self.clock = clock  # tests move it (with slack_sdk's rotator)
        # Also Bolt's (bot.slack.app): requests and jobs refresh a workspace's token one at a time.
        self.rotator = SerialRotator(settings, store, store.engine, clock=lambda: self.clock())
        self._cache: dict[str, _Cached] = {}
        # One look-up (and refresh) per workspace at a time in this process: jobs starting together
        # share one refresh instead of each spending the refresh token.
        self._locks: dict[str, asyncio.Lock] = {}

    def forget(self, team_id: str | None = None) -> None:
        if team_id is None:
            self._cache.clear()
        else:
            self._cache.pop(team_id, None)

    async def installation(self, team_id: str) -> Installation | None:
        """The installation serving `team_id`: its own, or its Enterprise Grid org's org-wide one."""
        async with self._sessions() as session:
            enterprise_id = (
                await session.execute(select(Workspace.enterprise_id).where(Workspace.team_id == team_id))
            ).scalar_one_or_none()
        found = await self._store.async_find_installation(enterprise_id=enterprise_id, team_id=team_id)
        if found is None and enterprise_id is not None:
            found = await self._store.async_find_installation(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return found

    async def client_for(self, team_id: str) -> AsyncWebClient:
        hit = self._cache.get(team_id)
        if hit is not None and self.clock() < hit.until:
            return hit.client
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            hit = self._cache.get(team_id)
            if hit is not None and self.clock() < hit.until:
                return hit.client
            return await self._resolve(team_id)

    async def _resolve(self, team_id: str) -> AsyncWebClient:
        now = self.clock()
        installation = await self.installation(team_id)
        if installation is None or not installation.bot_token:
            self._cache.pop(team_id, None)
            raise NotInstalled(f"Switchboard is not installed in workspace {team_id}")
        try:
            refreshed = await self.rotator.perform_token_rotation(
                installation=installation, minutes_before_expiration=self._refresh_minutes
            )
        except SlackTokenRotationError as error:
            raise NotInstalled(f"the Slack token of workspace {team_id} could not be refreshed") from error
        if refreshed is not None:  # saved by the rotator
            installation = refreshed
        until = now + self._ttl
        expires_at = installation.bot_token_expires_at
        if expires_at is not None:
            until = min(until, expires_at - self._refresh_minutes * 60)
        client = web_client(installation.bot_token, self._base_url)
        self._cache[team_id] = _Cached(client, until)
        return client


def on_installed(
    sessions: async_sessionmaker[AsyncSession], forget: Callable[[str], None]
) -> Callable[[Installation], Any]:
    async def installed(installation: Installation) -> None:
        team_id = installation.team_id or installation.enterprise_id
        if team_id is None:
            raise BoltError("an installation without a team or an enterprise")
        org_wide = bool(installation.is_enterprise_install and installation.enterprise_id)
        async with transaction(sessions) as session:
            await onboard(
                session,
                team_id,
                name=installation.team_name or installation.enterprise_name or "",
                enterprise_id=installation.enterprise_id,
                installer=installation.user_id,
                org_wide=org_wide,
            )
            # An org-wide reinstall serves every workspace of the org again, not only the org's row.
            resumed = (
                await resume_org(session, installation.enterprise_id or "", installer=installation.user_id)
                if org_wide
                else []
            )
        for team in {team_id, *resumed}:
            forget(team)
        log.info("workspace installed", extra={"team": team_id})

    return installed
