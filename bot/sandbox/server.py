"""Run the sandbox (`switchboard sandbox`) and print the `.env` fragment that points the bot at it."""

from __future__ import annotations

import uvicorn
from cryptography.fernet import Fernet

from bot.sandbox import credentials
from bot.sandbox.app import create_app
from bot.sandbox.faults import FaultSpec, coerce_spec
from bot.sandbox.world import World


def serve(
    *,
    host: str = "127.0.0.1",
    port: int,
    seed: int = 7,
    volume: int = 1,
    latency_ms: int = 0,
    faults: str | FaultSpec | None = None,
    month_sms: int = 0,
    month_calls: int = 0,
) -> None:
    """Serve the sandbox with uvicorn until interrupted (blocking). A bad fault spec fails before binding."""
    spec = coerce_spec(faults)
    app = create_app(
        seed=seed,
        volume=volume,
        latency_ms=latency_ms,
        faults=spec,
        month_sms=month_sms,
        month_calls=month_calls,
    )
    uvicorn.run(app, host=host, port=port, http="h11", log_level="info", access_log=False)


def print_config(*, host: str = "127.0.0.1", port: int, seed: int = 7, volume: int = 1) -> str:
    """A `.env` fragment pointing Switchboard at a sandbox on host:port (no server is started)."""
    world = World.generate(seed=seed, volume=volume)
    d = world.demo
    base = f"http://{host}:{port}"
    lines = [
        f"# Switchboard sandbox at {base} (seed {seed}, volume {volume}).",
        "# Fictional data and sandbox credentials only.",
        f"# Start it with: switchboard sandbox --host {host} --port {port} --seed {seed} --volume {volume}",
        "SWITCHBOARD_PROVIDERS=live",
        f"SWITCHBOARD_ZOOM_API_URL={base}/zoom/v2",
        f"SWITCHBOARD_ZOOM_TOKEN_URL={base}/zoom/oauth/token",
        f"SWITCHBOARD_ZOOM_ACCOUNT_ID={credentials.ZOOM_ACCOUNT_ID}",
        f"SWITCHBOARD_ZOOM_CLIENT_ID={credentials.ZOOM_CLIENT_ID}",
        f"SWITCHBOARD_ZOOM_CLIENT_SECRET={credentials.ZOOM_CLIENT_SECRET}",
        "SWITCHBOARD_ZOOM_PLAN=pro",
        f"SWITCHBOARD_LIVEVOX_BASE_URL={base}/livevox",
        f"SWITCHBOARD_LIVEVOX_ACCESS_TOKEN={credentials.LIVEVOX_ACCESS_TOKEN}",
        f"SWITCHBOARD_LIVEVOX_CLIENT_NAME={credentials.LIVEVOX_CLIENT_NAME}",
        f"SWITCHBOARD_LIVEVOX_USERNAME={d.agent_login}",
        f"SWITCHBOARD_LIVEVOX_PASSWORD={credentials.LIVEVOX_PASSWORD}",
        "SWITCHBOARD_LIVEVOX_AGENT=true",
        f"SWITCHBOARD_LIVEVOX_SERVICE_ID={d.service_id}",
        f"# For a user (supervisor) session instead: SWITCHBOARD_LIVEVOX_USERNAME={d.supervisor_login} "
        "and SWITCHBOARD_LIVEVOX_AGENT=false",
        f"SWITCHBOARD_ROUTEE_API_URL={base}/routee/connect",
        f"SWITCHBOARD_ROUTEE_TOKEN_URL={base}/routee/auth/oauth/token",
        f"SWITCHBOARD_ROUTEE_APP_ID={credentials.ROUTEE_APP_ID}",
        f"SWITCHBOARD_ROUTEE_APP_SECRET={credentials.ROUTEE_APP_SECRET}",
        f"SWITCHBOARD_SECRET_KEYS={Fernet.generate_key().decode()}",
        "#",
        "# Demo numbers (history in every provider):",
    ]
    lines += [f"#   {c.phone}  {c.name} (account {c.account}): {c.note}" for c in d.customers]
    lines += [f"# opted out by STOP in Zoom Phone only: {d.phone_stop_number}"]
    lines += [
        f"# Demo LiveVox agent: {d.agent_name}, login {d.agent_login}, agent id {d.agent_id}, "
        f"service {d.service_id} ({d.service_name}), sender code {d.sender_code}",
        f"# Transfer target agent: {d.transfer_agent_name}, login {d.transfer_agent_login}, "
        f"agent id {d.transfer_agent_id}",
        f"# Demo Zoom user: {d.zoom_user_id} ({d.zoom_user_email})",
        f"# Demo Zoom queue: {d.zoom_queue_id} ({d.zoom_queue_name})",
        f"# Demo Routee sender: {d.routee_sender}",
        f"# Demo Routee campaign: {d.routee_campaign_id} ({d.routee_campaign_name})",
    ]
    return "\n".join(lines) + "\n"
