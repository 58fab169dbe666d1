"""Routee simulator: OAuth, tracking with filters and the 7-day window, sending and status progression."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox import credentials
from bot.sandbox.clock import FakeClock
from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import basic, routee_headers

TRACKING = "/routee/connect/sms/tracking"
SEND = "/routee/connect/sms"


def window(clock: FakeClock, days: float = 6.9) -> dict[str, str]:
    now = clock.now()
    return {
        "dateStart": (now - timedelta(days=days)).isoformat().replace("+00:00", "Z"),
        "dateEnd": now.isoformat().replace("+00:00", "Z"),
    }


async def track(
    client: httpx.AsyncClient, headers: dict[str, str], clock: FakeClock, filters: Any = None, **params: Any
) -> httpx.Response:
    query = {**window(clock), **params}
    if filters is None:
        return await client.post(TRACKING, params=query, headers=headers)
    return await client.post(TRACKING, params=query, headers=headers, json=filters)


async def test_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/routee/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(credentials.ROUTEE_APP_ID, credentials.ROUTEE_APP_SECRET)},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert {"access_token", "scope", "permissions"} <= set(body)


async def test_token_failures(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/routee/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(credentials.ROUTEE_APP_ID, "wrong")},
    )
    assert bad.status_code == 401
    grant = await client.post(
        "/routee/auth/oauth/token",
        data={"grant_type": "password"},
        headers={"Authorization": basic(credentials.ROUTEE_APP_ID, credentials.ROUTEE_APP_SECRET)},
    )
    assert grant.status_code == 400


async def test_api_tokens(client: httpx.AsyncClient, clock: FakeClock) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = await track(client, headers, clock)
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {"code", "developerMessage", "properties"} and len(body["code"]) == 9
    headers = await routee_headers(client)
    assert (await track(client, headers, clock)).status_code == 200
    clock.advance(seconds=3601)
    assert (await track(client, headers, clock)).status_code == 401


async def test_tracking_page_object(client: httpx.AsyncClient, clock: FakeClock, world: World) -> None:
    headers = await routee_headers(client)
    body = (await track(client, headers, clock)).json()
    assert set(body) == {
        "totalPages",
        "last",
        "totalElements",
        "first",
        "numberOfElements",
        "number",
        "size",
        "content",
    }
    assert body["size"] == 20 and body["number"] == 0 and body["first"] is True
    assert body["numberOfElements"] == len(body["content"]) == 20
    assert body["totalPages"] == -(-body["totalElements"] // 20)
    item = body["content"][0]
    for key in (
        "smsId",
        "messageId",
        "to",
        "from",
        "body",
        "status",
        "direction",
        "parts",
        "part",
        "price",
        "country",
    ):
        assert key in item
    assert item["status"]["status"] in ("Queued", "Sent", "Delivered", "Undelivered", "Failed")
    assert "_createdAt" not in item


async def test_paging_through_tracking_yields_each_part_once(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = await routee_headers(client)
    everything = (await track(client, headers, clock, size=2000)).json()
    seen: list[str] = []
    page = 0
    while True:
        body = (await track(client, headers, clock, page=page, size=37)).json()
        seen += [c["smsId"] for c in body["content"]]
        if body["last"]:
            break
        page += 1
    assert seen == [c["smsId"] for c in everything["content"]]
    assert len(set(seen)) == len(seen) == everything["totalElements"]
    beyond = (await track(client, headers, clock, page=page + 5, size=37)).json()
    assert beyond["content"] == [] and beyond["last"] is True


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ([{"fieldName": "to", "searchTerm": "+14155550100"}], lambda c: c["to"] == "+14155550100"),
        ([{"fieldName": "to", "searchTerm": "14155550100"}], lambda c: c["to"] == "+14155550100"),
        (
            [{"fieldName": "status.status", "searchTerm": "Delivered"}],
            lambda c: c["status"]["status"] == "Delivered",
        ),
        (
            [{"fieldName": "status.status", "searchTerm": "Delivered", "operator": "is_not"}],
            lambda c: c["status"]["status"] != "Delivered",
        ),
        (
            [{"fieldName": "to", "searchTerm": "+44", "operator": "starts_with"}],
            lambda c: c["to"].startswith("+44"),
        ),
        (
            [{"fieldName": "to", "searchTerm": "0100", "operator": "ends_with"}],
            lambda c: c["to"].endswith("0100"),
        ),
        (
            [{"fieldName": "label", "searchTerm": "otp", "operator": "contains"}],
            lambda c: "otp" in c.get("label", ""),
        ),
        ([{"fieldName": "direction", "searchTerm": "Inbound"}], lambda c: c["direction"] == "Inbound"),
        (
            [{"fieldName": "campaign", "searchTerm": DEMO.routee_campaign_name}],
            lambda c: c["campaignTrackingId"] == DEMO.routee_campaign_id,
        ),
    ],
)
async def test_tracking_filters(
    client: httpx.AsyncClient, clock: FakeClock, filters: list[dict[str, str]], check: Any
) -> None:
    headers = await routee_headers(client)
    body = (await track(client, headers, clock, filters, size=2000)).json()
    assert body["content"], filters
    assert all(check(c) for c in body["content"])


async def test_sms_id_filter(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    first = (await track(client, headers, clock)).json()["content"][0]
    body = (
        await track(client, headers, clock, [{"fieldName": "smsId", "searchTerm": first["smsId"]}])
    ).json()
    assert [c["smsId"] for c in body["content"]] == [first["smsId"]]


async def test_campaign_params(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    only = (await track(client, headers, clock, onlyCampaign="true", size=2000)).json()
    assert only["content"] and all(c.get("campaignTrackingId") for c in only["content"])
    demo = (await track(client, headers, clock, campaign=DEMO.routee_campaign_id, size=2000)).json()
    assert demo["content"] and all(
        c["campaignTrackingId"] == DEMO.routee_campaign_id for c in demo["content"]
    )
    unknown = await track(client, headers, clock, campaign="no-such-campaign")
    assert unknown.status_code == 400
    assert (
        unknown.json()["code"] == "404009001" and unknown.json()["developerMessage"] == "Campaign not found."
    )


async def test_sort(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    body = (await track(client, headers, clock, sort="to,asc", size=2000)).json()
    tos = [c["to"] for c in body["content"]]
    assert tos == sorted(tos)
    assert (await track(client, headers, clock, sort="nonsense")).status_code == 400


async def test_seven_day_window(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    too_old = await client.post(TRACKING, params=window(clock, days=8), headers=headers)
    assert too_old.status_code == 400
    body = too_old.json()
    assert (
        body["code"].startswith("400005") and len(body["code"]) == 9 and "7 days" in body["developerMessage"]
    )
    assert isinstance(body["properties"], dict)
    exactly_seven = await client.post(TRACKING, params=window(clock, days=7), headers=headers)
    assert exactly_seven.status_code == 200


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"dateStart": None}, None),
        ({"dateEnd": "not-a-date"}, None),
        ({"size": "2001"}, None),
        ({"size": "0"}, None),
        ({"page": "-1"}, None),
        ({}, [{"fieldName": "price", "searchTerm": "1"}]),
        ({}, [{"fieldName": "to", "searchTerm": "1", "operator": "like"}]),
        ({}, {"fieldName": "to"}),
    ],
)
async def test_tracking_validation(
    client: httpx.AsyncClient, clock: FakeClock, params: dict[str, str | None], body: Any
) -> None:
    headers = await routee_headers(client)
    query: dict[str, str] = {k: v for k, v in {**window(clock), **params}.items() if v is not None}
    response = await client.post(TRACKING, params=query, headers=headers, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "400005000"


async def test_send_and_track_progression(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    to = DEMO.phone_numbers[0]
    response = await client.post(
        SEND,
        json={"body": "Hello from the sandbox", "to": to, "from": DEMO.routee_sender, "label": "test"},
        headers=headers,
    )
    assert response.status_code == 200
    sent = response.json()
    assert sent["status"] == "Queued" and sent["to"] == to and sent["trackingId"]
    assert sent["bodyAnalysis"]["parts"] == 1

    async def status() -> dict[str, Any]:
        filters = [{"fieldName": "to", "searchTerm": to}]
        body = (await track(client, headers, clock, filters, size=2000)).json()
        mine = [c for c in body["content"] if c["messageId"] == sent["trackingId"]]
        assert len(mine) == 1
        result: dict[str, Any] = mine[0]
        return result

    assert (await status())["status"]["status"] == "Queued"
    clock.advance(seconds=3)
    assert (await status())["status"]["status"] == "Sent"
    clock.advance(seconds=30)
    final = await status()
    assert final["status"]["status"] == "Delivered"  # demo numbers deliver
    assert final["status"]["reason"]["detailedStatus"] == "Delivered" and final["latency"] > 0
    assert final["label"] == "test"


async def test_long_messages_are_multipart(client: httpx.AsyncClient, clock: FakeClock) -> None:
    headers = await routee_headers(client)
    text = "x" * 200
    sent = (
        await client.post(
            SEND, json={"body": text, "to": "+14155550101", "from": "14155550151"}, headers=headers
        )
    ).json()
    assert sent["bodyAnalysis"]["parts"] == 2
    body = (
        await track(client, headers, clock, [{"fieldName": "to", "searchTerm": "+14155550101"}], size=2000)
    ).json()
    parts = [c for c in body["content"] if c["messageId"] == sent["trackingId"]]
    assert sorted(c["part"] for c in parts) == [1, 2] and len({c["smsId"] for c in parts}) == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": "4155550100"},
        {"to": "+1"},
        {"to": "not a number"},
        {"from": "TwelveLetter"},
        {"from": "12345678901234567"},
        {"from": ""},
        {"body": ""},
        {"callback": {"url": "ftp://x", "strategy": "OnChange"}},
        {"callback": {"url": "https://example.com/cb", "strategy": "Sometimes"}},
    ],
)
async def test_send_validation(client: httpx.AsyncClient, overrides: dict[str, Any]) -> None:
    headers = await routee_headers(client)
    body = {"body": "hi", "to": "+14155550100", "from": "Switchboard", **overrides}
    response = await client.post(SEND, json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "400005000"


async def test_send_accepts_callbacks_and_numeric_senders(client: httpx.AsyncClient) -> None:
    headers = await routee_headers(client)
    body = {
        "body": "hi",
        "to": "+447700900123",
        "from": "1234567890123456",
        "callback": {"url": "https://example.com/cb", "strategy": "OnCompletion"},
    }
    response = await client.post(SEND, json=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["callback"]["strategy"] == "OnCompletion"
