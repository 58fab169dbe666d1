"""The workspace's workflow service user: whom a Workflow Builder step acts as when its workflow gives no
"Run as" person (`/switchboard workflow-user @user|off`, a team setting kept on the workspace row).

An admin's choice wins. While no admin chose, single-token mode (one workspace) falls back to
SWITCHBOARD_WORKFLOW_USER, the deployment's default; OAuth mode has none (one variable cannot name a user
of every workspace). The person is linked like anyone else: their role and links apply when a step runs
(checked again then, as for a person running it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repositories import AuditRepository, UserMappingRepository, WorkspaceRepository
from bot.db.session import transaction
from bot.errors import InputError
from bot.settings import Settings

OFF = ""  # what the workspace row holds once an admin turned the service user off

Source = Literal["workspace", "default", "off", "none"]


@dataclass(frozen=True)
class ServiceUser:
    """Who stands in, and why: an admin set them (`workspace`), the deployment's default (`default`), an
    admin turned it off (`off`), or nobody was ever named (`none`)."""

    user_id: str | None
    source: Source


def default_workflow_user(settings: Settings) -> str | None:
    """SWITCHBOARD_WORKFLOW_USER, in single-token mode only."""
    return None if settings.oauth_mode else settings.workflow_user


class WorkflowUsers:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, default: str | None) -> None:
        self._sessions = sessions
        self._default = default

    @classmethod
    def of(cls, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> WorkflowUsers:
        return cls(sessions, default=default_workflow_user(settings))

    def _resolve(self, stored: str | None) -> ServiceUser:
        if stored == OFF:
            return ServiceUser(None, "off")
        if stored:
            return ServiceUser(stored, "workspace")
        if self._default:
            return ServiceUser(self._default, "default")
        return ServiceUser(None, "none")

    async def current(self, team_id: str) -> ServiceUser:
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session, team_id).get()
        return self._resolve(workspace.workflow_user_id if workspace is not None else None)

    async def set(self, team_id: str, actor: str, user_id: str | None) -> tuple[ServiceUser, ServiceUser]:
        """Name the service user (`None`: turn it off), audited; (before, after). Only a linked person
        may stand in: a step would refuse anyone else at every run."""
        async with transaction(self._sessions) as session:
            if user_id is not None and await UserMappingRepository(session, team_id).get(user_id) is None:
                raise InputError(
                    "That person is not linked to Switchboard, so workflow steps could not act as them. "
                    "Link them first: `/switchboard link @them agent=<LiveVox agent id> role=agent`."
                )
            workspace = await WorkspaceRepository(session, team_id).ensure()
            before = self._resolve(workspace.workflow_user_id)
            workspace.workflow_user_id = user_id if user_id is not None else OFF
            after = self._resolve(workspace.workflow_user_id)
            await session.flush()
            if after != before:
                await AuditRepository(session, team_id).record(
                    actor,
                    "workspace.workflow_user_set" if user_id else "workspace.workflow_user_cleared",
                    target_type="user" if user_id else "workspace",
                    target_id=user_id or team_id,
                    details={"user": after.user_id, "before": before.user_id, "before_source": before.source},
                )
        return before, after
