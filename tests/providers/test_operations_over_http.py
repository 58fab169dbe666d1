"""Every public client operation against its simulator, over real HTTP (uvicorn) and httpx.ASGITransport.

Each test runs twice through the `box` fixture: once with the sandbox app in-process behind
`httpx.ASGITransport`, once with the same app served by uvicorn on 127.0.0.1 and reached over TCP. Every test
checks real data: what the world holds before the call and what changed after it (threads moving between
inboxes, counts, history, tracking), plus the requests that went out (auth flows, repeated query parameters,
month windows, page numbers).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.providers import LiveVoxClient, errors
from bot.providers.routee import TrackingFilter
from bot.providers.zoom.windows import month_windows
from bot.sandbox import credentials
from bot.sandbox.faults import ProviderFaults
from bot.sandbox.world import CcSmsLog, RouteeMessage, Thread, VoiceCall
from tests.providers.sandbox_support import TRANSPORTS, HttpSandbox, open_sandbox

LV_LOGIN = "/livevox/session/login"
LV_THREADS = "/livevox/sms/agent/thread/details"
LV_HISTORY = "/livevox/sms/agent/messages"
ZOOM_TOKEN = "/zoom/oauth/token"
ZOOM_CC_SMS = "/zoom/v2/contact_center/sms"
ZOOM_VOICE = "/zoom/v2/contact_center/voice_calls"
ROUTEE_TOKEN = "/routee/auth/oauth/token"
ROUTEE_TRACKING = "/routee/connect/sms/tracking"


@pytest.fixture(params=TRANSPORTS)
async def box(request: pytest.FixtureRequest) -> AsyncIterator[HttpSandbox]:
    async with open_sandbox(request.param) as sandbox:
        yield sandbox


# -- helpers over the world (what the simulators hold)


def open_threads(box: HttpSandbox, *, owner: int | None, service_id: int | None = None) -> list[Thread]:
    """Open threads of a personal inbox (owner = agent id) or of a service's group inbox (owner None)."""
    threads = [
        t
        for t in box.world.threads.values()
        if not t.resolved and t.owner_agent_id == owner and (service_id is None or t.service_id == service_id)
    ]
    return sorted(threads, key=lambda t: (t.last_date, t.thread_id), reverse=True)


def demo_thread(box: HttpSandbox, customer: int, *, owner: int | None) -> Thread:
    """The open thread of a demo customer in the demo service, in the given inbox."""
    phone = box.demo.customers[customer].phone
    return next(t for t in open_threads(box, owner=owner, service_id=box.demo.service_id) if t.phone == phone)


async def inbox_ids(lv: LiveVoxClient, channel_id: int | str, *, personal: bool) -> list[str]:
    threads = await lv.threads.list_all(channel_id, "SMS", personal=personal).collect()
    return [str(t.thread_id) for t in threads]


def ids(values: Any) -> set[str]:
    return {str(v) for v in values}


def logs_between(items: list[Any], start: date, end: date) -> list[Any]:
    """World Contact Center records whose start time lies in start..end (whole days, inclusive)."""
    lo = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return [item for item in items if lo <= item.start_time < hi]


def today(box: HttpSandbox) -> date:
    return box.clock.now().date()


# -- LiveVox: session login


async def test_livevox_login_is_one_request_then_the_session_header(box: HttpSandbox) -> None:
    lv = box.livevox()
    await lv.sms.templates()
    await lv.sms.codes()
    await lv.agent.channels()
    (login,) = box.sent(LV_LOGIN, "POST")
    assert login.headers["LV-Access"] == credentials.LIVEVOX_ACCESS_TOKEN
    assert b'"userName":"JRIVERA"' in login.content.replace(b" ", b"")
    assert lv.logins == 1 and lv.login_info is not None
    assert str(lv.login_info.user_id) == str(box.demo.agent_id)
    session = lv.login_info.session_id
    server_session = box.livevox_state.sessions[session]
    assert server_session.agent and server_session.user_id == box.demo.agent_id
    calls = [r for r in box.requests if r.url.path != LV_LOGIN]
    assert len(calls) == 3
    assert all(r.headers["LV-Session"] == session and "LV-Access" not in r.headers for r in calls)

    supervisor = box.livevox(box.demo.supervisor_login, agent=False)
    await supervisor.sms.codes()
    assert supervisor.login_info is not None
    assert str(supervisor.login_info.user_id) == str(box.demo.supervisor_user_id)
    assert not box.livevox_state.sessions[supervisor.login_info.session_id].agent
    assert len(box.sent(LV_LOGIN)) == 2


# -- LiveVox: /sms/


async def test_livevox_sms_templates(box: HttpSandbox) -> None:
    templates = await box.livevox().sms.templates()
    assert [(str(t.id), t.message, t.sms_code) for t in templates] == [
        (str(t.id), t.message, t.sms_code) for t in box.world.templates
    ]
    assert any(t.sms_code == box.demo.sender_code for t in templates)


async def test_livevox_sms_codes(box: HttpSandbox) -> None:
    agent = box.world.agents[box.demo.agent_id]
    mine = await box.livevox().sms.codes()
    expected = {c.code for sid in agent.service_ids for c in box.world.codes_for_service(sid)}
    assert {c.code for c in mine} == expected and box.demo.sender_code in expected
    everything = await box.livevox(box.demo.supervisor_login, agent=False).sms.codes()
    assert {c.code for c in everything} == {c.code for c in box.world.sms_codes}
    assert len(everything) > len(mine)


@pytest.mark.parametrize("variant", ["message", "template"])
@pytest.mark.parametrize("login", ["agent", "user"])
async def test_livevox_sms_send(box: HttpSandbox, login: str, variant: str) -> None:
    """Agents send with `account` (from their own service); users send with `service_id`."""
    demo = box.demo
    customer = demo.customers[0] if login == "agent" else demo.customers[1]
    template = next(t for t in box.world.templates if t.sms_code == demo.sender_code)
    content: dict[str, Any] = (
        {"message": f"Transactional {login} text"} if variant == "message" else {"template_id": template.id}
    )
    if login == "agent":
        lv = box.livevox()
        sent = await lv.sms.send(
            demo.sender_code, customer.phone.lstrip("+"), account=customer.account, **content
        )
    else:
        lv = box.livevox(demo.supervisor_login, agent=False)
        sent = await lv.sms.send(
            demo.sender_code, customer.phone.lstrip("+"), service_id=demo.service_id, **content
        )
    (request,) = box.sent("/livevox/sms/", "POST")
    assert ("serviceId" in request.content.decode()) == (login == "user")

    text = content.get("message", template.message)
    recorded = next(m for m in box.world.lv_messages if m.id == str(sent.transaction_id))
    assert recorded.message == text and recorded.phone == customer.phone.lstrip("+")
    assert recorded.service_id == demo.service_id and recorded.direction == 2
    assert recorded.agent_id == (demo.agent_id if login == "agent" else None)
    assert recorded.template_id == (template.id if variant == "template" else None)
    # The send is the newest entry of the customer's history, as an agent sees it.
    newest = (await box.livevox().messages.history(account=customer.account))[0]
    assert str(newest.id) == str(sent.transaction_id) and newest.message == text and newest.inbound is False


# -- LiveVox: /sms/agent/ inbox


async def test_livevox_agent_channel_counts(box: HttpSandbox) -> None:
    demo = box.demo
    lv = box.livevox()
    personal = open_threads(box, owner=demo.agent_id)
    counts = await lv.agent.channel_counts(demo.agent_id)
    assert counts.count_of_active_sms_threads_in_personal_inbox == len(personal) > 0
    assert counts.count_of_unread_sms_threads_in_personal_inbox == sum(not t.read for t in personal)
    assert counts.count_of_read_sms_threads_in_personal_inbox == sum(t.read for t in personal)
    sent_before = counts.count_of_sms_interactions_sent
    assert sent_before == sum(m.agent_id == demo.agent_id and m.direction == 2 for m in box.world.lv_messages)

    customer = demo.customers[0]
    await lv.messages.send(demo.sender_code, customer.phone.lstrip("+"), "Counted", account=customer.account)
    after = await lv.agent.channel_counts(demo.agent_id)
    assert after.count_of_sms_interactions_sent == (sent_before or 0) + 1
    other = await lv.agent.channel_counts(demo.transfer_agent_id)
    assert other.count_of_active_sms_threads_in_personal_inbox == len(
        open_threads(box, owner=demo.transfer_agent_id)
    )


async def test_livevox_agent_channels(box: HttpSandbox) -> None:
    demo = box.demo
    agent = box.world.agents[demo.agent_id]
    channels = await box.livevox().agent.channels()
    sms = {(str(c.channel_id), c.personal): c for c in channels if c.channel == "SMS"}
    personal = sms[(str(demo.agent_id), True)]
    mine = open_threads(box, owner=demo.agent_id)
    assert personal.total_count == len(mine) and personal.unread_count == sum(not t.read for t in mine)
    assert {cid for cid, is_personal in sms if not is_personal} == ids(agent.service_ids)
    for service_id in agent.service_ids:
        group = open_threads(box, owner=None, service_id=service_id)
        assert sms[(str(service_id), False)].total_count == len(group)
    assert {c.channel for c in channels} >= {"SMS", "Email", "Voicemail"}


# -- LiveVox: threads


async def test_livevox_threads_list(box: HttpSandbox) -> None:
    """One page at a time (`pagination`, 1-based), personal and group inboxes."""
    demo = box.demo
    box.livevox_state.page_size = 3
    lv = box.livevox()
    group = open_threads(box, owner=None, service_id=demo.service_id)
    assert len(group) > 3
    first = await lv.threads.list(demo.service_id, "SMS", personal=False)
    second = await lv.threads.list(demo.service_id, "SMS", personal=False, pagination=2)
    past = await lv.threads.list(demo.service_id, "SMS", personal=False, pagination=10)
    assert [str(t.thread_id) for t in first + second] == [t.thread_id for t in group][:6]
    assert past == []
    assert all(str(t.channel_id) == str(demo.service_id) and t.channel == "SMS" for t in first)
    pages = [r.url.params.get("pagination") for r in box.sent(LV_THREADS)]
    assert pages == [None, "2", "10"]

    personal = await lv.threads.list(demo.agent_id, "SMS", personal=True)
    assert ids(t.thread_id for t in personal) == {
        t.thread_id for t in open_threads(box, owner=demo.agent_id)[:3]
    }
    assert all(str(t.channel_id) == str(demo.agent_id) for t in personal)
    assert any(t.contact_info is not None and t.contact_info.account for t in personal)


async def test_livevox_threads_list_all(box: HttpSandbox) -> None:
    demo = box.demo
    box.livevox_state.page_size = 3
    lv = box.livevox()
    group = open_threads(box, owner=None, service_id=demo.service_id)
    assert await inbox_ids(lv, demo.service_id, personal=False) == [t.thread_id for t in group]
    pages = [r.url.params.get("pagination") for r in box.sent(LV_THREADS)]
    assert pages == ["1", *(str(n) for n in range(2, len(group) // 3 + 3))]  # up to the first empty page
    personal = open_threads(box, owner=demo.agent_id)
    assert await inbox_ids(lv, demo.agent_id, personal=True) == [t.thread_id for t in personal]


async def test_livevox_threads_take(box: HttpSandbox) -> None:
    """A group thread taken by the agent shows in the personal inbox (and the counts), not in the group."""
    demo = box.demo
    lv = box.livevox()
    thread = demo_thread(box, 3, owner=None)
    before = await lv.agent.channel_counts(demo.agent_id)
    assert thread.thread_id not in await inbox_ids(lv, demo.agent_id, personal=True)
    await lv.threads.take(thread.thread_id, demo.agent_id)
    assert box.world.threads[thread.thread_id].owner_agent_id == demo.agent_id
    assert thread.thread_id in await inbox_ids(lv, demo.agent_id, personal=True)
    assert thread.thread_id not in await inbox_ids(lv, demo.service_id, personal=False)
    after = await lv.agent.channel_counts(demo.agent_id)
    assert after.count_of_active_sms_threads_in_personal_inbox == (
        (before.count_of_active_sms_threads_in_personal_inbox or 0) + 1
    )


async def test_livevox_threads_assign_to_group(box: HttpSandbox) -> None:
    demo = box.demo
    lv = box.livevox()
    thread = demo_thread(box, 0, owner=demo.agent_id)
    await lv.threads.assign_to_group(thread.thread_id)
    assert box.world.threads[thread.thread_id].owner_agent_id is None
    assert thread.thread_id not in await inbox_ids(lv, demo.agent_id, personal=True)
    assert thread.thread_id in await inbox_ids(lv, demo.service_id, personal=False)


async def test_livevox_threads_transfer(box: HttpSandbox) -> None:
    """A transferred thread leaves the agent's personal inbox and lands, unread, in the target's."""
    demo = box.demo
    lv = box.livevox()
    thread = demo_thread(box, 1, owner=demo.agent_id)
    result = await lv.threads.transfer(thread.thread_id, demo.transfer_agent_id)
    assert str(result.id) == thread.thread_id
    (request,) = box.sent("/livevox/sms/agent/thread/transfer", "GET")
    assert request.url.params["type"] == "SMS" and request.url.params["agentId"] == str(
        demo.transfer_agent_id
    )
    moved = box.world.threads[thread.thread_id]
    assert moved.owner_agent_id == demo.transfer_agent_id and not moved.read
    assert thread.thread_id not in await inbox_ids(lv, demo.agent_id, personal=True)
    target = box.livevox(demo.transfer_agent_login)
    theirs = await target.threads.list_all(demo.transfer_agent_id, "SMS", personal=True).collect()
    landed = next(t for t in theirs if str(t.thread_id) == thread.thread_id)
    assert landed.read is False


async def test_livevox_transfer_whose_answer_is_lost_is_outcome_unknown_not_repeated(
    box: HttpSandbox,
) -> None:
    # Transfer is a GET that moves the thread: repeating it after a lost answer would meet a thread that
    # already moved (409), so the caller must learn "outcome unknown" after exactly one request.
    demo = box.demo
    lv = box.livevox()
    await lv.sms.templates()  # log in first
    thread = demo_thread(box, 1, owner=demo.agent_id)
    box.injector("livevox").config = ProviderFaults(malformed_rate=1.0)  # handled, answer cut in half
    with pytest.raises(errors.ProviderError) as caught:
        await lv.threads.transfer(thread.thread_id, demo.transfer_agent_id)
    assert box.world.threads[thread.thread_id].owner_agent_id == demo.transfer_agent_id  # it did happen
    assert isinstance(caught.value, errors.OutcomeUnknown), f"{type(caught.value).__name__}: {caught.value}"
    assert len(box.sent("/livevox/sms/agent/thread/transfer")) == 1


async def test_livevox_threads_transfer_agents(box: HttpSandbox) -> None:
    demo = box.demo
    thread = demo_thread(box, 0, owner=demo.agent_id)
    agents = await box.livevox().threads.transfer_agents(thread.thread_id)
    expected = {
        a.agent_id
        for a in box.world.agents.values()
        if thread.service_id in a.service_ids and a.agent_id != demo.agent_id and a.status != "LOGGED_OFF"
    }
    assert ids(a.agent_id for a in agents) == ids(expected)
    assert str(demo.agent_id) not in ids(a.agent_id for a in agents)
    target = next(a for a in agents if str(a.agent_id) == str(demo.transfer_agent_id))
    assert target.login_id == demo.transfer_agent_login and target.name == demo.transfer_agent_name


async def test_livevox_threads_resolve(box: HttpSandbox) -> None:
    """A resolved thread leaves every inbox; resolving it again is refused (409)."""
    demo = box.demo
    lv = box.livevox()
    thread = demo_thread(box, 0, owner=demo.agent_id)
    await lv.threads.resolve(thread.thread_id, thread.account, term_code_id=7)
    resolved = box.world.threads[thread.thread_id]
    assert resolved.resolved and resolved.term_code_id == 7
    (request,) = box.sent("/livevox/sms/agent/thread/resolve", "POST")
    assert f'"agentEnteredAccount":"{thread.account}"' in request.content.decode().replace(" ", "")
    assert thread.thread_id not in await inbox_ids(lv, demo.agent_id, personal=True)
    counts = await lv.agent.channel_counts(demo.agent_id)
    assert counts.count_of_active_sms_threads_in_personal_inbox == len(open_threads(box, owner=demo.agent_id))
    with pytest.raises(errors.InvalidRequest) as caught:
        await lv.threads.resolve(thread.thread_id, thread.account)
    assert caught.value.status == 409
    assert len(box.sent("/livevox/sms/agent/thread/resolve")) == 2  # never repeated


# -- LiveVox: messages


async def test_livevox_messages_send(box: HttpSandbox) -> None:
    demo = box.demo
    lv = box.livevox()
    thread = demo_thread(box, 0, owner=demo.agent_id)
    customer = demo.customers[0]
    sent = await lv.messages.send(
        demo.sender_code,
        customer.phone.lstrip("+"),
        "Reply in thread",
        account=customer.account,
        thread_id=thread.thread_id,
    )
    assert box.world.threads[thread.thread_id].messages[-1].id == str(sent.id)
    newest = (await lv.messages.history(thread_id=thread.thread_id))[0]
    assert str(newest.id) == str(sent.id) and newest.message == "Reply in thread"
    assert str(newest.thread_id) == thread.thread_id and newest.inbound is False
    # Without a thread id the send joins the number's open thread in the agent's inbox.
    again = await lv.messages.send(
        demo.sender_code, customer.phone.lstrip("+"), "Second", account=customer.account
    )
    assert next(m for m in box.world.lv_messages if m.id == str(again.id)).thread_id == thread.thread_id


async def test_livevox_messages_mark_read(box: HttpSandbox) -> None:
    demo = box.demo
    lv = box.livevox()
    thread = next(t for t in open_threads(box, owner=demo.agent_id) if not t.read)
    before = await lv.agent.channel_counts(demo.agent_id)
    await lv.messages.mark_read(thread.thread_id, demo.agent_id)
    after = await lv.agent.channel_counts(demo.agent_id)
    assert after.count_of_unread_sms_threads_in_personal_inbox == (
        (before.count_of_unread_sms_threads_in_personal_inbox or 0) - 1
    )
    listed = await lv.threads.list_all(demo.agent_id, "SMS", personal=True).collect()
    assert next(t for t in listed if str(t.thread_id) == thread.thread_id).read is True


async def test_livevox_messages_mark_unread(box: HttpSandbox) -> None:
    demo = box.demo
    lv = box.livevox()
    thread = next(t for t in open_threads(box, owner=demo.agent_id) if t.read)
    before = await lv.agent.channel_counts(demo.agent_id)
    await lv.messages.mark_unread(thread.thread_id, demo.agent_id)
    after = await lv.agent.channel_counts(demo.agent_id)
    assert after.count_of_unread_sms_threads_in_personal_inbox == (
        (before.count_of_unread_sms_threads_in_personal_inbox or 0) + 1
    )
    listed = await lv.threads.list_all(demo.agent_id, "SMS", personal=True).collect()
    assert next(t for t in listed if str(t.thread_id) == thread.thread_id).status == "UNREAD"


def lv_history(box: HttpSandbox, *, account: str | None = None, thread_id: str | None = None) -> list[str]:
    messages = [
        m
        for m in box.world.lv_messages
        if (account is None or m.account == account) and (thread_id is None or m.thread_id == thread_id)
    ]
    return [m.id for m in sorted(messages, key=lambda m: (m.date, m.id), reverse=True)]


async def test_livevox_messages_history(box: HttpSandbox) -> None:
    """One page by account and by thread (`pagination` 1-based)."""
    demo = box.demo
    box.livevox_state.page_size = 5
    lv = box.livevox()
    account = demo.customers[0].account
    expected = lv_history(box, account=account)
    assert len(expected) > 10
    first = await lv.messages.history(account=account)
    third = await lv.messages.history(account=account, pagination=3)
    assert [str(m.id) for m in first] == expected[:5]
    assert [str(m.id) for m in third] == expected[10:15]
    assert {m.phone for m in first} == {demo.customers[0].phone.lstrip("+")}

    thread = demo_thread(box, 0, owner=demo.agent_id)
    by_thread = await lv.messages.history(thread_id=thread.thread_id)
    assert [str(m.id) for m in by_thread] == lv_history(box, thread_id=thread.thread_id)[:5]
    assert {str(m.thread_id) for m in by_thread} == {thread.thread_id}
    sent = [r.url.params for r in box.sent(LV_HISTORY)]
    assert [(p.get("account"), p.get("threadId"), p.get("pagination")) for p in sent] == [
        (account, None, None),
        (account, None, "3"),
        (None, thread.thread_id, None),
    ]


@pytest.mark.parametrize("by", ["account", "thread"])
async def test_livevox_messages_history_all(box: HttpSandbox, by: str) -> None:
    demo = box.demo
    box.livevox_state.page_size = 4
    lv = box.livevox()
    if by == "account":
        account = demo.customers[0].account
        expected = lv_history(box, account=account)
        pager = lv.messages.history_all(account=account)
    else:
        thread = demo_thread(box, 0, owner=demo.agent_id)
        expected = lv_history(box, thread_id=thread.thread_id)
        pager = lv.messages.history_all(thread_id=thread.thread_id)
    assert len(expected) > 4
    assert [str(m.id) for m in await pager.collect()] == expected
    assert len(box.sent(LV_HISTORY)) == -(-len(expected) // 4) + 1  # every page, then the empty one


# -- Zoom


async def test_zoom_token_fetch_is_one_request(box: HttpSandbox) -> None:
    zoom = box.zoom()
    await zoom.contact_center.sms.list(page_size=1).first_page()
    await zoom.contact_center.voice_calls.list(page_size=1).first_page()
    await zoom.phone.sms_sessions.list(page_size=1).first_page()
    (token,) = box.sent(ZOOM_TOKEN, "POST")
    assert token.headers["Authorization"].startswith("Basic ")
    assert (
        token.content.decode() == f"grant_type=account_credentials&account_id={credentials.ZOOM_ACCOUNT_ID}"
    )
    assert zoom.token_fetches == 1
    api = [r for r in box.requests if r.url.path != ZOOM_TOKEN]
    bearer = {r.headers["Authorization"] for r in api}
    assert len(api) == 3 and len(bearer) == 1
    assert bearer.pop().removeprefix("Bearer ") in box.app.state.zoom.tokens


async def test_zoom_contact_center_sms_list(box: HttpSandbox) -> None:
    demo = box.demo
    zoom = box.zoom()
    start, end = today(box) - timedelta(days=25), today(box)
    window = logs_between(box.world.cc_sms_logs, start, end)

    def expect(keep: Callable[[CcSmsLog], bool]) -> set[str]:
        found = {log.engagement_id for log in window if keep(log)}
        assert found  # every filter below matches something in the world
        return found

    foreign = await zoom.contact_center.sms.list(
        from_=start, to=end, country_iso_codes=["GB", "CA"], page_size=100
    ).collect()
    assert {log.engagement_id for log in foreign} == expect(lambda log: log.country_iso in ("GB", "CA"))
    assert box.requests[-1].url.params.get_list("country_iso_codes") == ["GB", "CA"]

    inbound = await zoom.contact_center.sms.list(
        from_=start, to=end, direction="inbound", page_size=100
    ).collect()
    assert {log.engagement_id for log in inbound} == expect(lambda log: log.direction == "inbound")

    agent = box.world.agents[demo.agent_id]
    handled = await zoom.contact_center.sms.list(from_=start, to=end, user_id=demo.zoom_user_id).collect()
    assert {log.engagement_id for log in handled} == expect(lambda log: agent in log.agents)

    phone = demo.customers[0].phone
    customer = await zoom.contact_center.sms.list(
        from_=start - timedelta(days=5), to=end, consumer_number=phone
    ).collect()
    wider = logs_between(box.world.cc_sms_logs, start - timedelta(days=5), end)
    assert {log.engagement_id for log in customer} == {
        log.engagement_id for log in wider if log.consumer_number == phone
    }
    assert customer and all(log.consumer_number == phone for log in customer)

    one = customer[0].engagement_id or ""
    only = await zoom.contact_center.sms.list(
        from_=start - timedelta(days=5), to=end, engagement_id=one
    ).collect()
    assert [log.engagement_id for log in only] == [one]


async def test_zoom_contact_center_voice_calls_list(box: HttpSandbox) -> None:
    demo = box.demo
    zoom = box.zoom()
    start, end = today(box) - timedelta(days=25), today(box)
    window: list[VoiceCall] = logs_between(box.world.voice_calls, start, end)
    billing = next(q for q in box.world.queues.values() if q.name == "Billing").queue_id
    queues = [demo.zoom_queue_id, billing]
    users = [demo.zoom_user_id, demo.transfer_zoom_user_id]
    types = ["external_callback_call", "external_conference_call"]

    by_queue = await zoom.contact_center.voice_calls.list(
        from_=start, to=end, queue_ids=queues, page_size=100
    ).collect()
    expected = {c.engagement_id for c in window if {q.queue_id for q in c.queues} & set(queues)}
    assert expected and {c.engagement_id for c in by_queue} == expected
    assert box.requests[-1].url.params.get_list("queue_ids") == queues

    by_user = await zoom.contact_center.voice_calls.list(
        from_=start, to=end, user_ids=users, page_size=100
    ).collect()
    expected = {c.engagement_id for c in window if any(a.zoom_user_id in users for a in c.agents)}
    assert expected and {c.engagement_id for c in by_user} == expected
    assert box.requests[-1].url.params.get_list("user_ids") == users

    by_type = await zoom.contact_center.voice_calls.list(
        from_=start, to=end, types=types, page_size=100
    ).collect()
    expected = {c.engagement_id for c in window if set(c.types) & set(types)}
    assert expected and {c.engagement_id for c in by_type} == expected
    assert all(set(c.types or []) & set(types) for c in by_type)
    assert box.requests[-1].url.params.get_list("types") == types

    combined = await zoom.contact_center.voice_calls.list(
        from_=start, to=end, queue_ids=queues, user_ids=users, types=["external_call"], direction="inbound"
    ).collect()
    expected = {
        c.engagement_id
        for c in window
        if {q.queue_id for q in c.queues} & set(queues)
        and any(a.zoom_user_id in users for a in c.agents)
        and "external_call" in c.types
        and c.direction == "inbound"
    }
    assert expected and {c.engagement_id for c in combined} == expected


async def test_zoom_phone_sms_sessions_list(box: HttpSandbox) -> None:
    """Sessions with one number (given in any format, sent as digits), one session per page here."""
    phone = box.demo.customers[1].phone  # +14155550101: a user session and a call-queue session lately
    zoom = box.zoom()
    start, end = today(box) - timedelta(days=20), today(box)
    sessions = await zoom.phone.sms_sessions.list(
        phone_number="+1 (415) 555-0101", from_=start, to=end, session_type="all", page_size=1
    ).collect()
    digits = phone.lstrip("+")
    lo = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    newest_first = sorted(
        box.world.phone_sessions.values(), key=lambda s: (s.last_access_time, s.session_id), reverse=True
    )
    expected = [
        s.session_id
        for s in newest_first
        if any(p.phone_number == digits for p in [s.owner, *s.others]) and s.last_access_time >= lo
    ]
    assert len(expected) == 2
    assert [s.session_id for s in sessions] == expected
    assert all(any(p.phone_number == digits for p in s.participants or []) for s in sessions)
    sent = box.sent("/zoom/v2/phone/sms/sessions")
    assert [r.url.params["phone_number"] for r in sent] == [digits, digits]
    assert "next_page_token" not in sent[0].url.params and sent[1].url.params["next_page_token"]

    users_only = await zoom.phone.sms_sessions.list(phone_number=phone, from_=start, to=end).collect()
    assert [s.session_id for s in users_only] == [
        s for s in expected if box.world.phone_sessions[s].session_type == "user"
    ]
    assert {s.session_type for s in users_only} == {"user"}


async def test_zoom_phone_sms_sessions_get(box: HttpSandbox) -> None:
    start, end = today(box) - timedelta(days=29), today(box)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    session = max(
        box.world.phone_sessions.values(),
        key=lambda s: sum(m.date_time >= lo for m in s.messages),
    )
    expected = [m for m in session.messages if m.date_time >= lo]
    assert len(expected) > 3
    zoom = box.zoom()
    newest_first = await zoom.phone.sms_sessions.get(
        session.session_id, from_=start, to=end, sort=2, page_size=3
    ).collect()
    order = sorted(expected, key=lambda m: (m.date_time, m.message_id), reverse=True)
    assert [m.message_id for m in newest_first] == [m.message_id for m in order]
    assert [m.message for m in newest_first] == [m.message for m in order]
    oldest_first = await zoom.phone.sms_sessions.get(
        session.session_id, from_=start, to=end, sort=1
    ).collect()
    assert [m.message_id for m in oldest_first] == [m.message_id for m in reversed(order)]
    sent = box.sent(f"/zoom/v2/phone/sms/sessions/{session.session_id}")
    assert sum("next_page_token" in r.url.params for r in sent) == (len(expected) - 1) // 3
    with pytest.raises(errors.NotFound):
        await zoom.phone.sms_sessions.get("no-such-session").collect()


@pytest.mark.parametrize("what", ["sms", "voice_calls"])
async def test_zoom_range_over_a_month_is_split_into_windows(box: HttpSandbox, what: str) -> None:
    """85 days go out as consecutive windows Zoom accepts, and together return exactly the world's records."""
    start, end = date(2024, 12, 20), date(2025, 3, 14)
    zoom = box.zoom()
    got: list[Any]
    records: list[Any]
    if what == "sms":
        got = await zoom.contact_center.sms.list(from_=start, to=end, page_size=100).collect()
        path, records = ZOOM_CC_SMS, box.world.cc_sms_logs
    else:
        got = await zoom.contact_center.voice_calls.list(from_=start, to=end, page_size=100).collect()
        path, records = ZOOM_VOICE, box.world.voice_calls
    expected = {r.engagement_id for r in logs_between(records, start, end)}
    assert len(got) == len(expected) and {r.engagement_id for r in got} == expected

    sent = box.sent(path)
    windows: list[tuple[str, str]] = []
    for request in sent:
        pair = (request.url.params["from"], request.url.params["to"])
        if not windows or windows[-1] != pair:
            windows.append(pair)
    assert windows == [(w.from_param, w.to_param) for w in month_windows(start, end)]
    assert len(windows) == 3
    days = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in windows]
    assert days[0][0] == start and days[-1][1] == end
    assert all((b - a).days <= 30 for a, b in days)
    assert all(nxt[0] == prev[1] + timedelta(days=1) for prev, nxt in itertools.pairwise(days))
    assert len(sent) > len(windows)  # pages within windows were followed too
    assert len(box.sent(ZOOM_TOKEN)) == 1


# -- Routee


async def test_routee_token_fetch_is_one_request(box: HttpSandbox) -> None:
    routee = box.routee()
    now = box.clock.now()
    await routee.tracking.list(date_start=now - timedelta(days=1), date_end=now, page_size=1).first_page()
    await routee.sms.send(body="Hello", to=box.demo.customers[0].phone, from_=box.demo.routee_sender)
    (token,) = box.sent(ROUTEE_TOKEN, "POST")
    assert token.headers["Authorization"].startswith("Basic ")
    assert token.content == b"grant_type=client_credentials"
    assert routee.token_fetches == 1
    bearer = {r.headers["Authorization"] for r in box.requests if r.url.path != ROUTEE_TOKEN}
    assert len(bearer) == 1 and bearer.pop().removeprefix("Bearer ") in box.app.state.routee.tokens


def tracked_parts(box: HttpSandbox, keep: Callable[[RouteeMessage], bool], days: int = 6) -> int:
    now = box.clock.now()
    return sum(
        len(m.sms_ids)
        for m in box.world.routee_messages
        if now - timedelta(days=days) <= m.created_at <= now and keep(m)
    )


async def test_routee_tracking_list(box: HttpSandbox) -> None:
    demo = box.demo
    routee = box.routee()
    now = box.clock.now()
    start = now - timedelta(days=6)

    everything = await routee.tracking.list(date_start=start, date_end=now, page_size=40).collect()
    assert len(everything) == tracked_parts(box, lambda m: True) > 40
    assert len({(s.sms_id, s.part) for s in everything}) == len(everything)
    pages = [r.url.params["page"] for r in box.sent(ROUTEE_TRACKING)]
    assert pages == [str(n) for n in range(len(pages))] and len(pages) == -(-len(everything) // 40)

    phone = demo.customers[1].phone
    cases: list[tuple[list[TrackingFilter], Callable[[RouteeMessage], bool]]] = [
        ([TrackingFilter(field_name="to", search_term=phone)], lambda m: m.to == phone),
        (
            [TrackingFilter(field_name="status.status", search_term="Delivered", operator="is_not")],
            lambda m: m.final_status != "Delivered",
        ),
        (
            [TrackingFilter(field_name="label", search_term="BIL", operator="starts_with")],
            lambda m: (m.label or "").startswith("bil"),
        ),
        (
            [
                TrackingFilter(field_name="to", search_term="555010", operator="contains"),
                TrackingFilter(field_name="label", search_term="er", operator="ends_with"),
            ],
            lambda m: "555010" in m.to and (m.label or "").endswith("er"),
        ),
    ]
    for filters, keep in cases:
        found = await routee.tracking.list(
            date_start=start, date_end=now, filters=filters, page_size=200
        ).collect()
        assert len(found) == tracked_parts(box, keep) > 0, filters
        body = box.requests[-1].content.decode()
        assert all(f'"fieldName":"{f.field_name}"' in body.replace(" ", "") for f in filters)

    campaign = await routee.tracking.list(
        date_start=start,
        date_end=now,
        campaign=demo.routee_campaign_id,
        only_campaign=True,
        sort="date,asc",
        page_size=200,
    ).collect()
    assert (
        len(campaign) == tracked_parts(box, lambda m: m.campaign_tracking_id == demo.routee_campaign_id) > 0
    )
    assert {s.campaign_tracking_id for s in campaign} == {demo.routee_campaign_id}
    created = [
        next(m.created_at for m in box.world.routee_messages if m.message_id == s.message_id)
        for s in campaign
    ]
    assert created == sorted(created)

    with pytest.raises(errors.InvalidArgument):  # older than 7 days: refused before any request
        await routee.tracking.list(date_start=now - timedelta(days=9), date_end=now).collect()


async def test_routee_sms_send(box: HttpSandbox) -> None:
    demo = box.demo
    routee = box.routee()
    label = f"ops-{box.transport}"
    sent = await routee.sms.send(
        body="Hello from the ops test", to=demo.customers[0].phone, from_=demo.routee_sender, label=label
    )
    assert sent.tracking_id and sent.status == "Queued" and sent.label == label
    recorded = next(m for m in box.world.routee_messages if m.message_id == sent.tracking_id)
    assert recorded.to == demo.customers[0].phone and recorded.sender == demo.routee_sender

    now = box.clock.now()
    mine = [TrackingFilter(field_name="label", search_term=label)]
    (tracked,) = await routee.tracking.list(
        date_start=now - timedelta(minutes=5), date_end=now, filters=mine
    ).collect()
    assert tracked.message_id == sent.tracking_id and tracked.to == demo.customers[0].phone
    assert tracked.status is not None and tracked.status.status == "Queued"
    box.clock.advance(minutes=1)
    later = box.clock.now()
    (done,) = await routee.tracking.list(
        date_start=now - timedelta(minutes=5), date_end=later, filters=mine
    ).collect()
    assert done.status is not None and done.status.status == "Delivered"  # demo numbers are delivered


# -- a dropped connection on a send: OutcomeUnknown, and the send reached the server exactly once


@pytest.mark.parametrize("operation", ["livevox.sms.send", "livevox.messages.send", "routee.sms.send"])
async def test_a_dropped_send_is_outcome_unknown_and_not_repeated(box: HttpSandbox, operation: str) -> None:
    demo = box.demo
    customer = demo.customers[0]
    provider = operation.split(".")[0]
    if provider == "livevox":
        lv = box.livevox()
        await lv.sms.templates()  # log in before the connection starts dropping
        history = len(box.world.lv_messages)
    else:
        routee = box.routee()
        now = box.clock.now()
        await routee.tracking.list(date_start=now - timedelta(days=1), date_end=now, page_size=1).first_page()
        history = len(box.world.routee_messages)
    injector = box.injector(provider)
    injector.config = ProviderFaults(drop_rate=1.0)  # from now on every request's connection is dropped
    served_before, recorded_before = injector.requests, len(box.requests)

    async def send() -> None:
        if operation == "livevox.sms.send":
            await lv.sms.send(
                demo.sender_code, customer.phone.lstrip("+"), message="Hi", account=customer.account
            )
        elif operation == "livevox.messages.send":
            await lv.messages.send(
                demo.sender_code, customer.phone.lstrip("+"), "Hi", account=customer.account
            )
        else:
            await routee.sms.send(body="Hi", to=customer.phone, from_=demo.routee_sender)

    def stored() -> int:
        return len(box.world.lv_messages) if provider == "livevox" else len(box.world.routee_messages)

    with pytest.raises(errors.OutcomeUnknown):
        await send()
    assert injector.requests - served_before == 1  # the server saw one request ...
    assert injector.injected == {"drop": 1}  # ... and dropped it
    assert len(box.requests) - recorded_before == 1  # the client sent it once and never again
    assert box.requests[-1].method == "POST"
    assert stored() == history  # dropped before the simulator handled it

    # The same client (and connection pool) sends normally once the connection behaves again.
    injector.config = ProviderFaults()
    await send()
    assert injector.requests - served_before == 2 and len(box.requests) - recorded_before == 2
    assert stored() == history + 1
