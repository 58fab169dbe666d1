"""Zoom simulator: OAuth, the four (five) operations, filters, pagination, windows, rate limits, OpenAPI."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import credentials
from bot.sandbox.app import create_app
from bot.sandbox.clock import FakeClock
from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import ANCHOR, START, basic, make_client, zoom_headers
from tests.sandbox.openapi import validate_response

CC_SMS = "/zoom/v2/contact_center/sms"
VOICE = "/zoom/v2/contact_center/voice_calls"
SESSIONS = "/zoom/v2/phone/sms/sessions"
MONTH = {"from": "2025-02-20", "to": "2025-03-15"}


def spec_path(url: str) -> str:
    path = url.removeprefix("/zoom/v2").split("?")[0]
    if path.startswith("/phone/sms/sessions/"):
        return "/phone/sms/sessions/{sessionId}"
    if path.startswith("/phone/users/"):
        return "/phone/users/{userId}/sms/sessions"
    return path


async def get(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    """GET and check the answer against the OpenAPI subset (200 schema, or a documented error status)."""
    response = await client.get(url, headers=headers, params=params)
    validate_response(spec_path(url), response.status_code, response.json())
    return response


# ---- OAuth ----------------------------------------------------------------------------------------


async def test_token_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/zoom/oauth/token",
        data={"grant_type": "account_credentials", "account_id": credentials.ZOOM_ACCOUNT_ID},
        headers={"Authorization": basic(credentials.ZOOM_CLIENT_ID, credentials.ZOOM_CLIENT_SECRET)},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"] and "contact_center_sms:read:admin" in body["scope"]
    assert body["api_url"] == "http://sandbox/zoom"


async def test_token_params_may_be_in_the_query_string(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/zoom/oauth/token",
        params={"grant_type": "account_credentials", "account_id": credentials.ZOOM_ACCOUNT_ID},
        headers={"Authorization": basic(credentials.ZOOM_CLIENT_ID, credentials.ZOOM_CLIENT_SECRET)},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("auth", "data", "status", "error"),
    [
        (basic("sandbox-client-id", "wrong"), {"account_id": "sandbox-account"}, 401, "invalid_client"),
        (None, {"account_id": "sandbox-account"}, 401, "invalid_client"),
        (
            basic("sandbox-client-id", "sandbox-client-secret"),
            {"account_id": "other"},
            400,
            "invalid_request",
        ),
    ],
)
async def test_token_failures(
    client: httpx.AsyncClient, auth: str | None, data: dict[str, str], status: int, error: str
) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = await client.post(
        "/zoom/oauth/token", data={"grant_type": "account_credentials", **data}, headers=headers
    )
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_wrong_grant_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/zoom/oauth/token",
        data={"grant_type": "client_credentials", "account_id": "sandbox-account"},
        headers={"Authorization": basic("sandbox-client-id", "sandbox-client-secret")},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
async def test_api_rejects_missing_or_bad_tokens(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await get(client, CC_SMS, headers)
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}


async def test_tokens_expire_after_an_hour(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await zoom_headers(client)
    assert (await get(client, CC_SMS, headers)).status_code == 200
    clock.advance(seconds=3601)
    response = await get(client, CC_SMS, headers)
    assert response.status_code == 401 and response.json()["code"] == 124


# ---- Contact Center SMS ---------------------------------------------------------------------------


async def test_cc_sms_defaults_to_the_last_24_hours(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await zoom_headers(client)
    response = await get(client, CC_SMS, headers)
    body = response.json()
    now = clock.now()
    assert body["page_size"] == 10
    start, end = (datetime.fromisoformat(body[k].replace("Z", "+00:00")) for k in ("from", "to"))
    assert now - timedelta(hours=24, seconds=2) <= start and end <= now
    assert 0 < len(body["sms"]) <= 10 and body["total_records"] >= len(body["sms"])
    for log in body["sms"]:
        assert start <= datetime.fromisoformat(log["start_time"].replace("Z", "+00:00")) <= end
    assert response.headers["X-RateLimit-Category"] == "Heavy"


async def test_cc_sms_filters(client: httpx.AsyncClient, world: World) -> None:
    headers = await zoom_headers(client)
    demo = DEMO.phone_numbers[0]
    body = (await get(client, CC_SMS, headers, consumer_number=demo, page_size=100, **MONTH)).json()
    expected = [
        s
        for s in world.cc_sms_logs
        if s.consumer_number == demo and datetime(2025, 2, 20, tzinfo=ANCHOR.tzinfo) <= s.start_time
    ]
    assert {s["engagement_id"] for s in body["sms"]} == {s.engagement_id for s in expected}
    assert body["total_records"] == len(expected) > 0
    # Without "+" too.
    again = (await get(client, CC_SMS, headers, consumer_number=demo[1:], page_size=100, **MONTH)).json()
    assert again["total_records"] == body["total_records"]

    outbound = (await get(client, CC_SMS, headers, direction="outbound", page_size=100, **MONTH)).json()
    assert outbound["sms"] and all(s["direction"] == "outbound" for s in outbound["sms"])

    mine = (await get(client, CC_SMS, headers, user_id=DEMO.zoom_user_id, page_size=100, **MONTH)).json()
    assert mine["sms"] and all(
        any(a["user_id"] == DEMO.zoom_user_id for a in s["agents"]) for s in mine["sms"]
    )

    engagement = body["sms"][0]["engagement_id"]
    one = (await get(client, CC_SMS, headers, engagement_id=engagement, **MONTH)).json()
    assert [s["engagement_id"] for s in one["sms"]] == [engagement]


async def test_cc_sms_country_codes_are_a_repeated_list(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    url = f"{CC_SMS}?country_iso_codes=GB&country_iso_codes=CA&page_size=100&from=2025-02-20&to=2025-03-15"
    response = await client.get(url, headers=headers)
    names = {s["country_name"] for s in response.json()["sms"]}
    assert names and names <= {"United Kingdom", "Canada"}
    only_gb = (await get(client, CC_SMS, headers, country_iso_codes="GB", page_size=100, **MONTH)).json()
    assert {s["country_name"] for s in only_gb["sms"]} == {"United Kingdom"}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"user_id": "no-such-user"}, 404, 1001),
        ({"engagement_id": "no-such-engagement"}, 404, 2901),
        ({"direction": "sideways"}, 400, 300),
        ({"page_size": "101"}, 400, 300),
        ({"page_size": "ten"}, 400, 300),
        ({"from": "2025-03-01"}, 400, 300),
        ({"from": "yesterday", "to": "2025-03-02"}, 400, 300),
        ({"from": "2025-03-10", "to": "2025-03-01"}, 400, 300),
    ],
)
async def test_cc_sms_errors(
    client: httpx.AsyncClient, params: dict[str, str], status: int, code: int
) -> None:
    headers = await zoom_headers(client)
    response = await get(client, CC_SMS, headers, **params)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_page_size_over_100_names_the_field(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    body = (await get(client, CC_SMS, headers, page_size=500)).json()
    assert body["errors"][0]["field"] == "page_size"


@pytest.mark.parametrize("url", [CC_SMS, VOICE, SESSIONS])
async def test_month_limit(client: httpx.AsyncClient, url: str) -> None:
    headers = await zoom_headers(client)
    response = await get(client, url, headers, **{"from": "2025-01-01", "to": "2025-03-01"})
    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "The requested report exceeds the 1-month limit."}
    # A calendar month (31 days between the dates) is fine, in either format.
    ok = await get(client, url, headers, **{"from": "2025-01-31", "to": "2025-03-03"})
    assert ok.status_code == 200
    ok = await get(client, url, headers, **{"from": "2025-02-01T00:00:00Z", "to": "2025-02-28T23:59:59Z"})
    assert ok.status_code == 200


# ---- voice calls ----------------------------------------------------------------------------------


async def test_voice_calls_filters(client: httpx.AsyncClient, world: World) -> None:
    headers = await zoom_headers(client)
    all_calls = (await get(client, VOICE, headers, page_size=100, **MONTH)).json()
    assert all_calls["page_size"] == 100 and all_calls["total_records"] > 100

    url = (
        f"{VOICE}?types=external_conference_call&types=external_callback_call"
        "&page_size=100&from=2025-02-20&to=2025-03-15"
    )
    typed = (await client.get(url, headers=headers)).json()
    assert typed["voice_calls"]
    assert all(
        set(c["types"]) & {"external_conference_call", "external_callback_call"} for c in typed["voice_calls"]
    )

    no_queue = (await get(client, VOICE, headers, queue_ids="none", page_size=100, **MONTH)).json()
    assert no_queue["voice_calls"] and all(c["queues"] == [] for c in no_queue["voice_calls"])

    queued = (
        await get(client, VOICE, headers, cc_queue_ids=DEMO.zoom_queue_id, page_size=100, **MONTH)
    ).json()
    assert all(c["queues"][0]["queue_id"] == DEMO.zoom_queue_id for c in queued["voice_calls"])

    users = ",".join([DEMO.zoom_user_id, DEMO.transfer_zoom_user_id])
    by_user = (await get(client, VOICE, headers, user_ids=users, page_size=100, **MONTH)).json()
    assert by_user["voice_calls"]
    assert all(
        {a["user_id"] for a in c["agents"]} & {DEMO.zoom_user_id, DEMO.transfer_zoom_user_id}
        for c in by_user["voice_calls"]
    )

    acd = (
        await get(client, VOICE, headers, distribution="non_acd", direction="inbound", page_size=100, **MONTH)
    ).json()
    assert all("non_acd" in c["distributions"] and c["direction"] == "inbound" for c in acd["voice_calls"])

    toll = (await get(client, VOICE, headers, number_types="toll_free_number", page_size=100, **MONTH)).json()
    assert toll["voice_calls"]
    assert all(
        "toll_free_number" in (c.get("caller_number_type"), c.get("callee_number_type"))
        for c in toll["voice_calls"]
    )

    team = world.agents[DEMO.agent_id].team_name
    teams = (await get(client, VOICE, headers, team_names=team, page_size=100, **MONTH)).json()
    assert teams["voice_calls"] and all(
        any(team in a["team_names"] for a in c["agents"]) for c in teams["voice_calls"]
    )


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"user_ids": "ghost"}, 404, 1001),
        ({"queue_ids": "ghost-queue"}, 404, 1201),
        ({"cc_queue_ids": "ghost-queue"}, 404, 1201),
        ({"engagement_id": "ghost"}, 404, 2901),
        ({"types": "carrier_pigeon"}, 400, 300),
        ({"distribution": "random"}, 400, 300),
    ],
)
async def test_voice_call_errors(
    client: httpx.AsyncClient, params: dict[str, str], status: int, code: int
) -> None:
    headers = await zoom_headers(client)
    response = await get(client, VOICE, headers, **params)
    assert (response.status_code, response.json()["code"]) == (status, code)


# ---- Phone SMS ------------------------------------------------------------------------------------


async def test_phone_sessions_by_number(client: httpx.AsyncClient, world: World) -> None:
    headers = await zoom_headers(client)
    number = DEMO.phone_numbers[0].lstrip("+")
    body = (await get(client, SESSIONS, headers, phone_number=number)).json()
    assert body["page_size"] == 30
    assert body["sms_sessions"], "the demo number has Phone SMS sessions in the last 30 days"
    for session in body["sms_sessions"]:
        assert any(p["phone_number"] == number for p in session["participants"])
        assert session["session_type"] == "user"
        owner = next(p for p in session["participants"] if p["is_session_owner"])
        assert owner["owner"]["type"] == "user"


async def test_phone_session_types(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    number = DEMO.phone_numbers[1].lstrip("+")
    default = (await get(client, SESSIONS, headers, phone_number=number)).json()["sms_sessions"]
    everything = (await get(client, SESSIONS, headers, phone_number=number, session_type="all")).json()[
        "sms_sessions"
    ]
    queues = (await get(client, SESSIONS, headers, phone_number=number, session_type="call_queue")).json()
    assert len(everything) == len(default) + len(queues["sms_sessions"]) and queues["sms_sessions"]
    bad = await get(client, SESSIONS, headers, session_type="fax")
    assert bad.status_code == 400 and bad.json() == {"code": 400, "message": "SMS session type is invalid."}
    only_from = await get(client, SESSIONS, headers, **{"from": "2025-03-01"})
    assert only_from.status_code == 400 and only_from.json()["message"] == "Requires from and to"


async def test_phone_session_filter_types(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    window = {"from": "2025-03-14", "to": "2025-03-15"}
    last = (await get(client, SESSIONS, headers, session_type="all", **window)).json()["sms_sessions"]
    either = (
        await get(
            client, SESSIONS, headers, session_type="all", filter_type="sent_received_message_time", **window
        )
    ).json()["sms_sessions"]
    sent = (
        await get(client, SESSIONS, headers, session_type="all", filter_type="sent_message_time", **window)
    ).json()
    assert {s["session_id"] for s in last} <= {s["session_id"] for s in either}
    assert {s["session_id"] for s in sent["sms_sessions"]} <= {s["session_id"] for s in either}


async def test_session_details(client: httpx.AsyncClient, world: World) -> None:
    headers = await zoom_headers(client)
    session = next(
        s
        for s in world.phone_sessions.values()
        if s.owner.owner_id == DEMO.zoom_user_id and len(s.messages) > 3
    )
    url = f"{SESSIONS}/{session.session_id}"
    ascending = (await get(client, url, headers)).json()["sms_histories"]
    assert len(ascending) == len(session.messages)
    times = [m["date_time"] for m in ascending]
    assert times == sorted(times)
    descending = (await get(client, url, headers, sort=2)).json()["sms_histories"]
    assert [m["message_id"] for m in descending] == [m["message_id"] for m in reversed(ascending)]
    received = (await get(client, url, headers, delivery_status="received")).json()["sms_histories"]
    assert received and all(m["direction"] == "In" and m["delivery_status"] == "received" for m in received)
    assert {m["direction"] for m in ascending} == {"In", "Out"}


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    response = await get(client, f"{SESSIONS}/0123456789abcdef0123456789abcdef", headers)
    assert response.status_code == 404


async def test_user_sessions(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    url = f"/zoom/v2/phone/users/{DEMO.zoom_user_id}/sms/sessions"
    body = (await get(client, url, headers)).json()
    assert len(body["sms_sessions"]) >= len(DEMO.phone_numbers)
    for session in body["sms_sessions"]:
        owner = next(p for p in session["participants"] if p["is_session_owner"])
        assert owner["owner"]["id"] == DEMO.zoom_user_id
    missing = await get(client, "/zoom/v2/phone/users/ghost/sms/sessions", headers)
    assert missing.status_code == 404 and missing.json()["code"] == 1001


# ---- pagination -----------------------------------------------------------------------------------


async def _collect(
    client: httpx.AsyncClient, url: str, key: str, page_size: int, **params: Any
) -> tuple[list[Any], int]:
    headers = await zoom_headers(client)
    seen: list[Any] = []
    token = ""
    pages = 0
    while True:
        query = {"page_size": page_size, **params}
        if token:
            query["next_page_token"] = token
        response = await client.get(url, headers=headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body[key]) <= page_size
        seen.extend(body[key])
        pages += 1
        token = body["next_page_token"]
        if not token:
            return seen, pages


_WORLD = World.generate(seed=11, volume=1, now=ANCHOR)
_CASES = [
    (CC_SMS, "sms", "engagement_id", MONTH),
    (VOICE, "voice_calls", "engagement_id", MONTH),
    (SESSIONS, "sms_sessions", "session_id", {"session_type": "all"}),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page_size=st.integers(min_value=1, max_value=100), case=st.sampled_from(_CASES))
def test_paging_yields_every_record_once(page_size: int, case: tuple[str, str, str, dict[str, str]]) -> None:
    url, key, ident, params = case

    async def run() -> None:
        clock = FakeClock(START)
        app = create_app(world=_WORLD, clock=clock, faults="zoom:rate_limit=0")
        async with make_client(app, clock) as client:
            whole, _ = await _collect(client, url, key, 100, **params)
            paged, pages = await _collect(client, url, key, page_size, **params)
        ids = [item[ident] for item in paged]
        assert len(ids) == len(set(ids)), "a record came twice"
        assert ids == [item[ident] for item in whole]
        assert pages == max(1, -(-len(whole) // page_size))

    asyncio.run(run())


async def test_total_records_and_last_page(client: httpx.AsyncClient) -> None:
    headers = await zoom_headers(client)
    first = (await get(client, VOICE, headers, page_size=100, **MONTH)).json()
    seen = len(first["voice_calls"])
    token = first["next_page_token"]
    while token:
        page = (await get(client, VOICE, headers, next_page_token=token, page_size=100)).json()
        assert page["total_records"] == first["total_records"]
        seen += len(page["voice_calls"])
        token = page["next_page_token"]
    assert seen == first["total_records"]
    assert page["next_page_token"] == ""


async def test_page_tokens_expire_after_15_minutes(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await zoom_headers(client)
    first = (await get(client, VOICE, headers, page_size=5, **MONTH)).json()
    token = first["next_page_token"]
    clock.advance(minutes=14)
    assert (await get(client, VOICE, headers, next_page_token=token, page_size=5)).status_code == 200
    clock.advance(minutes=2)
    expired = await get(client, VOICE, headers, next_page_token=token, page_size=5)
    assert expired.status_code == 400
    assert expired.json() == {"code": 400, "message": "The next page token is invalid or expired."}
    garbage = await get(client, SESSIONS, headers, next_page_token="not-a-token")
    assert garbage.status_code == 400 and garbage.json()["code"] == 400


async def test_page_token_keeps_the_default_window(client: httpx.AsyncClient, clock: FakeClock) -> None:
    """'The last 24 hours' is resolved once: paging later does not slide the window."""
    headers = await zoom_headers(client)
    first = (await get(client, CC_SMS, headers, page_size=1)).json()
    clock.advance(minutes=10)
    second = (
        await get(client, CC_SMS, headers, page_size=1, next_page_token=first["next_page_token"])
    ).json()
    assert (second["from"], second["to"]) == (first["from"], first["to"])


# ---- rate limits ----------------------------------------------------------------------------------


async def test_heavy_per_second_limit(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock)
    async with make_client(app, clock, step=0) as client:
        headers = await zoom_headers(client)
        statuses = [(await get(client, CC_SMS, headers)).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        limited = await client.get(CC_SMS, headers=headers)
        assert limited.json()["message"].startswith("You have reached the maximum per-second rate limit")
        assert limited.headers["Retry-After"] == "1"
        assert limited.headers["X-RateLimit-Type"] == "QPS"
        assert limited.headers["X-RateLimit-Category"] == "Heavy"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        # Phone SMS is MEDIUM: its own bucket, 10/s.
        medium = [(await client.get(SESSIONS, headers=headers)).status_code for _ in range(11)]
        assert medium == [200] * 10 + [429]
        clock.advance(seconds=1)
        assert (await client.get(CC_SMS, headers=headers)).status_code == 200


async def test_business_plan_doubles_the_limits(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock, faults="zoom:plan=business")
    async with make_client(app, clock, step=0) as client:
        headers = await zoom_headers(client)
        statuses = [(await client.get(VOICE, headers=headers)).status_code for _ in range(11)]
        assert statuses == [200] * 10 + [429]
        assert (await client.get(VOICE, headers=headers)).headers["X-RateLimit-Limit"] == "10"


async def test_heavy_daily_limit_resets_at_midnight_utc(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock, faults="zoom:daily_limit=3")
    async with make_client(app, clock, step=1) as client:
        headers = await zoom_headers(client)
        first = await client.get(VOICE, headers=headers)
        assert first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
        statuses = [(await client.get(CC_SMS, headers=headers)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await client.get(CC_SMS, headers=headers)
        assert limited.status_code == 429
        assert "daily rate limit" in limited.json()["message"]
        assert limited.headers["X-RateLimit-Type"] == "Daily-limit"
        assert limited.headers["Retry-After"] == "2025-03-16T00:00:00Z"
        # MEDIUM operations have no daily limit.
        assert (await client.get(SESSIONS, headers=headers)).status_code == 200
        clock.set(datetime(2025, 3, 16, 0, 0, 1, tzinfo=ANCHOR.tzinfo))
        headers = await zoom_headers(client)  # the old token has expired by now
        assert (await client.get(CC_SMS, headers=headers)).status_code == 200
