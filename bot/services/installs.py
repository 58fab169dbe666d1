"""A workspace installs Switchboard (OAuth mode): its row, its first admin, the audit trail.

The installer becomes the workspace's first admin; a reinstall resumes the workspace (clears its
`uninstalled_at`, so its schedules and jobs run again) and leaves the admins it already has alone. An
org-wide install (Enterprise Grid) is recorded under the org's id, and each of its workspaces is onboarded
the first time one of its requests arrives (`onboard_org_workspace`): links stay per workspace.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Role
from bot.db.repositories import AuditRepository, UserMappingRepository, WorkspaceRepository

ACTOR = "slack"


async def onboard(
    session: AsyncSession,
    team_id: str,
    *,
    name: str,
    enterprise_id: str | None,
    installer: str | None,
    org_wide: bool = False,
) -> bool:
    """Record the install; True when the installer was made the workspace's first admin."""
    workspaces = WorkspaceRepository(session, team_id)
    previous = await workspaces.get()
    workspace = await workspaces.ensure(name)
    if enterprise_id and workspace.enterprise_id != enterprise_id:
        workspace.enterprise_id = enterprise_id
        await session.flush()
    users = UserMappingRepository(session, team_id)
    made_admin = False
    if installer and await users.count_admins(lock=True) == 0:
        await users.link(installer, role=Role.ADMIN)
        made_admin = True
    await AuditRepository(session, team_id).record(
        installer or ACTOR,
        "workspace.installed" if previous is None else "workspace.reinstalled",
        target_type="workspace",
        target_id=team_id,
        details={
            "enterprise_id": enterprise_id,
            "org_wide": org_wide,
            "first_admin": installer if made_admin else None,
        },
    )
    return made_admin


async def onboard_org_workspace(
    session: AsyncSession, team_id: str, *, enterprise_id: str, installer: str | None
) -> bool:
    """A workspace of an org-wide install, seen for the first time: its own row and first admin (the
    org's installer). False when it was known already."""
    if await WorkspaceRepository(session, team_id).get() is not None:
        return False
    await onboard(session, team_id, name="", enterprise_id=enterprise_id, installer=installer, org_wide=True)
    return True
