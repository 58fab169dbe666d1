"""The demo workspace (a fixed interface: docs, the console and tests rely on these ids).

T0DEMO with U0AGENT (agent), U0SUPER (supervisor) and U0ADMIN (admin), linked to the provider identities
it is given (the sandbox's `DEMO`, passed in by the CLI and the console: services do not know the sandbox),
and C0DEMO mapped to their group inbox. Running it again changes nothing.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import Role
from bot.db.repositories import ChannelMappingRepository, WorkspaceRepository
from bot.services.admin import AdminService

TEAM_ID = "T0DEMO"
CHANNEL_ID = "C0DEMO"
AGENT, SUPERVISOR, ADMIN = "U0AGENT", "U0SUPER", "U0ADMIN"


class DemoIdentities(Protocol):
    """The provider-side people, inbox and queue the demo workspace is linked to."""

    @property
    def agent_id(self) -> int: ...
    @property
    def agent_login(self) -> str: ...
    @property
    def zoom_user_id(self) -> str: ...
    @property
    def transfer_agent_id(self) -> int: ...
    @property
    def transfer_agent_login(self) -> str: ...
    @property
    def transfer_zoom_user_id(self) -> str: ...
    @property
    def service_id(self) -> int: ...
    @property
    def service_name(self) -> str: ...
    @property
    def zoom_queue_id(self) -> str: ...
    @property
    def sender_code(self) -> str: ...


async def seed_demo(session: AsyncSession, box: CredentialBox, demo: DemoIdentities) -> bool:
    """Create (or complete) the demo workspace linked to `demo`; returns True when anything was new."""
    workspace = await WorkspaceRepository(session, TEAM_ID).get()
    created = workspace is None
    await WorkspaceRepository(session, TEAM_ID).ensure("Switchboard Demo")
    admin = AdminService(session, TEAM_ID, actor="demo-seed", box=box)
    links = (
        (AGENT, Role.AGENT, str(demo.agent_id), demo.agent_login, demo.zoom_user_id),
        (
            SUPERVISOR,
            Role.SUPERVISOR,
            str(demo.transfer_agent_id),
            demo.transfer_agent_login,
            demo.transfer_zoom_user_id,
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
        livevox_service_id=str(demo.service_id),
        livevox_inbox=f"Group - {demo.service_name}",
        zoom_queue_ids=[demo.zoom_queue_id],
        sms_sender_code=demo.sender_code,
    )
    return created or new_channel
