"""serve() and print_config(), the app's own routes, and faults over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet

from bench.priority import free_port
from bot.sandbox import credentials
from bot.sandbox.app import create_app
from bot.sandbox.faults import FaultSpecError
from bot.sandbox.server import print_config, serve
from bot.sandbox.world import DEMO, World
from tests.sandbox.helpers import ANCHOR, basic, running_server, wait_for

EXPECTED_KEYS = {
    "SWITCHBOARD_PROVIDERS",
    "SWITCHBOARD_ZOOM_API_URL",
    "SWITCHBOARD_ZOOM_TOKEN_URL",
    "SWITCHBOARD_ZOOM_ACCOUNT_ID",
    "SWITCHBOARD_ZOOM_CLIENT_ID",
    "SWITCHBOARD_ZOOM_CLIENT_SECRET",
    "SWITCHBOARD_ZOOM_PLAN",
    "SWITCHBOARD_LIVEVOX_BASE_URL",
    "SWITCHBOARD_LIVEVOX_ACCESS_TOKEN",
    "SWITCHBOARD_LIVEVOX_CLIENT_NAME",
    "SWITCHBOARD_LIVEVOX_USERNAME",
    "SWITCHBOARD_LIVEVOX_PASSWORD",
    "SWITCHBOARD_LIVEVOX_AGENT",
    "SWITCHBOARD_LIVEVOX_SERVICE_ID",
    "SWITCHBOARD_ROUTEE_API_URL",
    "SWITCHBOARD_ROUTEE_TOKEN_URL",
    "SWITCHBOARD_ROUTEE_APP_ID",
    "SWITCHBOARD_ROUTEE_APP_SECRET",
    "SWITCHBOARD_SECRET_KEYS",
}


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_print_config() -> None:
    text = print_config(port=8911)
    values = parse_env(text)
    assert set(values) == EXPECTED_KEYS
    assert values["SWITCHBOARD_PROVIDERS"] == "live"
    assert values["SWITCHBOARD_ZOOM_API_URL"] == "http://127.0.0.1:8911/zoom/v2"
    assert values["SWITCHBOARD_ZOOM_TOKEN_URL"] == "http://127.0.0.1:8911/zoom/oauth/token"
    assert values["SWITCHBOARD_ZOOM_PLAN"] == "pro"
    assert values["SWITCHBOARD_LIVEVOX_BASE_URL"] == "http://127.0.0.1:8911/livevox"
    assert values["SWITCHBOARD_ROUTEE_API_URL"] == "http://127.0.0.1:8911/routee/connect"
    assert values["SWITCHBOARD_ROUTEE_TOKEN_URL"] == "http://127.0.0.1:8911/routee/auth/oauth/token"
    assert values["SWITCHBOARD_ZOOM_CLIENT_SECRET"] == credentials.ZOOM_CLIENT_SECRET
    assert values["SWITCHBOARD_LIVEVOX_ACCESS_TOKEN"] == credentials.LIVEVOX_ACCESS_TOKEN
    assert values["SWITCHBOARD_LIVEVOX_USERNAME"] == DEMO.agent_login
    assert values["SWITCHBOARD_LIVEVOX_AGENT"] == "true"
    assert values["SWITCHBOARD_LIVEVOX_SERVICE_ID"] == str(DEMO.service_id)
    assert values["SWITCHBOARD_ROUTEE_APP_ID"] == credentials.ROUTEE_APP_ID
    Fernet(values["SWITCHBOARD_SECRET_KEYS"])  # a valid key...
    assert (
        parse_env(print_config(port=8911))["SWITCHBOARD_SECRET_KEYS"] != values["SWITCHBOARD_SECRET_KEYS"]
    )  # ...fresh
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for phone in DEMO.phone_numbers:
        assert phone in comments
    assert DEMO.agent_login in comments and str(DEMO.agent_id) in comments


def test_print_config_host() -> None:
    values = parse_env(print_config(host="0.0.0.0", port=9000, seed=3, volume=2))  # noqa: S104
    assert values["SWITCHBOARD_ZOOM_API_URL"] == "http://0.0.0.0:9000/zoom/v2"


def test_serve_answers_healthz(monkeypatch: pytest.MonkeyPatch) -> None:
    servers: list[uvicorn.Server] = []
    original = uvicorn.Server.__init__

    def remember(self: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        servers.append(self)

    monkeypatch.setattr(uvicorn.Server, "__init__", remember)
    port = free_port()
    thread = threading.Thread(
        target=lambda: serve(port=port, seed=5, faults="zoom:latency_ms=1"), daemon=True
    )
    thread.start()
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        body = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert body["status"] == "ok" and body["seed"] == 5 and "latency_ms=1" in body["faults"]
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_serve_rejects_a_bad_spec_before_binding() -> None:
    with pytest.raises(FaultSpecError):
        serve(port=free_port(), faults="zoom:nonsense=1")


async def test_index_and_app_state() -> None:
    world = World.generate(seed=7, now=ANCHOR)
    app = create_app(world=world)
    assert app.state.world is world
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        index = (await client.get("/")).json()
        health = (await client.get("/healthz")).json()
    assert index["demo"]["zoom_user_id"] == DEMO.zoom_user_id
    assert index["zoom"]["api_url"] == "http://sandbox/zoom/v2"
    assert health == {"status": "ok", "seed": 7, "volume": 1, "faults": None}


def test_create_app_accepts_seed_and_volume() -> None:
    app = create_app(seed=9, volume=2)
    assert app.state.world.seed == 9 and app.state.world.volume == 2
    with pytest.raises(FaultSpecError):
        create_app(faults="nope")


def test_real_http_round_trip_and_dropped_connections() -> None:
    world = World.generate(seed=7)
    app = create_app(world=world, faults="livevox:drop_rate=1")
    with running_server(app) as base:
        token = httpx.post(
            f"{base}/zoom/oauth/token",
            data={"grant_type": "account_credentials", "account_id": credentials.ZOOM_ACCOUNT_ID},
            headers={"Authorization": basic(credentials.ZOOM_CLIENT_ID, credentials.ZOOM_CLIENT_SECRET)},
        ).json()
        assert token["api_url"] == f"{base}/zoom"
        calls = httpx.get(
            f"{base}/zoom/v2/contact_center/voice_calls",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert calls.status_code == 200 and "voice_calls" in calls.json()
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{base}/livevox/sms/templates")
        # The server is still fine afterwards.
        assert httpx.get(f"{base}/healthz").status_code == 200


def test_real_http_malformed_body() -> None:
    app = create_app(seed=7, faults="routee:malformed_rate=1")
    with running_server(app) as base:
        response = httpx.post(
            f"{base}/routee/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(credentials.ROUTEE_APP_ID, credentials.ROUTEE_APP_SECRET)},
        )
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()
