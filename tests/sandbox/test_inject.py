"""A customer texting in (`LiveVoxState.inject_inbound`, `POST /_sandbox/inject/inbound`), as the LiveVox
client sees it afterwards over real HTTP: a new unread thread in the group inbox, or the message appended
to the number's open thread, with the counts, direction, time and contact a seeded message has."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.providers import LiveVoxClient
from bot.providers.livevox.models import Channel, Thread
from bot.sandbox._common import epoch_ms
from bot.sandbox.control import INJECT_INBOUND_PATH
from bot.sandbox.livevox import INBOUND_LIMIT, Injected, InjectError
from bot.sandbox.world import LV_INBOUND
from tests.providers.sandbox_support import HttpSandbox, open_sandbox
from tests.sandbox.helpers import livevox_headers

NEWCOMER = "+14155550177"  # fictional, and not a contact of the seed-7 world (checked below)
CARE = "100915"  # the demo service's group inbox (Customer Care)


@pytest.fixture
async def box() -> AsyncIterator[HttpSandbox]:
    async with open_sandbox("uvicorn") as sandbox:
        yield sandbox


@pytest.fixture
async def lv(box: HttpSandbox) -> AsyncIterator[LiveVoxClient]:
    async with box.livevox() as client:  # the demo agent, JRIVERA (services 100915 and 100916)
        yield client


@pytest.fixture
async def raw(box: HttpSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the same server, for the JSON exactly as LiveVox's API answers it."""
    async with httpx.AsyncClient(base_url=box.base_url, timeout=10) as client:
        client.headers.update(await livevox_headers(client))
        yield client


def _inject(box: HttpSandbox, number: str, text: str, inbox: str = CARE) -> Injected:
    return box.livevox_state.inject_inbound(inbox=inbox, number=number, text=text)


def _channel(channels: list[Channel], channel_id: int | str) -> Channel:
    return next(c for c in channels if c.channel == "SMS" and str(c.channel_id) == str(channel_id))


async def _listed(lv: LiveVoxClient, channel_id: int | str, *, personal: bool) -> list[Thread]:
    return await lv.threads.list_all(channel_id, "SMS", personal=personal).collect()


async def test_a_new_number_opens_an_unread_thread_in_the_group_inbox(
    box: HttpSandbox, lv: LiveVoxClient
) -> None:
    assert NEWCOMER not in box.world.contacts
    before = _channel(await lv.agent.channels(), CARE)
    box.clock.advance(minutes=3)

    injected = _inject(box, NEWCOMER, "Hi, is anyone there?")

    assert injected.created and injected.inbox == CARE and injected.number == NEWCOMER
    assert injected.line() == f"thread {injected.thread_id} (new, unread)"
    after = _channel(await lv.agent.channels(), CARE)
    assert (after.unread_count, after.total_count) == (
        (before.unread_count or 0) + 1,
        (before.total_count or 0) + 1,
    )
    group = await _listed(lv, CARE, personal=False)
    newest = group[0]  # the list is newest first
    assert str(newest.thread_id) == injected.thread_id
    assert (newest.read, newest.status, newest.sms_inbound, newest.direction) == (False, "UNREAD", True, 1)
    assert newest.from_ == NEWCOMER.lstrip("+")
    assert newest.to == box.demo.sender_code  # the service's number the customer texted
    assert newest.date == epoch_ms(box.clock.now()) == newest.interaction_timestamp
    assert newest.contact_info is None and newest.account == ""  # LiveVox knows nothing of this number
    assert newest.replied is False
    history = await lv.messages.history(thread_id=injected.thread_id)
    assert [(str(m.id), m.message, m.inbound, m.phone, m.status) for m in history] == [
        (injected.message_id, "Hi, is anyone there?", True, NEWCOMER.lstrip("+"), LV_INBOUND)
    ]
    assert history[0].date == epoch_ms(box.clock.now())  # the time it came in
    assert str(history[0].thread_id) == injected.thread_id
    personal = await _listed(lv, box.demo.agent_id, personal=True)
    assert injected.thread_id not in {str(t.thread_id) for t in personal}


async def test_the_next_message_of_that_number_appends_to_its_thread(
    box: HttpSandbox, lv: LiveVoxClient
) -> None:
    first = _inject(box, NEWCOMER, "Hello?")
    await lv.messages.mark_read(first.thread_id, CARE)
    read = _channel(await lv.agent.channels(), CARE)
    box.clock.advance(seconds=40)

    second = _inject(box, "(415) 555-0177", "Hello??")  # the same number, written another way

    assert (second.created, second.thread_id) == (False, first.thread_id)
    assert second.line() == f"thread {first.thread_id} (appended, unread)"
    after = _channel(await lv.agent.channels(), CARE)
    assert after.total_count == read.total_count  # no new thread
    assert after.unread_count == (read.unread_count or 0) + 1  # it is unread again
    history = await lv.messages.history(thread_id=first.thread_id)
    assert [m.message for m in history] == ["Hello??", "Hello?"]  # newest first, as LiveVox lists them
    assert history[0].occurred_at is not None and history[1].occurred_at is not None
    assert (history[0].occurred_at - history[1].occurred_at).total_seconds() == pytest.approx(40, abs=1)


async def test_a_known_customer_joins_their_open_thread_in_a_personal_inbox(
    box: HttpSandbox, lv: LiveVoxClient
) -> None:
    james = box.demo.customers[1]  # an open, read thread in the demo agent's personal inbox
    held = next(
        t
        for t in box.world.threads.values()
        if t.phone == james.phone and not t.resolved and t.owner_agent_id == box.demo.agent_id
    )
    assert held.read
    before = _channel(await lv.agent.channels(), box.demo.agent_id)
    group_before = _channel(await lv.agent.channels(), CARE)

    injected = _inject(box, james.phone, "Can you call me back?")

    assert (injected.created, injected.thread_id) == (False, held.thread_id)
    channels = await lv.agent.channels()
    assert _channel(channels, box.demo.agent_id).unread_count == (before.unread_count or 0) + 1
    assert _channel(channels, CARE).total_count == group_before.total_count  # it stays where it is
    mine = await _listed(lv, box.demo.agent_id, personal=True)
    assert str(mine[0].thread_id) == held.thread_id and mine[0].read is False
    assert mine[0].contact_info is not None and mine[0].contact_info.first_name == james.first_name
    assert mine[0].account == james.account
    counts = await lv.agent.channel_counts(box.demo.agent_id)
    assert (
        counts.count_of_unread_sms_threads_in_personal_inbox
        == _channel(channels, box.demo.agent_id).unread_count
    )


async def test_a_taken_thread_gets_the_customers_next_message_and_a_resolved_one_does_not(
    box: HttpSandbox, lv: LiveVoxClient
) -> None:
    first = _inject(box, NEWCOMER, "I need help with my bill")
    await lv.threads.take(first.thread_id, box.demo.agent_id)
    again = _inject(box, NEWCOMER, "Still there?")
    assert (again.created, again.thread_id) == (False, first.thread_id)
    mine = await _listed(lv, box.demo.agent_id, personal=True)
    assert str(mine[0].thread_id) == first.thread_id and mine[0].read is False

    await lv.threads.resolve(first.thread_id, "880177")
    later = _inject(box, NEWCOMER, "One more question")
    assert later.created and later.thread_id != first.thread_id
    group = await _listed(lv, CARE, personal=False)
    assert str(group[0].thread_id) == later.thread_id


async def test_injected_json_has_the_shape_of_seeded_json(box: HttpSandbox, raw: httpx.AsyncClient) -> None:
    injected = _inject(box, box.demo.customers[3].phone, "START")  # an open group-inbox thread
    threads = await raw.get("/livevox/sms/agent/thread/details", params={"channelId": CARE, "channel": "SMS"})
    listed = threads.json()
    mine = next(t for t in listed if t["threadId"] == injected.thread_id)
    seeded = [t for t in listed if t["threadId"] != injected.thread_id and "contactInfo" in t]
    assert seeded and all(set(t) == set(mine) for t in seeded)
    history = (await raw.get("/livevox/sms/agent/messages", params={"threadId": injected.thread_id})).json()
    newest, older = history[0], history[1:]
    assert newest["id"] == injected.message_id and newest["direction"] == "1"
    seeded_inbound = [m for m in older if m["direction"] == "1"]
    assert seeded_inbound and all(set(m) == set(newest) for m in seeded_inbound)
    assert {m["status"] for m in seeded_inbound} == {newest["status"]}
    assert newest["smsCode"] == seeded_inbound[0]["smsCode"] and newest["phone"] == seeded_inbound[0]["phone"]


@pytest.mark.parametrize(
    ("inbox", "number", "text", "reason"),
    [
        ("999", NEWCOMER, "hi", "unknown inbox '999'"),
        ("700101", NEWCOMER, "hi", "unknown inbox '700101'"),  # an agent's personal inbox: nobody texts it
        ("Customer Care", NEWCOMER, "hi", "unknown inbox 'Customer Care'"),
        (CARE, "not a number", "hi", "is not a phone number"),
        (CARE, "12", "hi", "does not look like a complete phone number"),
        (CARE, "", "hi", "Please give a phone number"),
        (CARE, NEWCOMER, "", "the text is empty"),
        (CARE, NEWCOMER, " \n ", "the text is empty"),
        (CARE, NEWCOMER, "x" * (INBOUND_LIMIT + 1), f"LiveVox takes at most {INBOUND_LIMIT}"),
    ],
)
def test_refusals_say_why_in_one_line_and_change_nothing(
    box: HttpSandbox, inbox: str, number: str, text: str, reason: str
) -> None:
    threads, messages = len(box.world.threads), len(box.world.lv_messages)
    with pytest.raises(InjectError) as refused:
        _inject(box, number, text, inbox)
    assert reason in str(refused.value) and "\n" not in str(refused.value)
    assert (len(box.world.threads), len(box.world.lv_messages)) == (threads, messages)


def test_a_text_at_the_limit_is_taken(box: HttpSandbox) -> None:
    assert _inject(box, NEWCOMER, "y" * INBOUND_LIMIT).created


# ------------------------------------------------------------------------------ the control endpoint
async def _post(box: HttpSandbox, body: Any) -> httpx.Response:
    return await box.http.post(box.base_url + INJECT_INBOUND_PATH, json=body)


async def test_the_endpoint_answers_201_for_a_new_thread_and_200_for_an_appended_message(
    box: HttpSandbox, lv: LiveVoxClient
) -> None:
    created = await _post(box, {"from": NEWCOMER, "inbox": CARE, "text": "Hi"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created"] is True and body["inbox"] == CARE and body["from"] == NEWCOMER
    assert body["date"] == epoch_ms(box.clock.now())
    appended = await _post(box, {"from": NEWCOMER, "inbox": int(CARE), "text": "Hi again"})
    assert appended.status_code == 200, appended.text
    assert appended.json()["threadId"] == body["threadId"] and appended.json()["created"] is False
    history = await lv.messages.history(thread_id=body["threadId"])
    assert [str(m.id) for m in history] == [appended.json()["messageId"], body["messageId"]]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([NEWCOMER, CARE, "hi"], "must be a JSON object"),
        ({"inbox": CARE, "text": "hi"}, "from is required"),
        ({"from": NEWCOMER, "inbox": True, "text": "hi"}, "inbox is required"),
        ({"from": NEWCOMER, "inbox": CARE}, "text is required"),
        ({"from": NEWCOMER, "inbox": "1", "text": "hi"}, "unknown inbox '1'"),
        ({"from": "hello", "inbox": CARE, "text": "hi"}, "is not a phone number"),
        ({"from": NEWCOMER, "inbox": CARE, "text": ""}, "the text is empty"),
        ({"from": NEWCOMER, "inbox": CARE, "text": "z" * 1601}, "at most 1600"),
    ],
)
async def test_the_endpoint_refuses_bad_input_with_400_and_a_reason(
    box: HttpSandbox, body: Any, reason: str
) -> None:
    threads = len(box.world.threads)
    response = await _post(box, body)
    assert response.status_code == 400
    assert reason in response.json()["error"] and "\n" not in response.json()["error"]
    assert len(box.world.threads) == threads


async def test_provider_faults_do_not_reach_the_control_endpoint() -> None:
    async with open_sandbox("uvicorn", faults="livevox:error_rate=1") as box:
        response = await _post(box, {"from": NEWCOMER, "inbox": CARE, "text": "Hi"})
        assert response.status_code == 201, response.text
        assert box.world.threads[response.json()["threadId"]].read is False
