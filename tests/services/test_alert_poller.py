"""The inbox alert poller against the LiveVox simulator, on every backend: each waiting thread is new once
however many pollers race, a round is owned by one process at a time (a lease), the first read of a busy
inbox is summed up, a thread that leaves the group inbox is noticed, and a failing inbox backs off."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ChannelMapping, InboxPoll, InboxThread, Role, UserMapping, Workspace
from bot.sandbox.faults import ProviderFaults
from bot.services.alerts import SUMMARY_AT, AlertPoller
from bot.services.contacts import ContactBook
from bot.services.providers import Providers
from tests.providers.sandbox_support import HttpSandbox, open_sandbox
from tests.services.test_history_livevox import agent_providers

TEAM = "T1"


@pytest.fixture
async def sandbox() -> AsyncIterator[HttpSandbox]:
    async with open_sandbox("asgi") as opened:
        yield opened


async def follow(sessions: async_sessionmaker[AsyncSession], sandbox: HttpSandbox, *channels: str) -> str:
    """The demo agent linked, and `channels` following the demo service's group inbox."""
    demo = sandbox.demo
    async with sessions() as session, session.begin():
        session.add(Workspace(team_id=TEAM))
        session.add(
            UserMapping(
                team_id=TEAM,
                slack_user_id="U1",
                role=Role.AGENT,
                livevox_agent_id=str(demo.agent_id),
                livevox_login=demo.agent_login,
            )
        )
        for channel in channels:
            session.add(
                ChannelMapping(
                    team_id=TEAM,
                    channel_id=channel,
                    livevox_service_id=str(demo.service_id),
                    alerts_enabled=True,
                )
            )
    return str(demo.service_id)


def group_threads(sandbox: HttpSandbox, inbox: str) -> list[str]:
    return sorted(
        t.thread_id
        for t in sandbox.world.threads.values()
        if str(t.service_id) == inbox and t.owner_agent_id is None and not t.resolved
    )


async def rounds(poller: AlertPoller, providers: Providers, sandbox: HttpSandbox) -> list[object]:
    now = sandbox.clock.now()
    results = []
    for inbox, poll in await poller.due(now):
        results.append(await poller.poll(providers, inbox, poll, now=now))
    return results


async def test_each_waiting_thread_is_new_once_and_a_round_is_owned_by_one_poller(
    sessions: async_sessionmaker[AsyncSession], sandbox: HttpSandbox
) -> None:
    inbox = await follow(sessions, sandbox, "C1", "C2")
    waiting = group_threads(sandbox, inbox)
    assert 0 < len(waiting) <= SUMMARY_AT  # the demo inbox: a card each, not a summary
    providers = agent_providers(sandbox, TEAM)
    pollers = [AlertPoller(sessions, ContactBook(sessions)) for _ in range(3)]
    now = sandbox.clock.now()
    claimed = await asyncio.gather(*(p.due(now) for p in pollers))
    owners = [(p, c) for p, found in zip(pollers, claimed, strict=True) for c in found]
    assert len(owners) == 1  # three processes, one round of the one inbox
    poller, (followed, poll) = owners[0]
    assert followed.channels == ("C1", "C2")
    first = await poller.poll(providers, followed, poll, now=now)
    assert sorted(n.card.thread_id for n in first.new) == waiting and first.summary is None

    # Not due again before the interval; then nothing is new.
    assert await pollers[1].due(now + timedelta(seconds=5)) == []
    later = now + followed.interval
    ((again_inbox, again_poll),) = await pollers[2].due(later)
    second = await pollers[2].poll(providers, again_inbox, again_poll, now=later)
    assert second.new == [] and second.changed == [] and second.summary is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxThread)) == len(waiting)


async def test_a_busy_inbox_is_summed_up_at_its_first_read(
    sessions: async_sessionmaker[AsyncSession], sandbox: HttpSandbox
) -> None:
    inbox = await follow(sessions, sandbox, "C1")
    template = sandbox.world.threads[group_threads(sandbox, inbox)[0]]

    for n in range(SUMMARY_AT + 5):
        copy = dataclasses.replace(template, thread_id=f"9{n:010d}", messages=list(template.messages))
        sandbox.world.threads[copy.thread_id] = copy
    waiting = group_threads(sandbox, inbox)
    poller = AlertPoller(sessions, ContactBook(sessions))
    (result,) = await rounds(poller, agent_providers(sandbox, TEAM), sandbox)
    assert result.summary == len(waiting) and result.new == []  # type: ignore[attr-defined]


async def test_a_thread_that_leaves_the_group_inbox_is_noticed_once(
    sessions: async_sessionmaker[AsyncSession], sandbox: HttpSandbox
) -> None:
    inbox = await follow(sessions, sandbox, "C1")
    providers = agent_providers(sandbox, TEAM)
    poller = AlertPoller(sessions, ContactBook(sessions))
    await rounds(poller, providers, sandbox)
    taken = group_threads(sandbox, inbox)[0]
    sandbox.world.threads[taken].owner_agent_id = sandbox.demo.agent_id  # taken in LiveVox itself
    sandbox.clock.advance(minutes=1)
    (result,) = await rounds(poller, providers, sandbox)
    assert [c.thread_id for c in result.changed] == [taken]  # type: ignore[attr-defined]
    sandbox.clock.advance(minutes=1)
    (result,) = await rounds(poller, providers, sandbox)
    assert result.changed == []  # type: ignore[attr-defined]


async def test_a_failing_inbox_backs_off_and_catches_up(
    sessions: async_sessionmaker[AsyncSession], sandbox: HttpSandbox
) -> None:
    await follow(sessions, sandbox, "C1")
    providers = agent_providers(sandbox, TEAM)
    poller = AlertPoller(sessions, ContactBook(sessions))
    sandbox.injector("livevox").config = ProviderFaults(error_rate=1.0)  # LiveVox down
    now = sandbox.clock.now()
    waits = []
    for _ in range(3):
        ((inbox, poll),) = await poller.due(now)
        with pytest.raises(Exception):  # noqa: B017 - whatever LiveVox's failure is, it is raised
            await poller.poll(providers, inbox, poll, now=now)
        async with sessions() as session:
            row = await session.scalar(select(InboxPoll))
            assert row is not None and row.next_poll_at is not None
            waits.append(row.next_poll_at - now)
            now = row.next_poll_at
    assert waits[0] < waits[1] < waits[2]  # doubling
    sandbox.injector("livevox").config = ProviderFaults()  # and back
    ((inbox, poll),) = await poller.due(now)
    result = await poller.poll(providers, inbox, poll, now=now)
    assert result.new  # nothing was lost while it failed
