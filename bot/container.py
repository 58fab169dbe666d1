"""Composition root: builds every long-lived object once and hands it to the app, the worker and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import procrastinate
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, parse_clock
from bot.crypto import CredentialBox, credential_box
from bot.db.rate_budget import rate_budget_for
from bot.db.session import create_engine, create_sessionmaker
from bot.jobs.contract import Job
from bot.jobs.metrics import PrometheusJobObserver
from bot.jobs.queue import Worker, WorkerOptions, create_job_app, is_in_memory
from bot.jobs.runner import JobRunner
from bot.services.audit import AuditService
from bot.services.contacts import ContactBook
from bot.services.deliveries import DeliveryClaims
from bot.services.history import HistoryService
from bot.services.identity import IdentityService
from bot.services.providers import LiveSource, ProviderRegistry, ProviderSource
from bot.settings import ProvidersMode, Settings
from bot.slack.signing import ValueSigner, configure_signing
from bot.slack.web_client import web_client

if TYPE_CHECKING:
    from bot.sandbox.source import SandboxSource
    from bot.slack.oauth import EncryptedInstallationStore, TeamClients

log = logging.getLogger(__name__)


def provider_source(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    box: CredentialBox,
    clock: Callable[[], datetime] | None = None,
) -> ProviderSource:
    """Where every workspace's provider connections come from: the simulators, or the real providers.
    `clock`: what time it is in the simulators (default: the system's; they answer for real time)."""
    if settings.providers is ProvidersMode.SANDBOX:
        from bot.sandbox.source import SandboxSource  # only the composition root knows the sandbox

        delay = settings.sandbox_delivery_seconds
        return SandboxSource(
            seed=settings.sandbox_seed,
            faults=settings.sandbox_faults,
            delivery_delay=timedelta(seconds=delay) if delay is not None else None,
            clock=clock,
        )
    return LiveSource(settings, sessions, box)


class Container:
    def __init__(self, settings: Settings, *, slack_client: AsyncWebClient | None = None) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(self.engine)
        self.box: CredentialBox = credential_box(settings)
        # What time it is for schedules (the real clock, unless SWITCHBOARD_CLOCK shares a fast one).
        self.clock: Clock = parse_clock(settings.clock)
        self.identities = IdentityService(self.sessions)
        self.audit = AuditService(self.sessions)
        # The replay check of every Slack request (bot/slack/app.py), batched across requests.
        self.deliveries = DeliveryClaims(self.engine)
        # On Postgres every process shares each provider account's rate budget (in-process on SQLite).
        self.rate_budget = rate_budget_for(self.engine)
        self.providers = ProviderRegistry(
            provider_source(settings, self.sessions, self.box),
            rate_budget=self.rate_budget,
            deadline=settings.provider_deadline_seconds,
        )
        self.contacts = ContactBook(self.sessions)
        self.history = HistoryService(contacts=self.contacts)
        # Single-token mode: one client for the one workspace. OAuth mode: `slack` has no token of its
        # own (Bolt gives each request its workspace's), and jobs ask `slack_for(team_id)`.
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        if settings.oauth_mode:
            token = None
        self.slack = slack_client or web_client(token, settings.slack_api_url)
        self.installations: EncryptedInstallationStore | None = None
        self.slack_clients: TeamClients | None = None
        if settings.oauth_mode:
            from bot.slack.oauth import EncryptedInstallationStore, TeamClients

            assert settings.slack_client_id is not None
            self.installations = EncryptedInstallationStore(settings.slack_client_id, self.engine, self.box)
            self.slack_clients = TeamClients(settings, self.installations, self.sessions)
        self._org_workspaces: set[str] = set()  # workspaces of org-wide installs onboarded already
        self.queue: procrastinate.App = create_job_app(settings.database_url)
        # Features install their jobs here (`bot.slack.jobs.install`); the runner knows nothing of Slack.
        self.jobs: JobRunner[Container] = JobRunner(self.queue, observer=PrometheusJobObserver())
        if not is_in_memory(self.queue):  # in-memory jobs die with their process: nothing to recover
            self.jobs.install_recovery(
                every_seconds=max(1, round(settings.worker_heartbeat_seconds)),
                stalled_after=settings.worker_stalled_after_seconds,
            )
        from bot.slack.jobs import install as install_slack_jobs  # the composition root wires the layers

        install_slack_jobs(self.jobs, settings)
        self.jobs.gate(lambda job, container: container.admits(job))
        # Button values are signed with keys derived from the Fernet keys (bot.slack.signing).
        self._signer = ValueSigner(self.box.signing_keys("slack-values"))
        configure_signing(self._signer)
        self.worker: Worker | None = None

    @property
    def sandbox(self) -> SandboxSource | None:
        """The in-process simulators in sandbox mode (tests reach their world and fault injectors)."""
        from bot.sandbox.source import SandboxSource

        source = self.providers.source
        return source if isinstance(source, SandboxSource) else None

    async def slack_for(self, team_id: str) -> AsyncWebClient:
        """The Web API client that speaks for `team_id`: the one bot token's in single-token mode, the
        workspace's installation's in OAuth mode (raises `bot.slack.oauth.NotInstalled` without one)."""
        if self.slack_clients is None:
            return self.slack
        return await self.slack_clients.client_for(team_id)

    def forget_workspace(self, team_id: str) -> None:
        """Drop what this process cached about a workspace (it was installed, uninstalled, revoked)."""
        self.identities.forget(team_id)
        if self.slack_clients is not None:
            self.slack_clients.forget(team_id)
        self._org_workspaces.discard(team_id)

    async def org_workspace_seen(self, team_id: str, enterprise_id: str) -> None:
        """A request from a workspace of an Enterprise Grid org-wide install: the first one (per process)
        onboards the workspace, its links kept per workspace, the org's installer its first admin."""
        if team_id in self._org_workspaces or self.installations is None:
            return
        from bot.db.session import transaction
        from bot.services.installs import onboard_org_workspace

        org = await self.installations.async_find_installation(
            enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
        )
        async with transaction(self.sessions) as session:
            created = await onboard_org_workspace(
                session, team_id, enterprise_id=enterprise_id, installer=org.user_id if org else None
            )
        if created:
            self.identities.forget(team_id)
        self._org_workspaces.add(team_id)

    async def workspace_active(self, team_id: str) -> bool:
        """False once the workspace removed the app (until it installs again)."""
        from bot.db.models import Workspace

        async with self.sessions() as session:
            row = await session.execute(select(Workspace.uninstalled_at).where(Workspace.team_id == team_id))
            found = row.first()
        return found is None or found[0] is None

    async def admits(self, job: Job) -> bool:
        """Whether `job` runs: not for a workspace that removed the app (until it installs again), nor when
        it repeats an intent another job claimed (`Envelope.once`)."""
        team_id = job.envelope.team_id
        if self.settings.oauth_mode and not await self.workspace_active(team_id):
            return False
        once = job.envelope.once
        if once is not None and not await self.once(team_id, once.key, owner=once.token):
            log.info("job %s dropped: it repeats one already done", job.kind)
            return False
        return True

    def defer(self, job: Job, *, delay: float | None = None) -> asyncio.Future[int]:
        """Hand work on to the job queue: durable on Postgres once the future (await it) is done; `delay`
        seconds later."""
        return self.jobs.defer(job, delay=delay)

    async def once(self, team_id: str, key: str, *, owner: str | None = None) -> bool:
        """Claim `key` for this workspace: True the first time (and again for its `owner`), False for a
        double click or resubmission."""
        from bot.db.repositories import ActionClaimRepository
        from bot.db.session import transaction

        async with transaction(self.sessions) as session:
            return await ActionClaimRepository(session, team_id).claim(key, owner)

    async def start_worker(self) -> None:
        settings = self.settings
        options = WorkerOptions(
            concurrency=settings.worker_concurrency,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
            stalled_after_seconds=settings.worker_stalled_after_seconds,
            shutdown_seconds=settings.worker_shutdown_seconds,
        )
        self.worker = Worker(self.queue, {"container": self}, options)
        await self.worker.start()

    async def wait_idle(self, within: float = 30.0) -> None:
        if self.worker is not None:
            await self.worker.wait_idle(within)

    async def aclose(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        await self.providers.aclose()
        await self.deliveries.aclose()
        await self.jobs.aclose()
        await self.engine.dispose()
        configure_signing(None, only_if=self._signer)


@contextlib.asynccontextmanager
async def running(settings: Settings, *, worker: bool, **kwargs: Any) -> AsyncIterator[Container]:
    """A container with its job queue open (and, if asked, an in-process worker)."""
    container = Container(settings, **kwargs)
    async with container.queue.open_async():
        if worker:
            await container.start_worker()
        try:
            yield container
        finally:
            await container.aclose()
