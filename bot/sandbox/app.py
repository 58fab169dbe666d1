"""The sandbox: the four provider simulators in one ASGI app.

`create_app()` mounts:

- Zoom under `/zoom`: token `POST /zoom/oauth/token`, API `/zoom/v2/...` (see `bot.sandbox.zoom`);
- LiveVox under `/livevox`: `/livevox/session/login`, `/livevox/sms/...` (see `bot.sandbox.livevox`);
- Routee under `/routee`: token `POST /routee/auth/oauth/token`, API `/routee/connect/sms/...`
  (see `bot.sandbox.routee`);
- `GET /healthz` (`{"status": "ok", ...}`) and `GET /` (what is mounted, the demo identities, credentials);
- the control endpoints under `/_sandbox/` (not any provider's API): `POST /_sandbox/inject/inbound`, a
  customer texting a LiveVox inbox (see `bot.sandbox.control`).

The mutable world is `app.state.world`; the clock `app.state.clock`; the parsed faults `app.state.faults`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from bot.sandbox import credentials
from bot.sandbox._common import SandboxStarlette, json_response
from bot.sandbox.clock import ClockLike, as_clock
from bot.sandbox.control import INJECT_INBOUND_PATH, control_routes
from bot.sandbox.faults import FaultInjector, FaultSpec, coerce_spec
from bot.sandbox.livevox import create_livevox_app
from bot.sandbox.routee import create_routee_app
from bot.sandbox.world import World
from bot.sandbox.zoom import create_zoom_app


def create_app(
    *,
    seed: int = 7,
    volume: int = 1,
    latency_ms: int = 0,
    faults: str | FaultSpec | None = None,
    world: World | None = None,
    clock: ClockLike | None = None,
    zoom_plan: str | None = None,
    delivery_delay: timedelta | None = None,
    month_sms: int = 0,
    month_calls: int = 0,
) -> SandboxStarlette:
    """Build the sandbox. `faults` is a fault SPEC (see `bot.sandbox.faults`) or a parsed `FaultSpec`.

    `world` overrides `seed`/`volume`; `clock` (a `Clock` or a callable returning a datetime) drives token
    lifetimes, page-token expiry, rate-limit windows, session inactivity and Routee status progression.
    `zoom_plan` ("pro" or "business") overrides the plan given in the fault spec (default pro).
    `delivery_delay`: how long after a send LiveVox and Routee report its delivery (defaults: their own).
    `month_sms` / `month_calls`: a busy last month of Zoom Contact Center data (see `World.generate`).
    """
    if latency_ms < 0:
        raise ValueError("latency_ms must be >= 0")
    spec = coerce_spec(faults).with_latency(latency_ms)
    the_world = (
        world
        if world is not None
        else World.generate(seed=seed, volume=volume, month_sms=month_sms, month_calls=month_calls)
    )
    the_clock = as_clock(clock)
    injectors = {
        name: FaultInjector(name, spec.for_provider(name), the_world.seed)
        for name in ("zoom", "livevox", "routee")
    }
    zoom = create_zoom_app(the_world, injectors["zoom"], the_clock, plan=zoom_plan)
    livevox = create_livevox_app(the_world, injectors["livevox"], the_clock, delivery_delay=delivery_delay)
    routee = create_routee_app(the_world, injectors["routee"], the_clock, delivery_delay=delivery_delay)

    async def healthz(request: Request) -> Response:
        return json_response(
            {"status": "ok", "seed": the_world.seed, "volume": the_world.volume, "faults": str(spec) or None}
        )

    async def index(request: Request) -> Response:
        return json_response(describe(the_world, str(request.base_url).rstrip("/")))

    app = SandboxStarlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/", index, methods=["GET"]),
            *control_routes(livevox.state.livevox),
            Mount("/zoom", app=zoom),
            Mount("/livevox", app=livevox),
            Mount("/routee", app=routee),
        ]
    )
    app.state.world = the_world
    app.state.clock = the_clock
    app.state.faults = spec
    app.state.injectors = injectors
    app.state.zoom = zoom.state.zoom
    app.state.livevox = livevox.state.livevox
    app.state.routee = routee.state.routee
    return app


def describe(world: World, base_url: str) -> dict[str, Any]:
    """What the sandbox serves, for people poking at `GET /`."""
    d = world.demo
    return {
        "sandbox": "Switchboard provider simulators (fictional data)",
        "seed": world.seed,
        "volume": world.volume,
        "anchor": world.now.isoformat(),
        "counts": world.summary(),
        "zoom": {
            "token_url": f"{base_url}/zoom/oauth/token",
            "api_url": f"{base_url}/zoom/v2",
            "account_id": credentials.ZOOM_ACCOUNT_ID,
            "client_id": credentials.ZOOM_CLIENT_ID,
            "client_secret": credentials.ZOOM_CLIENT_SECRET,
        },
        "livevox": {
            "base_url": f"{base_url}/livevox",
            "access_token": credentials.LIVEVOX_ACCESS_TOKEN,
            "client_name": credentials.LIVEVOX_CLIENT_NAME,
            "password": credentials.LIVEVOX_PASSWORD,
            "agent_logins": sorted(a.login_id for a in world.agents.values()),
            "user_logins": sorted(u.login_id for u in world.users.values()),
        },
        "routee": {
            "token_url": f"{base_url}/routee/auth/oauth/token",
            "api_url": f"{base_url}/routee/connect",
            "app_id": credentials.ROUTEE_APP_ID,
            "app_secret": credentials.ROUTEE_APP_SECRET,
        },
        "control": {"inject_inbound": f"POST {base_url}{INJECT_INBOUND_PATH}"},
        "demo": {
            "customers": [
                {"phone": c.phone, "name": c.name, "account": c.account, "note": c.note} for c in d.customers
            ],
            "livevox_agent": {"agent_id": d.agent_id, "login": d.agent_login, "name": d.agent_name},
            "livevox_transfer_agent": {"agent_id": d.transfer_agent_id, "login": d.transfer_agent_login},
            "livevox_supervisor_login": d.supervisor_login,
            "livevox_service_id": d.service_id,
            "livevox_sender_code": d.sender_code,
            "zoom_user_id": d.zoom_user_id,
            "zoom_user_email": d.zoom_user_email,
            "zoom_queue_id": d.zoom_queue_id,
            "routee_sender": d.routee_sender,
            "routee_campaign_id": d.routee_campaign_id,
        },
    }
