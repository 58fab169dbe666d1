"""LiveVox simulator: login and sessions, every documented method and variant, stateful inboxes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox import credentials
from bot.sandbox.app import create_app
from bot.sandbox.clock import FakeClock
from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import START, livevox_headers, make_client

LV = "/livevox"
AGENT = DEMO.agent_id
OTHER = DEMO.transfer_agent_id


def login_body(user: str = DEMO.agent_login, agent: bool = True, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "clientName": credentials.LIVEVOX_CLIENT_NAME,
        "userName": user,
        "password": credentials.LIVEVOX_PASSWORD,
        "agent": agent,
    }
    body.update(overrides)
    return body


async def personal(client: httpx.AsyncClient, headers: dict[str, str], agent_id: int = AGENT) -> list[dict]:  # type: ignore[type-arg]
    params: dict[str, Any] = {"channelId": agent_id, "personal": "true", "channel": "SMS"}
    response = await client.get(f"{LV}/sms/agent/thread/details", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict] = response.json()  # type: ignore[type-arg]
    return body


async def group(
    client: httpx.AsyncClient, headers: dict[str, str], service_id: int = DEMO.service_id
) -> list[dict]:  # type: ignore[type-arg]
    params: dict[str, Any] = {"channelId": service_id, "personal": "false", "channel": "SMS"}
    response = await client.get(f"{LV}/sms/agent/thread/details", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict] = response.json()  # type: ignore[type-arg]
    return body


# ---- login and sessions ---------------------------------------------------------------------------


async def test_agent_login(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{LV}/session/login", headers={"LV-Access": credentials.LIVEVOX_ACCESS_TOKEN}, json=login_body()
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"sessionId", "userId", "clientId", "daysUntilPasswordExpires"}
    assert body["userId"] == AGENT


async def test_versioned_paths_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{LV}/session/v5.0/login", headers={"LV-Access": credentials.LIVEVOX_ACCESS_TOKEN}, json=login_body()
    )
    assert response.status_code == 200
    headers = {"LV-Session": response.json()["sessionId"]}
    assert (await client.get(f"{LV}/sms/v5.0/templates", headers=headers)).status_code == 200
    assert (await client.get(f"{LV}/sms/v6/codes", headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("access", "body", "status"),
    [
        (None, login_body(), 401),
        ("wrong", login_body(), 401),
        (credentials.LIVEVOX_ACCESS_TOKEN, login_body(password="nope"), 401),
        (credentials.LIVEVOX_ACCESS_TOKEN, login_body(clientName="OTHER"), 401),
        (credentials.LIVEVOX_ACCESS_TOKEN, login_body(user="NOBODY"), 401),
        (credentials.LIVEVOX_ACCESS_TOKEN, login_body(agent=False), 401),  # agent login as a user
        (credentials.LIVEVOX_ACCESS_TOKEN, login_body(user=DEMO.supervisor_login, agent=True), 401),
        (credentials.LIVEVOX_ACCESS_TOKEN, {"clientName": "SANDBOX"}, 400),
    ],
)
async def test_login_failures(
    client: httpx.AsyncClient, access: str | None, body: object, status: int
) -> None:
    headers = {"LV-Access": access} if access else {}
    response = await client.post(f"{LV}/session/login", headers=headers, json=body)
    assert response.status_code == status
    assert set(response.json()) == {"code", "message"} and response.json()["code"] == status


async def test_calls_need_a_live_session(client: httpx.AsyncClient, clock: FakeClock) -> None:
    assert (await client.get(f"{LV}/sms/templates")).status_code == 401
    assert (await client.get(f"{LV}/sms/templates", headers={"LV-Session": "made-up"})).status_code == 401
    headers = await livevox_headers(client)
    # Rolling inactivity: used every 90 minutes, the session lives on.
    for _ in range(3):
        clock.advance(minutes=90)
        assert (await client.get(f"{LV}/sms/templates", headers=headers)).status_code == 200
    clock.advance(hours=2, seconds=1)
    expired = await client.get(f"{LV}/sms/templates", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["message"]


async def test_user_sessions_cannot_use_agent_methods(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client, DEMO.supervisor_login, agent=False)
    assert (await client.get(f"{LV}/sms/templates", headers=headers)).status_code == 200
    for method, path in [
        ("GET", "/sms/agent/channel"),
        ("GET", f"/sms/agent/interaction/counts/{AGENT}"),
        ("GET", f"/sms/agent/thread/details?channelId={DEMO.service_id}&channel=SMS"),
        ("POST", "/sms/agent/message/send"),
    ]:
        response = await client.request(method, LV + path, headers=headers, json={})
        assert response.status_code == 403, path


# ---- templates, codes, send -----------------------------------------------------------------------


async def test_templates_and_codes(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    templates = (await client.get(f"{LV}/sms/templates", headers=headers)).json()["templates"]
    assert templates and all({"id", "message", "smsCode", "optInFlag"} <= set(t) for t in templates)
    assert all(t["optInFlag"] is False and isinstance(t["id"], int) for t in templates)
    codes = (await client.get(f"{LV}/sms/codes", headers=headers)).json()["listSmsCodes"]
    assert {"code": DEMO.sender_code, "description": "Long_Code"} in codes


async def test_agent_send_sms_needs_account_and_no_service(client: httpx.AsyncClient, world: World) -> None:
    headers = await livevox_headers(client)
    customer = DEMO.customers[1]
    body = {
        "from": DEMO.sender_code,
        "to": customer.phone[2:],
        "body": {"message": "Hello"},
        "account": customer.account,
    }
    response = await client.post(f"{LV}/sms/", headers=headers, json=body)
    assert response.status_code == 200
    transaction = response.json()["transactionId"]
    assert isinstance(transaction, int)
    with_service = await client.post(
        f"{LV}/sms/", headers=headers, json={**body, "serviceId": DEMO.service_id}
    )
    assert with_service.status_code == 400
    no_account = {k: v for k, v in body.items() if k != "account"}
    assert (await client.post(f"{LV}/sms/", headers=headers, json=no_account)).status_code == 400
    # It shows up in the number's history (by account and in its open thread).
    history = (
        await client.get(f"{LV}/sms/agent/messages", params={"account": customer.account}, headers=headers)
    ).json()
    assert history[0]["id"] == str(transaction) and history[0]["message"] == "Hello"
    assert history[0]["direction"] == "2" and history[0]["phone"] == customer.phone[1:]


async def test_user_send_sms_with_template(client: httpx.AsyncClient, world: World) -> None:
    headers = await livevox_headers(client, DEMO.supervisor_login, agent=False)
    body = {
        "from": DEMO.sender_code,
        "to": "+14155550100",
        "serviceId": str(DEMO.service_id),
        "body": {"templateId": "75959"},
    }
    response = await client.post(f"{LV}/sms", headers=headers, json=body)
    assert response.status_code == 200
    sent = next(m for m in world.lv_messages if m.id == str(response.json()["transactionId"]))
    assert sent.template_id == 75959 and sent.message.startswith("Your payment is due")
    assert sent.account == DEMO.customers[0].account and sent.thread_id is not None
    no_service = {k: v for k, v in body.items() if k != "serviceId"}
    assert (await client.post(f"{LV}/sms/", headers=headers, json=no_service)).status_code == 400


@pytest.mark.parametrize(
    "content",
    [{}, {"message": "hi", "templateId": 75870}, {"message": ""}, {"templateId": None}],
)
async def test_exactly_one_of_message_and_template(
    client: httpx.AsyncClient, content: dict[str, object]
) -> None:
    headers = await livevox_headers(client)
    body = {"from": DEMO.sender_code, "to": "4155550100", "account": "880100", "body": content}
    response = await client.post(f"{LV}/sms/", headers=headers, json=body)
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "message": "Exactly one of body.message and body.templateId must be present.",
    }


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"from": "19995550000"}, 400),
        ({"to": "12"}, 400),
        ({"body": {"templateId": 1}}, 404),
        ({"from": None}, 400),
    ],
)
async def test_send_validation(client: httpx.AsyncClient, overrides: dict[str, object], status: int) -> None:
    headers = await livevox_headers(client)
    body = {
        "from": DEMO.sender_code,
        "to": "4155550100",
        "account": "880100",
        "body": {"message": "x"},
        **overrides,
    }
    assert (await client.post(f"{LV}/sms/", headers=headers, json=body)).status_code == status


async def test_sends_to_flagged_numbers_are_recorded_as_blocked(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await livevox_headers(client)
    for phone, status in [
        (DEMO.dnc_number, "SMS MT Blocked (DNC)"),
        (DEMO.opted_out_number, "SMS MT Blocked (Opt-Out)"),
    ]:
        body = {"from": DEMO.sender_code, "to": phone, "account": "1", "body": {"message": "x"}}
        transaction = (await client.post(f"{LV}/sms/", headers=headers, json=body)).json()["transactionId"]
        assert next(m for m in world.lv_messages if m.id == str(transaction)).status == status


async def test_a_sends_delivery_record_arrives_a_moment_later_in_the_history(
    world: World, clock: FakeClock
) -> None:
    """An agent's send shows "SMS MT Sent" at first, then its delivery record: blocked for an opted-out
    or Do-Not-Contact number, delivered for a clean one (the statuses LiveVox's history reports)."""
    app = create_app(world=world, clock=clock, delivery_delay=timedelta(minutes=1))
    async with make_client(app, clock) as client:
        await _delivery_records(client, clock)


async def _delivery_records(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await livevox_headers(client)
    sent: dict[str, str] = {}
    for phone in (DEMO.opted_out_number, DEMO.dnc_number, DEMO.phone_numbers[0]):
        body = {"fromNumber": DEMO.sender_code, "toNumber": phone.lstrip("+"), "message": "Hello"}
        answer = await client.post(f"{LV}/sms/agent/message/send", headers=headers, json=body)
        sent[phone] = answer.json()["id"]

    async def status(phone: str) -> str:
        digits = phone.lstrip("+")
        threads = [
            t
            for channel in (str(AGENT), str(DEMO.service_id))
            for t in (
                await client.get(
                    f"{LV}/sms/agent/thread/details",
                    params={
                        "channelId": channel,
                        "personal": str(channel == str(AGENT)).lower(),
                        "channel": "SMS",
                    },
                    headers=headers,
                )
            ).json()
            if digits in (t["to"], t["from"])
        ]
        for thread in threads:
            history = await client.get(
                f"{LV}/sms/agent/messages", params={"threadId": thread["threadId"]}, headers=headers
            )
            for message in history.json():
                if message["id"] == sent[phone]:
                    return str(message["status"])
        raise AssertionError(f"{phone} not in its threads' history")

    assert {await status(p) for p in sent} == {"SMS MT Sent"}
    clock.advance(minutes=1)
    assert await status(DEMO.opted_out_number) == "SMS MT Blocked (Opt-Out)"
    assert await status(DEMO.dnc_number) == "SMS MT Blocked (DNC)"
    assert await status(DEMO.phone_numbers[0]) == "SMS MT Delivered"


# ---- inbox ----------------------------------------------------------------------------------------


async def test_channels_and_counts(client: httpx.AsyncClient, world: World) -> None:
    headers = await livevox_headers(client)
    channels = (await client.get(f"{LV}/sms/agent/channel", headers=headers)).json()
    mine = next(c for c in channels if c["channel"] == "SMS" and c["personal"])
    assert mine["channelId"] == str(AGENT)
    threads = await personal(client, headers)
    assert mine["totalCount"] == len(threads)
    assert mine["unreadCount"] == sum(1 for t in threads if not t["read"]) > 0
    assert any(c["channelId"] == str(DEMO.service_id) and not c["personal"] for c in channels)
    counts = (await client.get(f"{LV}/sms/agent/interaction/counts/{AGENT}", headers=headers)).json()
    assert counts["countOfUnreadSMSThreadsInPersonalInbox"] == mine["unreadCount"]
    assert counts["countOfActiveSMSThreadsInPersonalInbox"] == mine["totalCount"]
    assert counts["countOfReadSMSThreadsInPersonalInbox"] == mine["totalCount"] - mine["unreadCount"]
    assert (await client.get(f"{LV}/sms/agent/interaction/counts/1", headers=headers)).status_code == 404


async def test_thread_details_both_paths_and_contact_info(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    params: dict[str, Any] = {"channelId": AGENT, "personal": "true", "channel": "SMS", "pagination": 1}
    a = (await client.get(f"{LV}/sms/agent/thread/details", params=params, headers=headers)).json()
    b = (await client.get(f"{LV}/agent/thread/details", params=params, headers=headers)).json()
    assert a == b and a
    info = a[0]["contactInfo"]
    for key in ("dnc", "wireless", "number"):
        assert key in info["phoneDetails"][0]
    for key in ("doNotDial", "doNotDialDaily", "smsOptInStatus", "ssn", "dob", "originalAccountNumber"):
        assert key in info
    past_end = (
        await client.get(
            f"{LV}/sms/agent/thread/details", params={**params, "pagination": 99}, headers=headers
        )
    ).json()
    assert past_end == []
    bad = await client.get(
        f"{LV}/sms/agent/thread/details", params={**params, "pagination": 0}, headers=headers
    )
    assert bad.status_code == 400
    missing = await client.get(f"{LV}/sms/agent/thread/details", params={"channel": "SMS"}, headers=headers)
    assert missing.status_code == 400
    other = await client.get(
        f"{LV}/sms/agent/thread/details",
        params={"channelId": OTHER, "personal": "true", "channel": "SMS"},
        headers=headers,
    )
    assert other.status_code == 403


async def test_thread_pagination_covers_the_group_inbox_once(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock)
    app.state.livevox.page_size = 2
    async with make_client(app, clock) as client:
        headers = await livevox_headers(client)
        seen: list[str] = []
        for page in range(1, 50):
            params: dict[str, Any] = {
                "channelId": DEMO.service_id,
                "personal": "false",
                "channel": "SMS",
                "pagination": page,
            }
            chunk = (
                await client.get(f"{LV}/sms/agent/thread/details", params=params, headers=headers)
            ).json()
            if not chunk:
                break
            seen += [t["threadId"] for t in chunk]
    expected = [
        t
        for t in world.threads.values()
        if t.owner_agent_id is None and t.service_id == DEMO.service_id and not t.resolved
    ]
    assert sorted(seen) == sorted(t.thread_id for t in expected) and len(seen) == len(set(seen)) > 2


async def test_take_release_transfer_resolve(client: httpx.AsyncClient, world: World) -> None:
    headers = await livevox_headers(client)
    other_headers = await livevox_headers(client, DEMO.transfer_agent_login)
    thread_id = (await group(client, headers))[0]["threadId"]

    # Take it: group → my personal inbox.
    take = await client.put(
        f"{LV}/sms/agent/thread/switchGroup/private",
        params={"threadId": thread_id, "channelId": AGENT},
        headers=headers,
    )
    assert take.status_code == 204 and take.content == b""
    assert thread_id in [t["threadId"] for t in await personal(client, headers)]
    assert thread_id not in [t["threadId"] for t in await group(client, headers)]
    # The other agent cannot take it now.
    steal = await client.put(
        f"{LV}/sms/agent/thread/switchGroup/private",
        params={"threadId": thread_id, "channelId": OTHER},
        headers=other_headers,
    )
    assert steal.status_code == 409

    # Release it: personal → group.
    release = await client.put(
        f"{LV}/sms/agent/thread/switchGroup/public", params={"threadId": thread_id}, headers=headers
    )
    assert release.status_code == 204
    assert thread_id in [t["threadId"] for t in await group(client, headers)]

    # Transfer agents, as GET and as POST.
    candidates = (
        await client.get(f"{LV}/sms/agent/search", params={"threadId": thread_id}, headers=headers)
    ).json()
    assert OTHER in [c["agentId"] for c in candidates] and AGENT not in [c["agentId"] for c in candidates]
    assert all({"agentId", "loginId", "name", "status"} <= set(c) for c in candidates)
    posted = await client.post(f"{LV}/sms/agent/search", params={"threadId": thread_id}, headers=headers)
    assert posted.json() == candidates

    # Transfer: it moves to the other agent's personal inbox, unread.
    moved = await client.get(
        f"{LV}/sms/agent/thread/transfer",
        params={"threadId": thread_id, "type": "SMS", "agentId": OTHER},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.json() == {"id": thread_id}
    theirs = await personal(client, other_headers, OTHER)
    assert next(t for t in theirs if t["threadId"] == thread_id)["read"] is False
    assert thread_id not in [t["threadId"] for t in await group(client, headers)]

    # Resolve (by its new owner): it leaves every inbox.
    account = world.threads[thread_id].account
    resolved = await client.post(
        f"{LV}/sms/agent/thread/resolve",
        json={"threadId": thread_id, "account": account, "agentEnteredAccount": account, "termCodeId": 12},
        headers=other_headers,
    )
    assert resolved.status_code == 204
    assert thread_id not in [t["threadId"] for t in await personal(client, other_headers, OTHER)]
    again = await client.post(
        f"{LV}/sms/agent/thread/resolve",
        json={"threadId": thread_id, "account": account, "agentEnteredAccount": account},
        headers=other_headers,
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("PUT", "/sms/agent/thread/switchGroup/public", {"threadId": "1"}),
        ("PUT", "/sms/agent/thread/switchGroup/private", {"threadId": "1", "channelId": AGENT}),
        ("GET", "/sms/agent/thread/transfer", {"threadId": "1", "type": "SMS", "agentId": OTHER}),
        ("GET", "/sms/agent/search", {"threadId": "1"}),
        ("PUT", "/sms/agent/message/markAsRead", {"threadId": "1", "channelId": DEMO.service_id}),
        ("GET", "/sms/agent/messages", {"threadId": "1"}),
    ],
)
async def test_unknown_thread_is_404(
    client: httpx.AsyncClient, method: str, path: str, params: dict[str, Any]
) -> None:
    headers = await livevox_headers(client)
    response = await client.request(method, LV + path, params=params, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == 404 and "1" in response.json()["message"]


async def test_transfer_validation(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    thread_id = (await personal(client, headers))[0]["threadId"]
    url = f"{LV}/sms/agent/thread/transfer"
    assert (
        await client.get(url, params={"threadId": thread_id, "type": "SMS", "agentId": 1}, headers=headers)
    ).status_code == 404
    assert (
        await client.get(url, params={"threadId": thread_id, "agentId": OTHER}, headers=headers)
    ).status_code == 400
    assert (
        await client.get(
            url, params={"threadId": thread_id, "type": "SMS", "agentId": AGENT}, headers=headers
        )
    ).status_code == 400


async def test_resolve_requires_accounts(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    thread_id = (await personal(client, headers))[0]["threadId"]
    response = await client.post(
        f"{LV}/sms/agent/thread/resolve", json={"threadId": thread_id}, headers=headers
    )
    assert response.status_code == 400


async def test_mark_read_and_unread_change_counts(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)

    async def unread() -> int:
        counts = (await client.get(f"{LV}/sms/agent/interaction/counts/{AGENT}", headers=headers)).json()
        value: int = counts["countOfUnreadSMSThreadsInPersonalInbox"]
        return value

    before = await unread()
    thread = next(t for t in await personal(client, headers) if not t["read"])
    params: dict[str, Any] = {"threadId": thread["threadId"], "channelId": DEMO.service_id}
    assert (
        await client.put(f"{LV}/sms/agent/message/markAsRead", params=params, headers=headers)
    ).status_code == 204
    assert await unread() == before - 1
    assert (
        next(t for t in await personal(client, headers) if t["threadId"] == thread["threadId"])["status"]
        == "READ"
    )
    # Mark Unread: PUT (method line) and GET (example) both work.
    assert (
        await client.put(f"{LV}/sms/agent/message/markAsUnread", params=params, headers=headers)
    ).status_code == 204
    assert await unread() == before
    await client.put(f"{LV}/sms/agent/message/markAsRead", params=params, headers=headers)
    assert (
        await client.get(f"{LV}/sms/agent/message/markAsUnread", params=params, headers=headers)
    ).status_code == 204
    assert await unread() == before
    no_channel = await client.put(
        f"{LV}/sms/agent/message/markAsRead", params={"threadId": thread["threadId"]}, headers=headers
    )
    assert no_channel.status_code == 400


async def test_agent_message_send_appends_to_thread_and_history(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    thread = (await personal(client, headers))[0]
    body = {
        "fromNumber": DEMO.sender_code,
        "toNumber": thread["contactInfo"]["phoneDetails"][0]["number"][1:],
        "message": "On it!",
        "account": thread["account"],
        "threadId": int(thread["threadId"]),
    }
    response = await client.post(f"{LV}/sms/agent/message/send", json=body, headers=headers)
    assert response.status_code == 200
    message_id = response.json()["id"]
    assert isinstance(message_id, str)
    for path in ("/sms/agent/messages", "/sms/agent/messages/"):
        history = (
            await client.get(LV + path, params={"threadId": thread["threadId"]}, headers=headers)
        ).json()
        assert history[0]["id"] == message_id and history[0]["message"] == "On it!"
        assert history[0]["direction"] == "2" and history[0]["smsCode"] == DEMO.sender_code
    updated = next(t for t in await personal(client, headers) if t["threadId"] == thread["threadId"])
    assert updated["replied"] is True and updated["txnId"] == message_id
    counts = (await client.get(f"{LV}/sms/agent/interaction/counts/{AGENT}", headers=headers)).json()
    assert counts["countOfSMSInteractionsSent"] >= 1

    missing = {k: v for k, v in body.items() if k != "message"}
    assert (
        await client.post(f"{LV}/sms/agent/message/send", json=missing, headers=headers)
    ).status_code == 400
    bad_from = {**body, "fromNumber": "19995550000"}
    assert (
        await client.post(f"{LV}/sms/agent/message/send", json=bad_from, headers=headers)
    ).status_code == 400


async def test_history_needs_account_or_thread_and_pages(client: httpx.AsyncClient, world: World) -> None:
    headers = await livevox_headers(client)
    assert (await client.get(f"{LV}/sms/agent/messages", headers=headers)).status_code == 400
    account = DEMO.customers[0].account
    first = (
        await client.get(f"{LV}/sms/agent/messages", params={"account": account}, headers=headers)
    ).json()
    total = sum(1 for m in world.lv_messages if m.account == account)
    assert len(first) == min(total, 25)
    dates = [m["date"] for m in first]
    assert dates == sorted(dates, reverse=True)
    page_99 = await client.get(
        f"{LV}/sms/agent/messages", params={"account": account, "pagination": 99}, headers=headers
    )
    assert page_99.json() == []


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    headers = await livevox_headers(client)
    assert (await client.get(f"{LV}/sms/nothing", headers=headers)).status_code == 404
    assert (await client.delete(f"{LV}/sms/templates", headers=headers)).status_code == 405


async def test_livevox_rate_limit_is_configurable(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock, faults="livevox:rate_limit=3")
    async with make_client(app, clock, step=0) as client:
        headers = await livevox_headers(client)
        statuses = [(await client.get(f"{LV}/sms/templates", headers=headers)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        clock.advance(seconds=1)
        assert (await client.get(f"{LV}/sms/templates", headers=headers)).status_code == 200
