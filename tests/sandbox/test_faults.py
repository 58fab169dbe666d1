"""Each fault kind, injected through the apps (in process)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from bot.sandbox.app import create_app
from bot.sandbox.clock import FakeClock
from bot.sandbox.faults import ProviderFaults
from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import START, livevox_headers, make_client, routee_headers, zoom_headers

VOICE = "/zoom/v2/contact_center/voice_calls"
MONTH = {"from": "2025-02-20", "to": "2025-03-15"}


def sandbox(world: World, faults: str) -> tuple[object, FakeClock]:
    clock = FakeClock(START)
    return create_app(world=world, clock=clock, faults=faults), clock


async def test_latency(world: World) -> None:
    app, clock = sandbox(world, "livevox:latency_ms=60")
    async with make_client(app, clock) as client:
        started = time.perf_counter()
        await client.post("/livevox/session/login", json={})
        assert time.perf_counter() - started >= 0.06
        started = time.perf_counter()
        await client.get("/healthz")  # not a provider: no latency
        assert time.perf_counter() - started < 0.06


async def test_create_app_latency_applies_to_every_provider(world: World) -> None:
    clock = FakeClock(START)
    app = create_app(world=world, clock=clock, latency_ms=40)
    async with make_client(app, clock) as client:
        for path in ("/zoom/v2/contact_center/sms", "/routee/connect/sms", "/livevox/sms/templates"):
            started = time.perf_counter()
            await client.request("GET" if "zoom" in path or "livevox" in path else "POST", path)
            assert time.perf_counter() - started >= 0.04, path


@pytest.mark.parametrize(
    ("provider", "path", "method", "check"),
    [
        (
            "zoom",
            "/zoom/v2/contact_center/sms",
            "GET",
            lambda b: b == {"code": 503, "message": "Service Unavailable"},
        ),
        ("livevox", "/livevox/sms/templates", "GET", lambda b: b["code"] == 503 and b["message"]),
        (
            "routee",
            "/routee/connect/sms",
            "POST",
            lambda b: b["code"] == "503000000" and "developerMessage" in b,
        ),
    ],
)
async def test_errors_use_the_provider_body(
    world: World, provider: str, path: str, method: str, check: object
) -> None:
    app, clock = sandbox(world, f"{provider}:error_rate=1,error_status=503")
    async with make_client(app, clock) as client:
        response = await client.request(method, path)
        assert response.status_code == 503
        assert check(response.json())  # type: ignore[operator]


async def test_error_rate_is_seeded_and_roughly_right(world: World) -> None:
    async def statuses() -> list[int]:
        app, clock = sandbox(world, "routee:error_rate=0.3")
        async with make_client(app, clock) as client:
            return [(await client.post("/routee/connect/sms")).status_code for _ in range(100)]

    first, second = await statuses(), await statuses()
    assert first == second
    assert 15 <= first.count(500) <= 45
    assert set(first) == {500, 401}


async def test_burst_429(world: World) -> None:
    app, clock = sandbox(world, "routee:burst_429=2,burst_after=1")
    async with make_client(app, clock) as client:
        headers = await routee_headers(client)  # request 0
        params = {"dateStart": "2025-03-14T00:00:00Z", "dateEnd": "2025-03-15T00:00:00Z"}
        burst = [
            await client.post("/routee/connect/sms/tracking", params=params, headers=headers)
            for _ in range(3)
        ]
        assert [r.status_code for r in burst] == [429, 429, 200]
        assert burst[0].headers["Retry-After"] == "1"
        assert burst[0].json()["code"] == "429000000"


async def test_zoom_burst_looks_like_a_per_second_limit(world: World) -> None:
    app, clock = sandbox(world, "zoom:burst_429=1,burst_after=1")
    async with make_client(app, clock) as client:
        headers = await zoom_headers(client)
        response = await client.get("/zoom/v2/contact_center/sms", headers=headers)
        assert response.status_code == 429
        assert response.json()["code"] == 429 and "per-second" in response.json()["message"]
        assert response.headers["Retry-After"] == "1"


async def test_dropped_connection_in_process(world: World) -> None:
    app, clock = sandbox(world, "livevox:drop_rate=1")
    async with make_client(app, clock) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/livevox/sms/templates")
        assert (await client.get("/healthz")).status_code == 200


async def test_malformed_json(world: World) -> None:
    app, clock = sandbox(world, "*:malformed_rate=1")
    async with make_client(app, clock) as client:
        response = await client.post(
            "/routee/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic c2FuZGJveC1hcHAtaWQ6c2FuZGJveC1hcHAtc2VjcmV0"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        with pytest.raises(json.JSONDecodeError):
            response.json()
        # Only 2xx JSON bodies are damaged: errors stay readable.
        error = await client.get("/zoom/v2/contact_center/sms")
        assert error.json()["code"] == 124


async def test_zoom_token_expiry_mid_pagination(world: World) -> None:
    app, clock = sandbox(world, "zoom:token_expiry_rate=1,rate_limit=0")
    async with make_client(app, clock) as client:
        headers = await zoom_headers(client)
        first = await client.get(VOICE, headers=headers, params={"page_size": 5, **MONTH})
        assert first.status_code == 200  # a first page is never a continuation
        token = first.json()["next_page_token"]
        expired = await client.get(VOICE, headers=headers, params={"page_size": 5, "next_page_token": token})
        assert expired.status_code == 401 and expired.json() == {
            "code": 124,
            "message": "Invalid access token.",
        }
        # The access token is gone for good; the page token survives a fresh login.
        app.state.injectors["zoom"].config = ProviderFaults()  # type: ignore[attr-defined]
        assert (await client.get(VOICE, headers=headers, params=MONTH)).status_code == 401
        fresh = await zoom_headers(client)
        resumed = await client.get(VOICE, headers=fresh, params={"page_size": 5, "next_page_token": token})
        assert resumed.status_code == 200
        first_ids = {c["engagement_id"] for c in first.json()["voice_calls"]}
        assert not first_ids & {c["engagement_id"] for c in resumed.json()["voice_calls"]}


async def test_livevox_and_routee_token_expiry_mid_pagination(world: World) -> None:
    app, clock = sandbox(world, "livevox:token_expiry_rate=1;routee:token_expiry_rate=1")
    async with make_client(app, clock) as client:
        lv = await livevox_headers(client)
        params: dict[str, Any] = {"channelId": DEMO.service_id, "personal": "false", "channel": "SMS"}
        assert (
            await client.get("/livevox/sms/agent/thread/details", params=params, headers=lv)
        ).status_code == 200
        second = await client.get(
            "/livevox/sms/agent/thread/details", params={**params, "pagination": 2}, headers=lv
        )
        assert second.status_code == 401
        assert (await client.get("/livevox/sms/templates", headers=lv)).status_code == 401  # session gone

        rt = await routee_headers(client)
        window: dict[str, Any] = {
            "dateStart": "2025-03-14T00:00:00Z",
            "dateEnd": "2025-03-15T00:00:00Z",
            "size": 5,
        }
        assert (
            await client.post("/routee/connect/sms/tracking", params=window, headers=rt)
        ).status_code == 200
        page = await client.post("/routee/connect/sms/tracking", params={**window, "page": 1}, headers=rt)
        assert page.status_code == 401


async def test_faults_are_counted(world: World) -> None:
    app, clock = sandbox(world, "routee:error_rate=1")
    async with make_client(app, clock) as client:
        for _ in range(3):
            await client.post("/routee/connect/sms")
    assert app.state.injectors["routee"].injected == {"error": 3}  # type: ignore[attr-defined]
