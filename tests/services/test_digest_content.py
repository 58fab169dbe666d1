"""A digest's numbers equal a direct count over the sandbox world's records for the same period (counted
here from the world, not by the same aggregation), for both periods, from one pass over each provider."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Provider, SmsMessage, SmsStatus
from bot.db.session import create_engine
from bot.services.digest_content import CALL_OUTCOMES, Period, build_digest_data
from bot.services.providers import Providers
from tests.databases import fresh_database
from tests.providers.sandbox_support import ANCHOR, HttpSandbox, open_sandbox

DAY = timedelta(days=1)
CURRENT = Period(ANCHOR - DAY, ANCHOR)
PREVIOUS = Period(ANCHOR - 2 * DAY, ANCHOR - DAY)


@pytest.fixture
async def sandbox() -> AsyncIterator[HttpSandbox]:
    async with open_sandbox("asgi") as opened:
        yield opened


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    with fresh_database("sqlite", tmp_path) as url:
        engine = create_engine(url)
        yield async_sessionmaker(engine, expire_on_commit=False)
        await engine.dispose()


async def test_the_numbers_are_the_worlds_own_counts(
    sandbox: HttpSandbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    world = sandbox.world
    async with sessions() as session, session.begin():
        for n, status in enumerate(
            [SmsStatus.DELIVERED, SmsStatus.BLOCKED, SmsStatus.ACCEPTED, SmsStatus.PENDING]
        ):
            session.add(
                SmsMessage(
                    team_id="T1",
                    slack_user_id="U1",
                    to_number=f"+1415555010{n}",
                    body="hi",
                    provider=Provider.LIVEVOX,
                    status=status,
                    status_reason="the recipient has opted out of SMS"
                    if status is SmsStatus.BLOCKED
                    else None,
                    idempotency_key=f"k{n}",
                    created_at=ANCHOR - timedelta(hours=3 + n),
                )
            )
        session.add(  # another workspace's send is not this digest's
            SmsMessage(
                team_id="T2",
                slack_user_id="U9",
                to_number="+14155550109",
                provider=Provider.ROUTEE,
                status=SmsStatus.FAILED,
                idempotency_key="x",
                created_at=ANCHOR - timedelta(hours=2),
            )
        )
    providers = Providers(team_id="T1", zoom=sandbox.zoom(), routee=sandbox.routee(), _http=sandbox.http)
    data = await build_digest_data(providers, sessions, "T1", CURRENT, PREVIOUS)

    for period, sms in ((CURRENT, data.sms.current), (PREVIOUS, data.sms.previous)):
        logs = [log for log in world.cc_sms_logs if period.start <= log.start_time < period.end]
        assert sms is not None and logs, "the world has SMS in both periods"
        assert sms.inbound == sum(1 for log in logs if log.direction == "inbound")
        assert sms.outbound == sum(1 for log in logs if log.direction == "outbound")
        assert sms.queues == Counter(q.name for log in logs for q in {q.name: q for q in log.queues}.values())

    for period, calls in ((CURRENT, data.calls.current), (PREVIOUS, data.calls.previous)):
        records = [c for c in world.voice_calls if period.start <= c.start_time < period.end]
        assert calls is not None and records
        assert calls.total == len(records)
        assert calls.outcomes == Counter(CALL_OUTCOMES.get(c.result, "other") for c in records)
        answered = [c for c in records if CALL_OUTCOMES.get(c.result) == "answered"]
        assert calls.handled_seconds == sum(c.total_duration for c in answered)

    delivery = data.delivery.current
    assert delivery is not None and data.delivery.error is None
    sent = [
        m
        for m in world.routee_messages
        if m.direction == "Outbound" and CURRENT.start <= m.created_at < CURRENT.end
    ]
    expected = Counter(m.final_status.lower() for m in sent)
    expected.update({"delivered": 1, "blocked": 1, "not confirmed": 1})  # the outbox (pending is not counted)
    assert delivery.statuses == expected
    assert delivery.failures_total == sum(n for status, n in expected.items() if status != "delivered")
    blocked = [f for f in delivery.failures if f.source == "Switchboard" and f.status == "blocked"]
    assert [f.reason for f in blocked] == ["the recipient has opted out of SMS"]
    assert all("•" in f.number for f in delivery.failures)  # masked


async def test_a_provider_that_fails_leaves_the_other_sections_whole(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with open_sandbox("asgi", faults="zoom:error_rate=1") as sandbox:
        providers = Providers(team_id="T1", zoom=sandbox.zoom(), routee=sandbox.routee(), _http=sandbox.http)
        data = await build_digest_data(providers, sessions, "T1", CURRENT, PREVIOUS)
    assert data.sms.error and "Zoom Contact Center SMS" in data.sms.error and data.sms.current is None
    assert data.calls.error and data.delivery.error is None and data.delivery.current is not None
    none = await build_digest_data(Providers(team_id="T1"), sessions, "T1", CURRENT, PREVIOUS)
    assert not none.sms.connected and not none.calls.connected
