"""A digest's numbers equal a direct count over the sandbox world's records for the same period and scope
(counted here from the world's own lists, not by the same aggregation), for both periods, from one read of
each provider however many digests are built from it."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Provider, SmsMessage, SmsStatus
from bot.db.session import create_engine
from bot.sandbox.world import Queue, Thread, World
from bot.services.digest_content import (
    CALL_OUTCOMES,
    DigestData,
    DigestRequest,
    DigestScope,
    Period,
    bucket_starts,
    build_digest_data,
    build_digests,
)
from bot.services.digest_schedule import Every
from bot.services.providers import Providers
from tests.databases import fresh_database
from tests.providers.sandbox_support import ANCHOR, HttpSandbox, open_sandbox

DAY = timedelta(days=1)
WEEK = 7 * DAY
CURRENT = Period(ANCHOR - DAY, ANCHOR)
PREVIOUS = Period(ANCHOR - 2 * DAY, ANCHOR - DAY)
# A week: every source has records in it (Zoom Phone's sessions are sparse day by day).
THIS_WEEK = Period(ANCHOR - WEEK, ANCHOR)
LAST_WEEK = Period(ANCHOR - 2 * WEEK, ANCHOR - WEEK)
NEW_YORK = ZoneInfo("America/New_York")


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


def _providers(sandbox: HttpSandbox) -> Providers:
    # LiveVox as the demo agent: inboxes, threads and history are agent-only methods.
    return Providers(
        team_id="T1",
        zoom=sandbox.zoom(),
        routee=sandbox.routee(),
        livevox=sandbox.livevox(),
        _http=sandbox.http,
    )


# ------------------------------------------------------------------------------ direct counts


def _visible_threads(world: World, inbox: str | None = None) -> list[Thread]:
    """The open threads the demo agent's SMS inboxes list (personal, and the groups of its services)."""
    agent = world.agents[world.demo.agent_id]
    out = []
    for t in world.threads.values():
        if t.resolved:
            continue
        if t.owner_agent_id == agent.agent_id:
            channel = str(agent.agent_id)
        elif t.owner_agent_id is None and t.service_id in agent.service_ids:
            channel = str(t.service_id)
        else:
            continue
        if inbox is None or channel == inbox:
            out.append(t)
    return out


def _names(queues: Iterable[Queue], wanted: tuple[str, ...]) -> bool:
    return not wanted or any(q.queue_id in wanted or q.name in wanted for q in queues)


def _first_responses(conversations: Iterable[list[tuple[datetime, bool]]], period: Period) -> list[float]:
    """For every customer message with no customer message just before it (a conversation's opening or one
    after an answer), the seconds until the next answer, if there is one."""
    found = []
    for messages in conversations:
        ordered = sorted(messages)
        for i, (at, inbound) in enumerate(ordered):
            if not inbound or not period.holds(at) or (i and ordered[i - 1][1]):
                continue
            answer = next((later for later, into in ordered[i + 1 :] if not into), None)
            if answer is not None:
                found.append((answer - at).total_seconds())
    return found


def _expected_sms(world: World, period: Period, scope: DigestScope) -> dict[str, object]:
    window_start = LAST_WEEK.start  # the digest reads both periods; history before them is not read
    logs = [
        log
        for log in world.cc_sms_logs
        if period.start <= log.start_time < period.end and _names(log.queues, scope.queues)
    ]
    phone = [
        s
        for s in world.phone_sessions.values()
        if not scope.queues or (s.session_type == "call_queue" and s.owner.display_name in scope.queues)
    ]
    phone_messages = [m for s in phone for m in s.messages if period.holds(m.date_time)]
    threads = _visible_threads(world, scope.inbox)
    lv_messages = [m for t in threads for m in t.messages if period.holds(m.date)]
    routee = [
        m
        for m in world.routee_messages
        if scope.whole_account and m.direction == "Outbound" and period.holds(m.created_at)
    ]
    conversations = [
        [(m.date_time, m.direction == "In") for m in s.messages if m.date_time >= window_start] for s in phone
    ] + [[(m.date, m.direction == 1) for m in t.messages if m.date >= window_start] for t in threads]
    responses = _first_responses(conversations, period)
    queues: Counter[str] = Counter(q.name for log in logs for q in {q.name: q for q in log.queues}.values())
    queues.update(
        s.owner.display_name or ""
        for s in phone
        if s.session_type == "call_queue"
        for m in s.messages
        if period.holds(m.date_time)
    )
    return {
        "inbound": sum(1 for log in logs if log.direction == "inbound")
        + sum(1 for m in phone_messages if m.direction == "In")
        + sum(1 for m in lv_messages if m.direction == 1),
        "outbound": sum(1 for log in logs if log.direction == "outbound")
        + sum(1 for m in phone_messages if m.direction == "Out")
        + sum(1 for m in lv_messages if m.direction == 2)
        + len(routee),
        "sources": Counter(
            {
                "Zoom Contact Center": len(logs),
                "Zoom Phone": len(phone_messages),
                "LiveVox": len(lv_messages),
                "Routee": len(routee),
            }
        )
        - Counter(),
        "queues": queues,
        "first_responses": len(responses),
        "first_response_seconds": sum(responses),
    }


def _check_sms(data: DigestData, world: World, scope: DigestScope) -> None:
    assert data.sms.error is None
    for period, sms in ((data.period, data.sms.current), (data.previous, data.sms.previous)):
        assert sms is not None
        expected = _expected_sms(world, period, scope)
        assert sms.inbound == expected["inbound"]
        assert sms.outbound == expected["outbound"]
        assert sms.sources == expected["sources"]
        assert sms.queues == expected["queues"]
        assert sms.first_responses == expected["first_responses"]
        assert sms.first_response_seconds == pytest.approx(expected["first_response_seconds"])


def _check_calls(data: DigestData, world: World, scope: DigestScope, *, busy: bool = True) -> None:
    for period, calls in ((data.period, data.calls.current), (data.previous, data.calls.previous)):
        records = [
            c for c in world.voice_calls if period.holds(c.start_time) and _names(c.queues, scope.queues)
        ]
        assert calls is not None and (records or not busy)
        assert calls.total == len(records)
        assert calls.outcomes == Counter(CALL_OUTCOMES.get(c.result, "other") for c in records)
        answered = [c for c in records if CALL_OUTCOMES.get(c.result) == "answered"]
        assert calls.handled_seconds == sum(c.total_duration for c in answered)
        abandoned = [c for c in records if CALL_OUTCOMES.get(c.result) == "abandoned"]
        assert calls.waited_calls == len(abandoned) and (abandoned or not busy)
        assert calls.wait_seconds == sum(c.total_duration for c in abandoned)


def _check_threads(data: DigestData, world: World, scope: DigestScope) -> None:
    threads = data.threads.current
    assert threads is not None and data.threads.error is None
    visible = _visible_threads(world, scope.inbox)
    assert sum(i.active for i in threads.inboxes) == len(visible)
    assert sum(i.unread for i in threads.inboxes) == sum(1 for t in visible if not t.read)
    waiting = [t for t in visible if t.last_message is not None and t.last_message.direction == 1]
    oldest = min(waiting, key=lambda t: t.last_date)
    assert threads.oldest is not None and threads.oldest.thread_id == oldest.thread_id
    # LiveVox writes epoch milliseconds.
    assert abs(threads.oldest.waiting_since - oldest.last_date) < timedelta(milliseconds=1)
    assert "•" in threads.oldest.number and threads.oldest.number.endswith(oldest.phone[-4:])


def _check_volume(data: DigestData, world: World, scope: DigestScope) -> None:
    sms, calls = data.sms.current, data.calls.current
    assert sms is not None and calls is not None
    assert sum(b.calls for b in data.volume) == calls.total
    # Routee's tracked sends carry no send time: the chart has every SMS but those.
    assert sum(b.sms for b in data.volume) == sms.total - sms.sources["Routee"]
    busiest = max(data.volume, key=lambda b: b.calls)
    end = next((b.start for b in data.volume if b.start > busiest.start), data.period.end)
    assert busiest.calls == sum(
        1 for c in world.voice_calls if busiest.start <= c.start_time < end and _names(c.queues, scope.queues)
    )


# ------------------------------------------------------------------------------------------ tests


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
    data = await build_digest_data(
        _providers(sandbox),
        sessions,
        "T1",
        THIS_WEEK,
        LAST_WEEK,
        now=sandbox.clock.now(),
        zone=NEW_YORK,
        every=Every.WEEK,
    )
    scope = DigestScope()
    _check_sms(data, world, scope)
    sms = data.sms.current
    assert sms is not None and set(sms.sources) == {"Zoom Contact Center", "Zoom Phone", "LiveVox", "Routee"}
    assert sms.first_responses > 0 and sms.agents
    _check_calls(data, world, scope)
    _check_threads(data, world, scope)
    _check_volume(data, world, scope)
    assert len(data.volume) in (7, 8)  # local days of a UTC-bounded week
    assert all(b.label[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") for b in data.volume)

    # Delivery over a day (a week's Routee failures would fill the capped list before the outbox's).
    data = await build_digest_data(
        _providers(sandbox), sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), sections={"delivery"}
    )
    delivery = data.delivery.current
    assert delivery is not None and data.delivery.error is None
    sent = [m for m in world.routee_messages if m.direction == "Outbound" and CURRENT.holds(m.created_at)]
    expected = Counter(m.final_status.lower() for m in sent)
    expected.update({"delivered": 1, "blocked": 1, "not confirmed": 1})  # the outbox (pending is not counted)
    assert delivery.statuses == expected
    assert delivery.failures_total == sum(n for status, n in expected.items() if status != "delivered")
    assert len(delivery.failures) == min(delivery.failures_total, 10)
    blocked = [f for f in delivery.failures if f.source == "Switchboard" and f.status == "blocked"]
    assert [f.reason for f in blocked] == ["the recipient has opted out of SMS"]
    assert all("•" in f.number for f in delivery.failures)  # masked


async def test_a_scope_keeps_its_queues_and_its_inbox(
    sandbox: HttpSandbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    world = sandbox.world
    billing = next(q for q in world.queues.values() if q.name == "Billing")
    demo = world.demo
    # The demo queue by id, Billing by name; the group inbox of the demo service.
    scope = DigestScope(inbox=str(demo.service_id), queues=(demo.zoom_queue_id, billing.name))
    data = await build_digest_data(
        _providers(sandbox),
        sessions,
        "T1",
        THIS_WEEK,
        LAST_WEEK,
        now=sandbox.clock.now(),
        every=Every.WEEK,
        scope=scope,
    )
    _check_calls(data, world, scope)
    _check_threads(data, world, scope)
    sms = data.sms.current
    assert sms is not None and "Routee" not in sms.sources  # Routee knows no queue or inbox
    assert set(sms.queues) <= {demo.zoom_queue_name, billing.name}
    threads = data.threads.current
    assert threads is not None and [i.name for i in threads.inboxes] == [f"Group - {demo.service_name}"]
    # Phone sessions count for a queue scope when the session is a call queue's named in it (by name here).
    named = DigestScope(inbox=str(demo.service_id), queues=(demo.zoom_queue_name, billing.name))
    _check_sms(
        await build_digest_data(
            _providers(sandbox),
            sessions,
            "T1",
            THIS_WEEK,
            LAST_WEEK,
            now=sandbox.clock.now(),
            every=Every.WEEK,
            scope=named,
        ),
        world,
        named,
    )


async def test_several_digests_read_each_provider_once(
    sandbox: HttpSandbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    providers = _providers(sandbox)
    whole = DigestRequest()
    scoped = DigestRequest(DigestScope(inbox=str(sandbox.demo.service_id), queues=("Billing",)))
    calls_only = DigestRequest(sections=frozenset({"calls"}))
    # Tokens, the LiveVox login and the first pages' caches out of the way: then one digest's requests.
    await build_digests(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), requests=[whole]
    )
    before = len(sandbox.requests)
    (alone,) = await build_digests(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), requests=[whole]
    )
    one = len(sandbox.requests) - before
    before = len(sandbox.requests)
    together = await build_digests(
        providers,
        sessions,
        "T1",
        CURRENT,
        PREVIOUS,
        now=sandbox.clock.now(),
        requests=[whole, scoped, calls_only],
    )
    assert len(sandbox.requests) - before == one > 0
    assert together[0].sms.current == alone.sms.current and together[0].calls.current == alone.calls.current
    (scoped_alone,) = await build_digests(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), requests=[scoped]
    )
    assert together[1].sms.current == scoped_alone.sms.current
    assert together[1].threads.current == scoped_alone.threads.current
    assert together[2].calls.current == alone.calls.current and not together[2].sms.connected
    _check_calls(together[1], sandbox.world, scoped.scope, busy=False)


async def test_sections_not_asked_for_make_no_requests(
    sandbox: HttpSandbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    providers = _providers(sandbox)
    data = await build_digest_data(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), sections={"delivery"}
    )
    hosts = {r.url.path.split("/")[1] for r in sandbox.requests}
    assert hosts == {"routee"} and data.delivery.current is not None
    assert not data.sms.connected and not data.calls.connected and not data.threads.connected
    sandbox.requests.clear()
    data = await build_digest_data(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), sections={"calls"}
    )
    assert {r.url.path for r in sandbox.requests} == {
        "/zoom/oauth/token",
        "/zoom/v2/contact_center/voice_calls",
    }
    assert data.calls.current is not None and data.delivery.current is None
    sandbox.requests.clear()
    data = await build_digest_data(
        providers, sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now(), sections={"threads"}
    )
    assert {r.url.path.split("/")[1] for r in sandbox.requests} == {"livevox"}
    assert not sandbox.sent("/livevox/sms/agent/messages")  # the snapshot needs no history
    assert data.threads.current is not None


def test_daylight_saving_days_have_23_and_25_hours() -> None:
    def local_day(year: int, month: int, day: int) -> Period:
        start = datetime(year, month, day, tzinfo=NEW_YORK)
        end = datetime.combine(start.date() + DAY, start.timetz())
        return Period(start.astimezone(UTC), end.astimezone(UTC))

    spring, autumn, plain = local_day(2025, 3, 9), local_day(2025, 11, 2), local_day(2025, 3, 10)
    assert len(bucket_starts(spring, NEW_YORK, Every.DAY)) == 23
    assert len(bucket_starts(autumn, NEW_YORK, Every.DAY)) == 25
    assert len(bucket_starts(plain, NEW_YORK, Every.DAY)) == 24
    hours = [s.astimezone(NEW_YORK).hour for s in bucket_starts(spring, NEW_YORK, Every.DAY)]
    assert hours[:3] == [0, 1, 3]  # 02:00 does not exist that day
    hours = [s.astimezone(NEW_YORK).hour for s in bucket_starts(autumn, NEW_YORK, Every.DAY)]
    assert hours[:4] == [0, 1, 1, 2]  # 01:00 happens twice
    week = Period(
        datetime(2025, 3, 6, tzinfo=NEW_YORK).astimezone(UTC),
        datetime(2025, 3, 13, tzinfo=NEW_YORK).astimezone(UTC),
    )
    days = bucket_starts(week, NEW_YORK, Every.WEEK)
    assert [d.astimezone(NEW_YORK).hour for d in days] == [0] * 7
    assert days[4] - days[3] == timedelta(hours=23)
    hour = Period(spring.start, spring.start + timedelta(hours=1))
    assert len(bucket_starts(hour, NEW_YORK, Every.HOUR)) == 12


async def test_a_dst_day_counts_its_23_hours(
    sandbox: HttpSandbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    world = sandbox.world
    start = datetime(2025, 3, 9, tzinfo=NEW_YORK).astimezone(UTC)
    day = Period(start, datetime(2025, 3, 10, tzinfo=NEW_YORK).astimezone(UTC))
    data = await build_digest_data(
        _providers(sandbox),
        sessions,
        "T1",
        day,
        Period(day.start - DAY, day.start),
        now=sandbox.clock.now(),
        zone=NEW_YORK,
        every=Every.DAY,
        sections={"calls", "sms"},
    )
    assert len(data.volume) == 23 and data.volume[2].label == "03:00"
    assert sum(b.calls for b in data.volume) == sum(1 for c in world.voice_calls if day.holds(c.start_time))
    for bucket, following in zip(data.volume, [*data.volume[1:], None], strict=True):
        end = following.start if following else day.end
        assert bucket.calls == sum(1 for c in world.voice_calls if bucket.start <= c.start_time < end)


async def test_a_provider_that_fails_leaves_the_other_sections_whole(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with open_sandbox("asgi", faults="zoom:error_rate=1") as sandbox:
        data = await build_digest_data(
            _providers(sandbox), sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now()
        )
    assert data.sms.error and "Zoom" in data.sms.error and data.sms.current is None
    assert data.calls.error and "Zoom" in data.calls.error
    assert data.delivery.error is None and data.delivery.current is not None
    assert data.threads.error is None and data.threads.current is not None
    none = await build_digest_data(
        Providers(team_id="T1"), sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now()
    )
    assert not none.sms.connected and not none.calls.connected and not none.threads.connected
    assert none.delivery.current is not None  # the outbox is always there


async def test_livevox_failing_fails_the_sections_it_feeds_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with open_sandbox("asgi", faults="livevox:error_rate=1") as sandbox:
        data = await build_digest_data(
            _providers(sandbox), sessions, "T1", CURRENT, PREVIOUS, now=sandbox.clock.now()
        )
    assert data.threads.error and "LiveVox" in data.threads.error and data.threads.current is None
    assert data.sms.error and "LiveVox" in data.sms.error  # one of its four sources
    assert data.calls.error is None and data.calls.current is not None and data.calls.current.total
    assert data.delivery.error is None and data.delivery.current is not None


def test_a_request_from_a_subscriptions_scope_and_its_channel_mapping() -> None:
    mapped = {"inbox": "100915", "queues": ["Billing"]}
    assert DigestRequest.from_scope(None, inbox="100915", queues=["Billing"]) == DigestRequest(
        DigestScope("100915", ("Billing",))
    )
    explicit = DigestRequest.from_scope(
        {"sections": ["calls", "sms", "weather"], "inbox": None, "queues": ["Q1", 3, ""]}, **mapped
    )
    assert explicit == DigestRequest(DigestScope(None, ("Q1",)), frozenset({"calls", "sms"}))
    assert DigestRequest.from_scope({"sections": []}).sections == frozenset(
        {"sms", "calls", "threads", "delivery"}
    )
    assert DigestRequest.from_scope({"inbox": 700101, "queues": "not a list"}).scope == DigestScope("700101")
