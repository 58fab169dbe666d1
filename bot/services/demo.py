"""The demo workspace (a fixed interface: docs, the console and tests rely on these ids).

T0DEMO with U0AGENT (agent), U0SUPER (supervisor) and U0ADMIN (admin), linked to the sandbox's demo
identities, and C0DEMO mapped to the sandbox's Customer Care inbox. Running it again changes nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import Role
from bot.db.repositories import ChannelMappingRepository, WorkspaceRepository
from bot.sandbox.world import DEMO
from bot.services.admin import AdminService

TEAM_ID = "T0DEMO"
CHANNEL_ID = "C0DEMO"
AGENT, SUPERVISOR, ADMIN = "U0AGENT", "U0SUPER", "U0ADMIN"


async def seed_demo(session: AsyncSession, box: CredentialBox) -> bool:
    """Create (or complete) the demo workspace; returns True when anything was new."""
    workspace = await WorkspaceRepository(session, TEAM_ID).get()
    created = workspace is None
    await WorkspaceRepository(session, TEAM_ID).ensure("Switchboard Demo")
    admin = AdminService(session, TEAM_ID, actor="demo-seed", box=box)
    links = (
        (AGENT, Role.AGENT, str(DEMO.agent_id), DEMO.agent_login, DEMO.zoom_user_id),
        (
            SUPERVISOR,
            Role.SUPERVISOR,
            str(DEMO.transfer_agent_id),
            DEMO.transfer_agent_login,
            DEMO.transfer_zoom_user_id,
        ),
        (ADMIN, Role.ADMIN, None, None, None),
    )
    for user, role, agent_id, login, zoom in links:
        _, new = await admin.link_user(
            user, role=role, livevox_agent_id=agent_id, livevox_login=login, zoom_user_id=zoom
        )
        created = created or new
    _, new_channel = await ChannelMappingRepository(session, TEAM_ID).upsert(
        CHANNEL_ID,
        livevox_service_id=str(DEMO.service_id),
        livevox_inbox=f"Group - {DEMO.service_name}",
        zoom_queue_ids=[DEMO.zoom_queue_id],
        sms_sender_code=DEMO.sender_code,
    )
    return created or new_channel
