"""A workspace installs Switchboard (OAuth mode): its row, its first admin, the audit trail.

The installer becomes the workspace's first admin; a reinstall resumes the workspace (clears its
`uninstalled_at`, so its schedules and jobs run again) and leaves the admins it already has alone. An
org-wide install (Enterprise Grid) is recorded under the org's id, and each of its workspaces is onboarded
the first time one of its requests arrives (`onboard_org_workspace`): links stay per workspace. Removing an
org-wide install stops every workspace of the org (`stop`), and reinstalling it resumes them all
(`resume_org`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Role
from bot.db.repositories import (
    AuditRepository,
    UserMappingRepository,
    WorkspaceRepository,
    enterprise_team_ids,
)

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


async def served_by(
    session: AsyncSession, team_id: str, *, enterprise_id: str | None, org_wide: bool
) -> list[str]:
    """The workspaces one installation serves: its own, or, for an org-wide install, every workspace of
    the org Switchboard has seen (and the org's own row)."""
    if not (org_wide and enterprise_id):
        return [team_id]
    return sorted({team_id, *await enterprise_team_ids(session, enterprise_id)})


async def stop(
    session: AsyncSession,
    team_id: str,
    action: str,
    *,
    enterprise_id: str | None,
    org_wide: bool,
    uninstalled: bool,
    details: dict[str, Any],
) -> list[str]:
    """Slack said the app was removed (or its tokens revoked) where `team_id`'s installation serves:
    each workspace it served is marked uninstalled when `uninstalled` (its jobs and schedules stop) and
    audited in its own trail. The workspaces touched, for the caller to forget what it cached."""
    teams = await served_by(session, team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    for team in teams:
        if uninstalled:
            await WorkspaceRepository(session, team).mark_uninstalled()
        extra = {"enterprise_id": enterprise_id, "org_wide": True} if org_wide else {}
        await AuditRepository(session, team).record(
            ACTOR, action, target_type="workspace", target_id=team, details={**details, **extra}
        )
    return teams


async def resume_org(session: AsyncSession, enterprise_id: str, *, installer: str | None) -> list[str]:
    """An org-wide install (or reinstall): every workspace of the org that was stopped runs again, its
    links and admins as they were. The workspaces resumed."""
    resumed = []
    for team in await enterprise_team_ids(session, enterprise_id):
        workspace = await WorkspaceRepository(session, team).get()
        if workspace is None or workspace.uninstalled_at is None:
            continue
        workspace.uninstalled_at = None
        await AuditRepository(session, team).record(
            installer or ACTOR,
            "workspace.reinstalled",
            target_type="workspace",
            target_id=team,
            details={"enterprise_id": enterprise_id, "org_wide": True},
        )
        resumed.append(team)
    await session.flush()
    return resumed
