"""The LiveVox part of a lookup against the simulator: the session and the inbox list are reused, never
shared between workspaces or agents, and the report is the same as a one-call-at-a-time walk gives."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.db.models import Provider, Role
from bot.providers import LiveVoxClient
from bot.providers._http import RateLimiterRegistry
from bot.sandbox.source import connection_values
from bot.services.history import LIVEVOX, HistoryService, _same
from bot.services.identity import Identity
from bot.services.providers import Providers, build_livevox
from bot.services.time_range import TimeRange, parse_range
from tests.providers.sandbox_support import ANCHOR, HttpSandbox, open_sandbox

LOGIN_PATH = "/livevox/session/login"
CHANNELS_PATH = "/livevox/sms/agent/channel"
THREADS_PATH = "/livevox/sms/agent/thread/details"
MESSAGES_PATH = "/livevox/sms/agent/messages"
MARIA, JAMES, PRIYA = "+14155550100", "+14155550101", "+14155550102"


@pytest.fixture
async def sandbox() -> AsyncIterator[HttpSandbox]:
    async with open_sandbox("asgi") as opened:
        yield opened


def agent_providers(sandbox: HttpSandbox, team_id: str = "T1", login: str | None = None) -> Providers:
    """A workspace whose LiveVox connection is the agent's own login (so `livevox_agent` returns it)."""
    login = login or sandbox.demo.agent_login
    client = sandbox.livevox(login, limiter_registry=RateLimiterRegistry())
    return Providers(team_id=team_id, livevox=client, livevox_values={"username": login}, _http=sandbox.http)


def user_providers(sandbox: HttpSandbox, team_id: str) -> Providers:
    """A workspace connected with a LiveVox user login, as in production: one agent client per login."""
    values = connection_values()[Provider.LIVEVOX]
    return Providers(
        team_id=team_id,
        livevox=build_livevox(values, sandbox.http),
        livevox_values=values,
        _http=sandbox.http,
    )


def agent(team_id: str = "T1", login: str = "JRIVERA") -> Identity:
    return Identity(team_id=team_id, user_id="U1", role=Role.AGENT, livevox_login=login)


def span() -> TimeRange:
    return parse_range("30d", now=ANCHOR + timedelta(hours=1))


async def test_a_second_lookup_reuses_the_session_and_the_inbox_list(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    first = await service.lookup(providers, agent(), MARIA, span())
    assert [s.state for s in first.sources if s.provider == LIVEVOX] == ["ok"]
    assert len(sandbox.sent(LOGIN_PATH)) == 1 and len(sandbox.sent(CHANNELS_PATH)) == 1
    threads_before = len(sandbox.sent(THREADS_PATH))

    second = await service.lookup(providers, agent(), PRIYA, span())
    assert [s.state for s in second.sources if s.provider == LIVEVOX] == ["ok"]
    assert second.threads and second.compliance.do_not_contact is True
    assert len(sandbox.sent(LOGIN_PATH)) == 1  # the session is reused
    assert len(sandbox.sent(CHANNELS_PATH)) == 1  # so is the inbox list
    assert len(sandbox.sent(THREADS_PATH)) == 2 * threads_before  # threads are data: always asked


async def test_the_inbox_list_is_fetched_again_after_its_ttl(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService(channels_ttl=60)
    await service.livevox_threads(providers, agent(), MARIA)
    sandbox.clock.advance(seconds=30)
    await service.livevox_threads(providers, agent(), MARIA)
    assert len(sandbox.sent(CHANNELS_PATH)) == 1
    sandbox.clock.advance(seconds=31)
    await service.livevox_threads(providers, agent(), MARIA)
    assert len(sandbox.sent(CHANNELS_PATH)) == 2 and len(sandbox.sent(LOGIN_PATH)) == 1


async def test_an_expired_session_logs_in_again_once(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    before = await service.lookup(providers, agent(), MARIA, span())
    sandbox.livevox_state.sessions.clear()  # LiveVox forgot the session: every call now answers 401

    after = await service.lookup(providers, agent(), MARIA, span())
    assert len(sandbox.sent(LOGIN_PATH)) == 2  # one new login for all the concurrent calls that met 401
    assert [s.state for s in after.sources if s.provider == LIVEVOX] == ["ok"]
    assert after.events == before.events and after.threads == before.threads


async def test_caches_are_per_workspace_and_per_agent(sandbox: HttpSandbox) -> None:
    service = HistoryService()
    team_a, team_b = user_providers(sandbox, "TA"), user_providers(sandbox, "TB")
    await service.livevox_threads(team_a, agent("TA"), MARIA)
    await service.livevox_threads(team_b, agent("TB"), MARIA)
    # The same LiveVox login in two workspaces: each has its own session and its own inbox list.
    assert len(sandbox.sent(LOGIN_PATH)) == 2 and len(sandbox.sent(CHANNELS_PATH)) == 2
    assert len({r.headers["LV-Session"] for r in sandbox.sent(CHANNELS_PATH)}) == 2

    # Another agent of the same workspace: a session and inboxes of their own (JRIVERA's remembered inbox
    # list would send SKIM to JRIVERA's personal inbox, which LiveVox refuses to other agents).
    demo = sandbox.demo
    skim = await service.livevox_threads(team_a, agent("TA", demo.transfer_agent_login), MARIA)
    assert len(sandbox.sent(LOGIN_PATH)) == 3 and len(sandbox.sent(CHANNELS_PATH)) == 3
    jordan = await service.livevox_threads(team_a, agent("TA"), MARIA)
    assert len(sandbox.sent(LOGIN_PATH)) == 3 and len(sandbox.sent(CHANNELS_PATH)) == 3
    personal = {str(demo.agent_id), str(demo.transfer_agent_id)}
    assert {t.channel_id for t in skim} & personal == {str(demo.transfer_agent_id)}
    assert {t.channel_id for t in jordan} & personal == {str(demo.agent_id)}


async def test_a_stale_inbox_list_is_fetched_again_when_an_inbox_is_refused(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    assert await service.livevox_threads(providers, agent(), PRIYA)  # a group-inbox thread
    jordan = sandbox.world.agents[sandbox.demo.agent_id]
    jordan.service_ids = [s for s in jordan.service_ids if s != sandbox.demo.service_id] or [100916]

    # The cached list still names Customer Care, which now answers 403: a fresh list, no failure.
    threads = await service.livevox_threads(providers, agent(), PRIYA)
    assert threads == []
    assert len(sandbox.sent(CHANNELS_PATH)) == 2


async def test_the_report_matches_a_one_call_at_a_time_walk(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    report = await service.lookup(providers, agent(), JAMES, span())

    client = sandbox.livevox(sandbox.demo.agent_login, limiter_registry=RateLimiterRegistry())
    expected = await walk_sequentially(client, JAMES, span())
    assert [t.thread_id for t in report.threads] == [t for t, _ in expected]
    # Each thread's account's whole history: its resolved threads and template sends too.
    wanted = {m for _, ms in expected for m in ms}
    assert sorted(f"{e.provider_id}:{e.text or ''}" for e in report.events) == sorted(wanted)
    assert len(wanted) > len([m for t in report.threads for m in sandbox.world.threads[t.thread_id].messages])


async def test_each_list_costs_its_pages_and_no_more(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    report = await service.lookup(providers, agent(), JAMES, span())
    # Every list fits one page: page 1 and the empty page 2 that ends it, asked together.
    for path in (THREADS_PATH, MESSAGES_PATH):
        pages = sorted(r.url.params["pagination"] for r in sandbox.sent(path))
        assert pages == sorted(["1", "2"] * (len(pages) // 2)), path
    assert len(sandbox.sent(MESSAGES_PATH)) == 2 * len({t.account for t in report.threads})


async def test_threads_the_caller_already_listed_are_not_listed_again(sandbox: HttpSandbox) -> None:
    providers, service = agent_providers(sandbox), HistoryService()
    threads = await service.livevox_threads(providers, agent(), JAMES)  # an agent's permission check
    listed = len(sandbox.sent(THREADS_PATH))
    report = await service.lookup(providers, agent(), JAMES, span(), threads=threads)
    assert len(sandbox.sent(THREADS_PATH)) == listed
    assert report == await service.lookup(providers, agent(), JAMES, span())


async def walk_sequentially(
    client: LiveVoxClient, number: str, within: TimeRange
) -> list[tuple[str, set[str]]]:
    """Each thread of the number in the agent's inboxes, with the ids of its account's messages in range."""
    found: list[tuple[str, set[str]]] = []
    for channel in await client.agent.channels():
        if (channel.channel or "").upper() != "SMS" or channel.channel_id is None:
            continue
        async for thread in client.threads.list_all(channel.channel_id, "SMS", personal=channel.personal):
            if (_same(thread.to, number) or _same(thread.from_, number)) and thread.thread_id is not None:
                history = client.messages.history_all(account=thread.account)
                texts = {
                    f"{m.id}:{m.message or ''}"
                    async for m in history
                    if m.occurred_at is not None and within.start <= m.occurred_at <= within.end
                }
                found.append((str(thread.thread_id), texts))
    return found


async def test_waiting_for_our_own_rate_budget_is_not_the_provider_being_slow(sandbox: HttpSandbox) -> None:
    """Zoom answers at once, but the account's HEAVY allowance (here 2/s) is used up by other lookups,
    so this lookup's Zoom calls queue for longer than the per-source time budget. That queue is ours:
    the lookup waits its turn and answers in full; "Zoom did not answer in time" would be untrue.
    (The budget is 2.5 s, not less: Zoom Phone's five unqueued calls to the in-process sandbox must fit
    in it with the machine busy; the queue, 3 s, and the slow Zoom below, 4 s, are both longer.)"""
    from bot.providers import RateLimit

    registry = RateLimiterRegistry()
    zoom = sandbox.zoom(  # real time: the waits are real sleeps, as in production
        rate_limits={"heavy": RateLimit(per_second=2)},
        limiter_registry=registry,
        sleep=asyncio.sleep,
        clock=time.monotonic,
    )
    providers = Providers(team_id="T1", zoom=zoom, _http=sandbox.http)
    for _ in range(6):  # other lookups took the next three seconds of the allowance
        await registry.reserve(("zoom", zoom._account_key, "heavy"), RateLimit(per_second=2), zoom._clock())
    service = HistoryService(timeout=2.5)
    report = await service.lookup(providers, agent(), MARIA, span())
    zoom_sources = {s.provider: (s.state, s.message) for s in report.sources if "Zoom" in s.provider}
    assert len(zoom_sources) == 3 and all(state == "ok" for state, _ in zoom_sources.values()), zoom_sources

    # The budget still bounds the provider's own time: a Zoom that is slow fails the source.
    injector = sandbox.injector("zoom")
    injector.config = dataclasses.replace(injector.config, latency_ms=4000)
    slow = await HistoryService(timeout=2.5).lookup(providers, agent(), JAMES, span())
    assert any(s.state == "failed" and "in time" in (s.message or "") for s in slow.sources), slow.sources
